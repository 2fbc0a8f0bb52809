// Long-polling cases (§2.3): the handshake, sending and acknowledging frames, decoding errors in a batch, closing.

import type { Case } from "../case.js";
import { check, expectErrorBody, expectOk } from "../expect.js";
import { int, object, str, Welcome } from "../shapes.js";
import { httpRaw, LongPollSession } from "../wire.js";

export const longPollCases: Case[] = [
  {
    id: "long polling: open answers the welcome, a secret and the timers, not cacheable",
    covers: { ops: ["hello"] },
    async run(ctx) {
      const lp = new LongPollSession(ctx.base);
      const answer = await lp.open({ versions: [1], token: await ctx.alice.token() });
      check(answer.status === 200, `open answered ${answer.status}: ${answer.text}`);
      object({ welcome: Welcome, secret: str, pollTimeoutMs: int, expiresAfterMs: int })(answer.body, "");
      check(answer.headers.get("cache-control")?.includes("no-store"), "open without Cache-Control: no-store");
      await lp.close();
    },
  },
  {
    id: "long polling: results come back numbered; an acknowledged frame is not sent again",
    covers: { ops: ["ping", "messages.send"] },
    async run(ctx) {
      const lp = new LongPollSession(ctx.base);
      check((await lp.open({ versions: [1], token: await ctx.alice.token() })).status === 200, "open refused");
      const sent = await lp.send([
        { rid: "1", op: "ping", args: {} },
        {
          rid: "2",
          op: "messages.send",
          args: { conversationId: ctx.direct.id, clientId: ctx.unique("lp"), body: "via long poll" },
        },
      ]);
      check(sent.status === 200, `send answered ${sent.status}: ${sent.text}`);
      const seen = new Map<string, unknown>();
      const deadline = Date.now() + 10_000;
      while (seen.size < 2 && Date.now() < deadline) {
        const before = lp.ack;
        const poll = await lp.poll();
        check(poll.status === 200, `poll answered ${poll.status}`);
        check(poll.headers.get("cache-control")?.includes("no-store"), "poll without Cache-Control: no-store");
        for (const frame of poll.body.frames) {
          if (frame.type !== "result") continue;
          check(!seen.has(frame.rid), `the answer to rid ${frame.rid} came again after it was acknowledged`);
          seen.set(frame.rid, frame.result);
        }
        check(poll.body.last >= before, "last went backwards");
      }
      expectOk({ op: "ping", transport: "ws", result: seen.get("1") });
      expectOk({ op: "messages.send", transport: "ws", result: seen.get("2") });
      await lp.close();
    },
  },
  {
    id: "long polling: an undecodable line is answered invalid_json with rid null",
    covers: { errors: ["invalid_json"] },
    async run(ctx) {
      const lp = new LongPollSession(ctx.base);
      check((await lp.open({ versions: [1], token: await ctx.alice.token() })).status === 200, "open refused");
      check((await lp.send(["{not json"])).status === 200, "send refused");
      const frame = await lp.pollFor((f) => f.type === "error");
      check(frame.rid === null, "rid is not null");
      expectErrorBody(frame.error, "invalid_json", {}, "line");
      await lp.close();
    },
  },
  {
    id: "long polling: close answers {} and the next poll carries the close notice 1000",
    covers: { closes: ["normal"] },
    async run(ctx) {
      const lp = new LongPollSession(ctx.base);
      check((await lp.open({ versions: [1], token: await ctx.alice.token() })).status === 200, "open refused");
      const closed = await lp.close();
      check(closed.status === 200 && JSON.stringify(closed.body) === "{}", `close answered ${closed.status} ${closed.text}`);
      const poll = await lp.poll();
      check(
        poll.body?.close?.code === 1000 && poll.body.close.reason === "normal",
        `poll after close: expected the close notice 1000 normal, got ${poll.status} ${poll.text}`,
      );
    },
  },
  {
    id: "long polling: a line over limits.maxFrameBytes closes the session with the notice 1009",
    covers: { closes: ["frame_too_large"] },
    async run(ctx) {
      const lp = new LongPollSession(ctx.base);
      check((await lp.open({ versions: [1], token: await ctx.alice.token() })).status === 200, "open refused");
      const line = JSON.stringify({ rid: "big", op: "ping", args: {}, pad: "x".repeat(ctx.limits.maxFrameBytes) });
      const sent = await lp.send([line]);
      const notice = sent.body?.close ?? (await lp.poll()).body?.close;
      check(
        notice?.code === 1009 && notice.reason === "frame_too_large",
        `expected the close notice 1009 frame_too_large, got ${JSON.stringify(notice)} (send answered ${sent.status} ${sent.text.slice(0, 200)})`,
      );
    },
  },
  {
    id: "long polling: a token in the URL is refused (validation_failed)",
    covers: { errors: ["validation_failed"] },
    async run(ctx) {
      const lp = new LongPollSession(ctx.base);
      check((await lp.open({ versions: [1], token: await ctx.alice.token() })).status === 200, "open refused");
      const answer = await httpRaw(ctx.base, "GET", `/v1/lp/poll?${lp.query({ ack: 0, token: "x" })}`, {
        headers: { "parley-poll-secret": lp.secret },
      });
      expectErrorBody(answer.body?.error, "validation_failed", { field: "token" }, "poll with ?token", answer.status);
      await lp.close();
    },
  },
];
