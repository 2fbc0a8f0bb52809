// Close-code cases: every close code of §14.3 a client can provoke, with the handshake failures of §4.3, over the
// WebSocket and, where §2.3 gives long polling the same rule, as a long-poll close notice.

import { setTimeout as sleep } from "node:timers/promises";
import { CLOSE_CODES, type CloseReason } from "@parley/protocol";
import type { Case } from "../case.js";
import type { Ctx } from "../context.js";
import { asOutcome, check, expectError, expectErrorBody, expectOk, Skip } from "../expect.js";
import { httpJson, type Json, LongPollSession, WsConn } from "../wire.js";

/** Checks a WebSocket close: the code and, as §13.4 says, the code's name as the reason. */
export function expectClose(info: { code: number; reason: string }, reason: CloseReason, mayOmitReason = false): void {
  const code = CLOSE_CODES[reason].code;
  check(info.code === code, `expected close ${code} ${reason}, got ${info.code} ${info.reason}`);
  if (mayOmitReason && info.reason === "") return;
  check(info.reason === reason, `close ${code}: expected reason "${reason}", got "${info.reason}"`);
}

/** Checks a long-poll close notice (§2.3.1). */
function expectNotice(notice: Json, reason: CloseReason): void {
  check(notice !== undefined, `expected the close notice ${CLOSE_CODES[reason].code} ${reason}, got none`);
  check(
    notice.code === CLOSE_CODES[reason].code && notice.reason === reason,
    `expected the close notice ${CLOSE_CODES[reason].code} ${reason}, got ${JSON.stringify(notice)}`,
  );
}

/** A hello that fails: the error answers the hello's rid, then the connection closes with `reason`. */
export async function refusedHello(
  ctx: Ctx,
  args: unknown,
  code: Parameters<typeof expectErrorBody>[1],
  reason: CloseReason,
  details = {},
) {
  const conn = await WsConn.open(ctx.wsUrl);
  const answer = await conn.request("hello", args, "h");
  expectErrorBody(answer.error, code, details, "hello");
  expectClose(await conn.waitClose(5000), reason);
}

/** The same refusal over long polling: the error's status and body with the close notice (§2.3.2). */
async function refusedOpen(
  ctx: Ctx,
  args: unknown,
  code: Parameters<typeof expectErrorBody>[1],
  reason: CloseReason,
  details = {},
) {
  const answer = await new LongPollSession(ctx.base).open(args);
  expectErrorBody(answer.body?.error, code, details, "POST /v1/lp/open", answer.status);
  expectNotice(answer.body?.close, reason);
}

/** Logs bob into a new device session and returns its AuthResult. */
async function newSession(ctx: Ctx): Promise<Json> {
  const answer = await ctx.login(ctx.bob);
  return expectOk(asOutcome("auth.login", answer));
}

export const closeCases: Case[] = [
  {
    id: "close 1000 normal: a deliberate client close is completed",
    covers: { closes: ["normal"] },
    async run(ctx) {
      const conn = await ctx.connect(ctx.alice);
      conn.close(1000);
      check((await conn.waitClose(5000)).code === 1000, "the closing handshake did not complete with 1000");
    },
  },
  {
    id: "close 1009 frame_too_large: a frame over limits.maxFrameBytes",
    covers: { closes: ["frame_too_large"] },
    async run(ctx) {
      const conn = await ctx.connect(ctx.alice);
      conn.send(JSON.stringify({ rid: "big", op: "ping", args: {}, pad: "x".repeat(ctx.limits.maxFrameBytes) }));
      // §13.4: the WebSocket layer refuses the frame from its header, before reading it, and may send no reason.
      expectClose(await conn.waitClose(5000), "frame_too_large", true);
    },
  },
  {
    id: "close 4003 binary_not_supported: a binary frame",
    covers: { closes: ["binary_not_supported"] },
    async run(ctx) {
      const conn = await ctx.connect(ctx.alice);
      conn.send(Buffer.from('{"rid":"1","op":"ping","args":{}}'));
      expectClose(await conn.waitClose(5000), "binary_not_supported");
    },
  },
  {
    id: "close 4201 protocol_violation: a first frame that is not hello (error unauthorized)",
    covers: { closes: ["protocol_violation"], errors: ["unauthorized"] },
    async run(ctx) {
      const conn = await WsConn.open(ctx.wsUrl);
      expectErrorBody((await conn.request("ping", {}, "p")).error, "unauthorized", {}, "ping before hello");
      expectClose(await conn.waitClose(5000), "protocol_violation");
    },
  },
  {
    id: "close 4201 protocol_violation: hello arguments that fail the schema (ws and long polling)",
    covers: { closes: ["protocol_violation"], errors: ["validation_failed"] },
    async run(ctx) {
      await refusedHello(ctx, { versions: [], token: "x" }, "validation_failed", "protocol_violation");
      await refusedOpen(ctx, { versions: "1" }, "validation_failed", "protocol_violation");
    },
  },
  {
    id: "close 4200 unsupported_version: no common version (ws and long polling)",
    covers: { closes: ["unsupported_version"], errors: ["validation_failed"] },
    async run(ctx) {
      const token = await ctx.alice.token();
      await refusedHello(ctx, { versions: [999], token }, "validation_failed", "unsupported_version", {
        field: "versions",
        supported: [1],
      });
      await refusedOpen(ctx, { versions: [999], token }, "validation_failed", "unsupported_version", {
        field: "versions",
        supported: [1],
      });
    },
  },
  {
    id: "close 4100 unauthorized: a forged token (ws and long polling)",
    covers: { closes: ["unauthorized"], errors: ["unauthorized"] },
    async run(ctx) {
      await refusedHello(ctx, { versions: [1], token: "not.a.token" }, "unauthorized", "unauthorized");
      await refusedHello(ctx, { versions: [1] }, "unauthorized", "unauthorized");
      await refusedOpen(ctx, { versions: [1], token: "not.a.token" }, "unauthorized", "unauthorized");
    },
  },
  {
    id: "close 4102 session_revoked: logout closes the session's connections; its token is refused",
    covers: { closes: ["session_revoked"], errors: ["unauthorized"] },
    async run(ctx) {
      const session = await newSession(ctx);
      const conn = await WsConn.open(ctx.wsUrl);
      check((await conn.request("hello", { versions: [1], token: session.accessToken })).type === "result", "hello refused");
      const lp = new LongPollSession(ctx.base);
      check((await lp.open({ versions: [1], token: session.accessToken })).status === 200, "long-poll open refused");
      const out = await httpJson(ctx.base, "POST", "/v1/auth/logout", {}, session.accessToken);
      check(out.status === 200, `logout answered ${out.status}`);
      expectClose(await conn.waitClose(5000), "session_revoked");
      const poll = await lp.poll();
      expectNotice(poll.body?.close, "session_revoked");
      await refusedHello(ctx, { versions: [1], token: session.accessToken }, "unauthorized", "session_revoked", {
        reason: "session_revoked",
      });
      const http = await httpJson(ctx.base, "GET", "/v1/me", undefined, session.accessToken);
      expectError({ op: "me.get", transport: "http", status: http.status, error: http.body?.error }, "unauthorized", {
        reason: "session_revoked",
      });
    },
  },
  {
    id: "close 4101 token_expired: an expired access token (ws, long polling, http)",
    covers: { closes: ["token_expired"], errors: ["token_expired"] },
    async run(ctx) {
      const expiresInMs = ctx.alice.auth.expiresIn * 1000;
      const waitMs = ctx.alice.firstIssuedAt + expiresInMs + 1500 - Date.now();
      if (waitMs > ctx.maxWaitMs)
        throw new Skip(`access tokens live ${expiresInMs / 1000} s here (PARLEY_ACCESS_TOKEN_TTL), over --max-wait-ms`);
      await sleep(Math.max(0, waitMs));
      const token = ctx.alice.firstAccessToken;
      await refusedHello(ctx, { versions: [1], token }, "token_expired", "token_expired");
      await refusedOpen(ctx, { versions: [1], token }, "token_expired", "token_expired");
      const http = await httpJson(ctx.base, "GET", "/v1/me", undefined, token);
      expectError({ op: "me.get", transport: "http", status: http.status, error: http.body?.error }, "token_expired");
      check(/^Bearer realm="parley"/.test(http.headers.get("www-authenticate") ?? ""), "401 without WWW-Authenticate");
    },
  },
  {
    id: "close 4002 hello_timeout: no hello",
    covers: { closes: ["hello_timeout"] },
    async run(ctx) {
      const timeoutMs = ctx.options.helloTimeoutMs ?? 10_000;
      if (timeoutMs + 2000 > ctx.maxWaitMs)
        throw new Skip(`the hello timeout is ${timeoutMs} ms (--hello-timeout-ms), over --max-wait-ms`);
      const conn = await WsConn.open(ctx.wsUrl);
      expectClose(await conn.waitClose(timeoutMs + 2000), "hello_timeout");
    },
  },
  {
    id: "close 4001 heartbeat_timeout: a WebSocket that answers no ping",
    covers: { closes: ["heartbeat_timeout"] },
    async run(ctx) {
      const interval = ctx.limits.heartbeatIntervalMs;
      if (2 * interval + 2000 > ctx.maxWaitMs)
        throw new Skip(`limits.heartbeatIntervalMs is ${interval}: closing takes up to two intervals, over --max-wait-ms`);
      const conn = await ctx.connect(ctx.alice, { autoPong: false });
      expectClose(await conn.waitClose(2 * interval + 2000), "heartbeat_timeout");
    },
  },
  {
    id: "close 4001 heartbeat_timeout: a long-poll session that is not polled for expiresAfterMs",
    covers: { closes: ["heartbeat_timeout"] },
    async run(ctx) {
      const lp = new LongPollSession(ctx.base);
      const opened = await lp.open({ versions: [1], token: await ctx.alice.token() });
      check(opened.status === 200, `open answered ${opened.status}`);
      const expiry = opened.body.expiresAfterMs as number;
      if (expiry + 2000 > ctx.maxWaitMs) throw new Skip(`expiresAfterMs is ${expiry}, over --max-wait-ms`);
      await sleep(expiry + 1000);
      const poll = await lp.poll();
      expectNotice(poll.body?.close, "heartbeat_timeout");
    },
  },
  {
    id: "close 4004 unknown_session: a wrong poll secret",
    covers: { closes: ["unknown_session"], errors: ["not_found"] },
    async run(ctx) {
      const lp = new LongPollSession(ctx.base);
      check((await lp.open({ versions: [1], token: await ctx.alice.token() })).status === 200, "open refused");
      const answer = await lp.withSecret("wrong-secret-wrong-secret-wrong-secret-wro").poll();
      expectErrorBody(answer.body?.error, "not_found", {}, "poll with a wrong secret", answer.status);
      expectNotice(answer.body?.close, "unknown_session");
      await lp.close();
    },
  },
  {
    id: "close 4000 slow_consumer: a client that stops reading",
    covers: { closes: ["slow_consumer"] },
    async run(ctx) {
      // Fill a conversation with large messages, stop reading, and ask for pages of them until far more than
      // maxBufferedBytes (plus what the kernel's socket buffers absorb) is waiting for this client. A user of its own,
      // and the slow connection opened after the sends: the message events reach no other case's connection.
      const user = await ctx.register("s");
      const group = await ctx.group([], user);
      const body = "x".repeat(Math.min(ctx.limits.maxMessageBytes, ctx.limits.maxFrameBytes - 1024, 16_384));
      const writer = await user.ws();
      const count = Math.min(ctx.limits.historyPageMax, 100);
      await Promise.all(
        Array.from({ length: count }, () =>
          writer.request("messages.send", { conversationId: group.id, clientId: ctx.unique("s"), body }),
        ),
      );
      const pageBytes = count * body.length;
      const wanted = ctx.limits.maxBufferedBytes + 32 * 1024 * 1024;
      const requests = Math.ceil(wanted / pageBytes);
      if (requests > 2000) throw new Skip(`maxBufferedBytes is ${ctx.limits.maxBufferedBytes}: too much data to provoke`);
      const conn = await ctx.connect(user);
      const raw = (conn.socket as unknown as { _socket: import("node:net").Socket })._socket;
      raw.pause();
      for (let i = 0; i < requests; i++)
        conn.send({ rid: `slow${i}`, op: "messages.history", args: { conversationId: group.id, after: 0, limit: count } });
      await sleep(1500);
      raw.resume();
      try {
        expectClose(await conn.waitClose(10_000), "slow_consumer");
      } finally {
        await user.closeShared();
      }
    },
  },
  {
    id: "close 1001 going_away: the server shuts down (ws and long polling)",
    covers: { closes: ["going_away"] },
    last: true,
    async run(ctx) {
      const shutdown = ctx.options.shutdown;
      if (!shutdown) throw new Skip("needs a shutdown hook (only a program embedding the suite can stop the server)");
      const conn = await ctx.connect(ctx.carol);
      const lp = new LongPollSession(ctx.base);
      check((await lp.open({ versions: [1], token: await ctx.carol.token() })).status === 200, "open refused");
      const held = lp.poll();
      await sleep(100);
      await shutdown();
      expectClose(await conn.waitClose(5000), "going_away");
      const poll = await held;
      expectNotice(poll.body?.close, "going_away");
    },
  },
];
