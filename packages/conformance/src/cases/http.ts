// HTTP binding cases (§2.2) beyond single operations: headers every answer carries, and the operational endpoints.

import { gunzipSync } from "node:zlib";
import type { Case } from "../case.js";
import { check, expectOk } from "../expect.js";
import { httpJson, httpRaw } from "../wire.js";
import { upload } from "./operations.js";

/** The files of a tar archive (ustar headers: name at 0–100, octal size at 124–136, data in 512-byte blocks). */
function untar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let at = 0; at + 512 <= tar.length; ) {
    const header = tar.subarray(at, at + 512);
    if (header.every((b) => b === 0)) break;
    const field = (from: number, to: number) => header.subarray(from, to).toString("utf8").replace(/\0.*$/s, "");
    const prefix = field(345, 500);
    const name = (prefix ? `${prefix}/` : "") + field(0, 100);
    const size = Number.parseInt(field(124, 136).trim() || "0", 8);
    files.set(name, tar.subarray(at + 512, at + 512 + size));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

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
  {
    id: "GET /v1/me/export: a tar.gz of the caller's profile, sent messages and uploaded files (§6.12); 401 without a token",
    covers: {},
    async run(ctx) {
      const dana = await ctx.register("x");
      const file = await upload(ctx, dana, "exported file\n", "export.txt");
      const direct = expectOk(await ctx.call(dana, "conversations.openDirect", { userId: ctx.bob.id }, "http"));
      const body = ctx.unique("exported");
      expectOk(
        await ctx.call(
          dana,
          "messages.send",
          { conversationId: direct.id, clientId: body, body, attachments: [file.id] },
          "http",
        ),
      );
      const res = await fetch(`${ctx.base}/v1/me/export`, { headers: { authorization: `Bearer ${await dana.token()}` } });
      check(res.status === 200, `expected 200, got ${res.status}`);
      check(res.headers.get("content-type") === "application/gzip", `Content-Type ${res.headers.get("content-type")}`);
      check(/^attachment/.test(res.headers.get("content-disposition") ?? ""), "not a download (Content-Disposition)");
      const files = untar(gunzipSync(Buffer.from(await res.arrayBuffer())));
      const profile = JSON.parse(files.get("parley-export/profile.json")?.toString() ?? "null");
      check(profile?.user?.id === dana.id, "profile.json is not the caller's profile");
      const lines = (files.get("parley-export/messages/00001.jsonl")?.toString() ?? "").split("\n").filter(Boolean);
      const messages = lines.map((line) => JSON.parse(line));
      check(messages.length === 1 && messages[0].body === body, `messages: ${lines.join(" | ")}`);
      const listed = JSON.parse(files.get("parley-export/files.json")?.toString() ?? "[]");
      check(listed.length === 1 && listed[0].id === file.id, `files.json: ${JSON.stringify(listed)}`);
      check(files.get(`parley-export/${listed[0].path}`)?.toString() === "exported file\n", "the file's bytes differ");
      const anonymous = await httpRaw(ctx.base, "GET", "/v1/me/export");
      check(anonymous.status === 401, `without a token: HTTP ${anonymous.status}`);
    },
  },
];
