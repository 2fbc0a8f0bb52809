// Protocol tests for hostile and broken input: each gets a documented error or close code, and nothing else happens.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, ErrorFrame } from "@parley/protocol";
import {
  connectVia,
  LongPollClient,
  type ProtocolClient,
  type ProtocolError,
  RawClient,
  register,
  sleep,
  startTestServer,
  type TestServer,
  TRANSPORTS,
} from "./harness.js";

/** Why a WebSocket case has no long-poll twin. */
const WS_ONLY = {
  binary: "an HTTP body has no binary frames",
  handshake: "long polling has no connection before hello; refused opens are tested in long-poll.test.ts",
} as const;

for (const transport of TRANSPORTS)
  describe(`bad input over ${transport}`, () => {
    let server: TestServer;
    let alice: AuthResult;
    let bob: AuthResult;
    let a: ProtocolClient;
    let direct: string;

    before(async () => {
      server = await startTestServer({ maxFrameBytes: 4096, helloTimeoutMs: 300, maxBufferedBytes: 64 * 1024 });
      [alice, bob] = await Promise.all([register(server), register(server)]);
      a = await connectVia(transport, server, alice.accessToken);
      direct = (await a.request("conversations.openDirect", { userId: bob.user.id })).id;
    });
    after(async () => {
      await a.close();
      await server.close();
    });

    it("answers malformed JSON, non-object frames and missing rid with an error frame (rid null) and keeps the connection", async () => {
      for (const [raw, code] of [
        ["{not json", "invalid_json"],
        ["[1,2,3]", "invalid_frame"],
        ['{"op":"ping","args":{}}', "invalid_frame"],
        ['{"rid":"1","op":5}', "invalid_frame"],
        ['{"rid":"2","op":"ping","args":[]}', "invalid_frame"],
      ] as const) {
        const before = a.frames.length;
        a.sendRaw(raw);
        const err = await a.waitFor(() => a.frames.slice(before).find((f): f is ErrorFrame => f.type === "error"));
        assert.equal(err.error.code, code, raw);
      }
      assert.ok((await a.request("ping", {})).serverTime > 0, "the connection still works");
    });

    it("rejects unknown ops and schema violations with codes naming the field", async () => {
      await assert.rejects(a.requestRaw("messages.explode", {}), (e: ProtocolError) => e.error.code === "unknown_op");
      await assert.rejects(
        a.requestRaw("auth.login", { username: "x", password: "y" }),
        (e: ProtocolError) => e.error.code === "unknown_op",
      );
      await assert.rejects(
        a.requestRaw("messages.send", { conversationId: direct, body: "no client id" }),
        (e: ProtocolError) => {
          assert.equal(e.error.code, "validation_failed");
          assert.equal(e.error.details?.["field"], "clientId");
          return true;
        },
      );
      await assert.rejects(
        a.requestRaw("messages.send", { conversationId: direct, clientId: "k", body: "x", extra: true }),
        (e: ProtocolError) => e.error.code === "validation_failed",
      );
      await assert.rejects(
        a.requestRaw("messages.history", { conversationId: direct, limit: -5 }),
        (e: ProtocolError) => e.error.code === "validation_failed" && e.error.details?.["field"] === "limit",
      );
      await assert.rejects(
        a.requestRaw("hello", { versions: [1] }),
        (e: ProtocolError) => e.error.code === "already_authenticated",
      );
      const { messages } = await a.request("messages.history", { conversationId: direct });
      assert.equal(messages.length, 1, "nothing was stored by the rejected sends");
    });

    it("closes with 1009 on an oversized frame", async () => {
      const c = await connectVia(transport, server, alice.accessToken);
      c.sendRaw(JSON.stringify({ rid: "big", op: "ping", args: { pad: "x".repeat(5000) } }));
      assert.equal(await c.closed, 1009);
    });

    it("closes with 4003 on a binary frame", { skip: transport !== "ws" && WS_ONLY.binary }, async () => {
      const c = await RawClient.connect(server, alice.accessToken);
      c.sendRaw(Buffer.from([1, 2, 3]), true);
      assert.equal(await c.closed, 4003);
    });

    it("closes with 4201 when the first frame is not hello, 4200 for unsupported versions, 4002 without hello", {
      skip: transport !== "ws" && WS_ONLY.handshake,
    }, async () => {
      const c1 = await RawClient.open(server);
      await assert.rejects(c1.request("ping", {}));
      assert.equal(await c1.closed, 4201);
      const c2 = await RawClient.open(server);
      await assert.rejects(c2.request("hello", { versions: [99], token: alice.accessToken }));
      assert.equal(await c2.closed, 4200);
      const c3 = await RawClient.open(server);
      assert.equal(await c3.closed, 4002);
    });

    it("disconnects a slow consumer with 4000 instead of buffering without limit", async () => {
      const slow = await connectVia(transport, server, bob.accessToken);
      // Stop reading: the kernel buffers fill, then the server's per-connection buffer (long polling: stop polling).
      const pause = (on: boolean) => {
        if (slow instanceof LongPollClient) return on ? slow.pausePolling() : slow.resumePolling();
        const socket = (slow as RawClient).ws as unknown as { _socket: { pause(): void; resume(): void } };
        on ? socket._socket.pause() : socket._socket.resume();
      };
      pause(true);
      const body = "y".repeat(3000);
      let i = 0;
      const deadline = Date.now() + 20_000;
      while (server.connections() >= 2 && Date.now() < deadline) {
        await Promise.all(
          Array.from({ length: 50 }, () =>
            a.request("messages.send", { conversationId: direct, clientId: `flood-${i++}`, body }),
          ),
        );
      }
      assert.equal(server.connections(), 1, "the slow connection was dropped");
      pause(false);
      assert.equal(await slow.closed, 4000);
      const still = await a.request("ping", {});
      assert.ok(still.serverTime > 0);
    });

    it("the process survives a burst of garbage from many sockets", async () => {
      const sockets = await Promise.all(Array.from({ length: 10 }, () => connectVia(transport, server, bob.accessToken)));
      for (const s of sockets)
        for (let k = 0; k < 20; k++) s.sendRaw(k % 2 ? "\u0000\u0001" : '{"rid":"x","op":"sync","args":{"cursors":5}}');
      await sleep(200);
      await Promise.all(sockets.map((s) => s.close()));
      assert.ok((await a.request("ping", {})).serverTime > 0);
    });
  });
