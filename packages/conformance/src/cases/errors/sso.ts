// Error cases of single sign-on (§6.12): which apply depends on whether the server has SSO configured (`auth.sso`),
// so each case skips when its side is not the server's.

import type { Case } from "../../case.js";
import type { Ctx } from "../../context.js";
import { asOutcome, check, expectError, expectOk, Skip } from "../../expect.js";
import { httpJson, httpRaw } from "../../wire.js";

async function ssoInfo(ctx: Ctx) {
  return expectOk(asOutcome("auth.sso", await httpJson(ctx.base, "GET", "/v1/auth/sso")));
}

/** The `sso_error` and `reason` of a redirect's fragment (`/#sso_error=…&reason=…`). */
function redirectError(location: string | null): { code: string | null; reason: string | null } {
  const fragment = new URLSearchParams((location ?? "").split("#")[1] ?? "");
  return { code: fragment.get("sso_error"), reason: fragment.get("reason") };
}

export const ssoErrorCases: Case[] = [
  {
    id: "sso_not_configured: a sign-in code on a server without single sign-on [http]",
    covers: { ops: ["auth.ssoExchange"], errors: ["sso_not_configured"] },
    async run(ctx) {
      if ((await ssoInfo(ctx)).enabled) throw new Skip("the server has single sign-on configured");
      const answer = await httpJson(ctx.base, "POST", "/v1/auth/sso/exchange", { code: "not-a-code" });
      expectError(asOutcome("auth.ssoExchange", answer), "sso_not_configured");
    },
  },
  {
    id: "invalid_sso_code: an unknown sign-in code [http]",
    covers: { ops: ["auth.ssoExchange"], errors: ["invalid_sso_code"] },
    async run(ctx) {
      if (!(await ssoInfo(ctx)).enabled) throw new Skip("the server has no single sign-on (PARLEY_OIDC_ISSUER)");
      const answer = await httpJson(ctx.base, "POST", "/v1/auth/sso/exchange", { code: "not-a-code" });
      expectError(asOutcome("auth.ssoExchange", answer), "invalid_sso_code", { field: "code" });
    },
  },
  {
    id: "sso_failed: a callback with an unknown state redirects with reason invalid_state [http]",
    covers: { errors: ["sso_failed"] },
    async run(ctx) {
      if (!(await ssoInfo(ctx)).enabled) throw new Skip("the server has no single sign-on (PARLEY_OIDC_ISSUER)");
      const answer = await httpRaw(ctx.base, "GET", "/v1/auth/sso/callback?code=x&state=never-issued", {
        redirect: "manual",
      });
      check(answer.status === 303, `expected a 303 redirect, got ${answer.status}`);
      const { code, reason } = redirectError(answer.headers.get("location"));
      check(code === "sso_failed" && reason === "invalid_state", `expected sso_failed/invalid_state, got ${code}/${reason}`);
    },
  },
  {
    id: "sso_only: password sign-in on a single-sign-on-only server [http]",
    covers: { errors: ["sso_only"] },
    async run(ctx) {
      if (!(await ssoInfo(ctx)).ssoOnly) throw new Skip("the server accepts passwords (PARLEY_SSO_ONLY is off)");
      const answer = await httpJson(ctx.base, "POST", "/v1/auth/login", { username: "anyone", password: "any-password" });
      expectError(asOutcome("auth.login", answer), "sso_only");
    },
  },
];
