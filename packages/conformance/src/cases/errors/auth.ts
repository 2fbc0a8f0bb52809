// Error cases of accounts and sessions: registration, credentials, tokens, a second hello, the login lockout.

import type { Case } from "../../case.js";
import { asOutcome, check, expectError, expectErrorBody, Skip } from "../../expect.js";
import { httpJson } from "../../wire.js";

export const authErrorCases: Case[] = [
  {
    id: "weak_password: a 5-character password [http]",
    covers: { errors: ["weak_password"] },
    async run(ctx) {
      const answer = await httpJson(ctx.base, "POST", "/v1/auth/register", {
        username: ctx.unique("cfw").slice(0, 32),
        password: "short",
      });
      expectError(asOutcome("auth.register", answer), "weak_password", { field: "password" });
    },
  },
  {
    id: "unauthorized: no token, and a forged one [http]",
    covers: { errors: ["unauthorized"] },
    async run(ctx) {
      for (const token of [undefined, "not.a.token"]) {
        const answer = await httpJson(ctx.base, "GET", "/v1/me", undefined, token);
        expectError(asOutcome("me.get", answer), "unauthorized");
        check(/^Bearer realm="parley"/.test(answer.headers.get("www-authenticate") ?? ""), "401 without WWW-Authenticate");
      }
    },
  },
  {
    id: "invalid_credentials: a wrong password and an unknown user answer alike [http]",
    covers: { errors: ["invalid_credentials"] },
    async run(ctx) {
      const wrong = await httpJson(ctx.base, "POST", "/v1/auth/login", {
        username: ctx.carol.username,
        password: "wrong-password",
      });
      expectError(asOutcome("auth.login", wrong), "invalid_credentials");
      const unknown = await httpJson(ctx.base, "POST", "/v1/auth/login", {
        username: ctx.unique("nobody"),
        password: "wrong-password",
      });
      expectError(asOutcome("auth.login", unknown), "invalid_credentials");
    },
  },
  {
    id: "invalid_refresh_token: an unknown refresh token [http]",
    covers: { errors: ["invalid_refresh_token"] },
    async run(ctx) {
      const answer = await httpJson(ctx.base, "POST", "/v1/auth/refresh", { refreshToken: "S_unknown.secret" });
      expectError(asOutcome("auth.refresh", answer), "invalid_refresh_token");
    },
  },
  {
    id: "username_taken: registering an existing username [http]",
    covers: { errors: ["username_taken"] },
    async run(ctx) {
      const answer = await httpJson(ctx.base, "POST", "/v1/auth/register", {
        username: ctx.alice.username,
        password: "long-enough-pw",
      });
      expectError(asOutcome("auth.register", answer), "username_taken", { field: "username" });
    },
  },
  {
    id: "already_authenticated: a second hello",
    covers: { errors: ["already_authenticated"] },
    async run(ctx) {
      const conn = await ctx.alice.ws();
      const again = await conn.request("hello", { versions: [1], token: await ctx.alice.token() });
      expectErrorBody(again.error, "already_authenticated", {}, "second hello");
    },
  },
  {
    id: "rate_limited: the login lockout of a username [http]",
    covers: { errors: ["rate_limited"] },
    async run(ctx) {
      const username = ctx.unique("locked");
      for (let attempt = 1; attempt <= 12; attempt++) {
        const answer = await httpJson(ctx.base, "POST", "/v1/auth/login", { username, password: "wrong-password" });
        if (answer.body?.error?.code === "invalid_credentials") continue;
        const error = expectError(asOutcome("auth.login", answer), "rate_limited");
        check(typeof error.retryAfterMs === "number" && error.retryAfterMs > 0, "rate_limited without retryAfterMs");
        check(error.details?.limit === "login" || error.details?.limit === "auth_ip", `details.limit is ${error.details?.limit}`);
        check(Number(answer.headers.get("retry-after")) >= 1, "429 without Retry-After");
        return;
      }
      throw new Skip("12 failed logins of one username were not refused: the server's login lockout is off or higher");
    },
  },
];
