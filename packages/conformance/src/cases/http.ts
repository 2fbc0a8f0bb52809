// HTTP binding cases (§2.2) beyond single operations: headers every answer carries, and the operational endpoints.

import type { Case } from "../case.js";
import { check } from "../expect.js";
import { httpJson, httpRaw } from "../wire.js";

const SECURITY_HEADERS = [
  "content-security-policy",
  "x-content-type-options",
  "x-frame-options",
  "referrer-policy",
  "cross-origin-opener-policy",
];

export const httpCases: Case[] = [
  {
    id: "http: every answer carries X-Request-Id and the security headers (success and error)",
    covers: { ops: ["me.get"] },
    async run(ctx) {
      for (const answer of [
        await httpJson(ctx.base, "GET", "/v1/me", undefined, await ctx.alice.token()),
        await httpJson(ctx.base, "GET", "/v1/me"),
      ]) {
        check(answer.headers.get("x-request-id"), `HTTP ${answer.status} without X-Request-Id`);
        for (const name of SECURITY_HEADERS) check(answer.headers.get(name), `HTTP ${answer.status} without ${name}`);
        check(answer.headers.get("x-content-type-options") === "nosniff", "X-Content-Type-Options is not nosniff");
      }
    },
  },
  {
    id: "http: /healthz and /readyz answer their documented bodies",
    covers: {},
    async run(ctx) {
      const health = await httpRaw(ctx.base, "GET", "/healthz");
      check(health.status === 200 && health.body?.status === "ok", `/healthz answered ${health.status} ${health.text}`);
      const ready = await httpRaw(ctx.base, "GET", "/readyz");
      check(ready.status === 200 && ready.body?.status === "ready", `/readyz answered ${ready.status} ${ready.text}`);
      check(ready.body.checks?.store === "ok", `/readyz checks.store is not "ok": ${ready.text}`);
    },
  },
];
