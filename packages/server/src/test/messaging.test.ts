// Protocol tests for sending: 1:1 and group delivery, acks, idempotency, ordering, history, multi-device, limits.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, Message } from "@parley/protocol";
import {
  connectVia,
  type ProtocolClient,
  type ProtocolError,
  register,
  startTestServer,
  type TestServer,
  TRANSPORTS,
} from "./harness.js";

for (const transport of TRANSPORTS)
  describe(`messaging over ${transport}`, () => {
    let server: TestServer;
    let alice: AuthResult;
    let bob: AuthResult;
    let carol: AuthResult;
    let a: ProtocolClient;
    let b: ProtocolClient;
    let c: ProtocolClient;
    let direct: string;

    before(async () => {
      server = await startTestServer({ maxMessageBytes: 1000 });
      [alice, bob, carol] = await Promise.all([register(server), register(server), register(server)]);
      [a, b, c] = await Promise.all([
        connectVia(transport, server, alice.accessToken),
        connectVia(transport, server, bob.accessToken),
        connectVia(transport, server, carol.accessToken),
      ]);
      direct = (await a.request("conversations.openDirect", { userId: bob.user.id })).id;
    });
    after(async () => {
      await Promise.all([a, b, c].map((x) => x.close()));
      await server.close();
    });

    it("acks a send with id, seq and time, and delivers it to the recipient", async () => {
      const ack = await a.request("messages.send", { conversationId: direct, clientId: "c-1", body: "hello bob" });
      assert.equal(ack.conversationId, direct);
      assert.equal(ack.clientId, "c-1");
      assert.equal(ack.duplicate, false);
      assert.equal(ack.seq, 2, "seq 1 is conversation.created");
      assert.ok(Math.abs(ack.createdAt - Date.now()) < 5000);
      const event = await b.waitForEvent((e) => e.event === "message" && e.data.seq === ack.seq);
      assert.equal(event.event, "message");
      const m = event.data as Message;
      assert.deepEqual([m.id, m.body, m.senderId, m.kind, m.clientId], [ack.id, "hello bob", alice.user.id, "text", "c-1"]);
    });

    it("the sending connection gets the ack, not the event; the sender's other devices get the event", async () => {
      const aliceTablet = await connectVia(transport, server, alice.accessToken);
      const ack = await a.request("messages.send", { conversationId: direct, clientId: "c-2", body: "from phone" });
      await aliceTablet.waitForEvent((e) => e.event === "message" && e.data.id === ack.id);
      await b.waitForEvent((e) => e.event === "message" && e.data.id === ack.id);
      assert.equal(a.messages(direct).filter((m) => m.id === ack.id).length, 0);
      await aliceTablet.close();
    });

    it("a repeated clientId returns the original ack and stores nothing new", async () => {
      const first = await a.request("messages.send", { conversationId: direct, clientId: "retry-1", body: "once" });
      const again = await a.request("messages.send", { conversationId: direct, clientId: "retry-1", body: "once" });
      assert.equal(again.duplicate, true);
      assert.deepEqual([again.id, again.seq, again.createdAt], [first.id, first.seq, first.createdAt]);
      const next = await a.request("messages.send", { conversationId: direct, clientId: "retry-2", body: "next" });
      assert.equal(next.seq, first.seq + 1, "no seq was consumed by the duplicate");
      const { messages } = await b.request("messages.history", { conversationId: direct, after: first.seq - 1 });
      assert.deepEqual(
        messages.map((m) => m.clientId),
        ["retry-1", "retry-2"],
      );
    });

    it("refuses a clientId already used in another conversation", async () => {
      const other = await a.request("conversations.openDirect", { userId: carol.user.id });
      await a.request("messages.send", { conversationId: direct, clientId: "shared-id", body: "first" });
      await assert.rejects(
        a.request("messages.send", { conversationId: other.id, clientId: "shared-id", body: "second" }),
        (e: ProtocolError) => e.error.code === "conflict" && e.error.details?.["field"] === "clientId",
      );
    });

    it("answers a large history page on a small send buffer instead of treating it as a slow consumer", async () => {
      const small = await startTestServer({ maxBufferedBytes: 4096 });
      try {
        const [x, y] = await Promise.all([register(small), register(small)]);
        const xc = await connectVia(transport, small, x.accessToken);
        const { id } = await xc.request("conversations.openDirect", { userId: y.user.id });
        for (let i = 0; i < 20; i++)
          await xc.request("messages.send", { conversationId: id, clientId: `big-${i}`, body: "z".repeat(900) });
        const page = await xc.request("messages.history", { conversationId: id, limit: 50 });
        assert.equal(page.messages.length, 21);
        assert.equal(xc.closeCode, undefined);
        await xc.close();
      } finally {
        await small.close();
      }
    });

    it("concurrent senders in a group: every member sees one identical gap-free order", async () => {
      const group = await a.request("conversations.createGroup", { title: "race", memberIds: [bob.user.id, carol.user.id] });
      const perSender = 60;
      const sends = [a, b, c].flatMap((client, i) =>
        Array.from({ length: perSender }, (_, k) =>
          client.request("messages.send", { conversationId: group.id, clientId: `g-${i}-${k}`, body: `${i}:${k}` }),
        ),
      );
      const acks = await Promise.all(sends);
      const seqs = acks.map((x) => x.seq).sort((x, y) => x - y);
      assert.deepEqual(
        seqs,
        Array.from({ length: 3 * perSender }, (_, i) => i + 2),
      );
      // Per sender, seq follows send order.
      for (let i = 0; i < 3; i++) {
        const mine = acks.slice(i * perSender, (i + 1) * perSender).map((x) => x.seq);
        assert.deepEqual(
          mine,
          [...mine].sort((x, y) => x - y),
        );
      }
      const views = await Promise.all(
        [a, b, c].map((client) => client.request("messages.history", { conversationId: group.id, limit: 200 })),
      );
      const orders = views.map((v) => v.messages.map((m) => `${m.seq}:${m.body ?? m.kind}`));
      assert.deepEqual(orders[0], orders[1]);
      assert.deepEqual(orders[1], orders[2]);
      assert.equal(orders[0]!.length, 3 * perSender + 1);
      // Live events: each member received the others' messages, each once.
      for (const [i, client] of [a, b, c].entries()) {
        await client.waitFor(() =>
          client.messages(group.id).filter((m) => m.kind === "text").length >= 2 * perSender ? true : undefined,
        );
        const received = client.messages(group.id).filter((m) => m.kind === "text");
        assert.equal(received.length, 2 * perSender);
        assert.equal(new Set(received.map((m) => m.seq)).size, received.length);
        assert.ok(received.every((m) => !m.body!.startsWith(`${i}:`)));
      }
    });

    it("pages history backwards and forwards by seq", async () => {
      const group = await a.request("conversations.createGroup", { title: "pages", memberIds: [bob.user.id] });
      for (let i = 1; i <= 25; i++)
        await a.request("messages.send", { conversationId: group.id, clientId: `p-${i}`, body: `m${i}` });
      const latest = await b.request("messages.history", { conversationId: group.id, limit: 10 });
      assert.deepEqual(
        latest.messages.map((m) => m.seq),
        [17, 18, 19, 20, 21, 22, 23, 24, 25, 26],
      );
      assert.equal(latest.hasMore, true);
      const older = await b.request("messages.history", { conversationId: group.id, before: 17, limit: 10 });
      assert.deepEqual(
        older.messages.map((m) => m.seq),
        [7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
      );
      const oldest = await b.request("messages.history", { conversationId: group.id, before: 7, limit: 10 });
      assert.deepEqual(
        oldest.messages.map((m) => m.seq),
        [1, 2, 3, 4, 5, 6],
      );
      assert.equal(oldest.hasMore, false);
      const forward = await b.request("messages.history", { conversationId: group.id, after: 20, limit: 3 });
      assert.deepEqual(
        forward.messages.map((m) => m.seq),
        [21, 22, 23],
      );
      assert.equal(forward.hasMore, true);
    });

    it("history is also served over HTTP with the same pages", async () => {
      const res = await fetch(`${server.url}/v1/conversations/${direct}/messages?limit=2&after=1`, {
        headers: { authorization: `Bearer ${bob.accessToken}` },
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as { messages: Message[] };
      assert.deepEqual(
        body.messages.map((m) => m.seq),
        [2, 3],
      );
    });

    it("rejects a body over the configured maximum with too_large and stores nothing", async () => {
      const before = (await a.request("conversations.get", { conversationId: direct })).lastSeq;
      await assert.rejects(
        a.request("messages.send", { conversationId: direct, clientId: "big", body: "é".repeat(501) }),
        (e: ProtocolError) => {
          assert.equal(e.error.code, "too_large");
          return true;
        },
      );
      assert.equal((await a.request("conversations.get", { conversationId: direct })).lastSeq, before);
    });

    it("a non-member cannot send, read history or receive events", async () => {
      await assert.rejects(
        c.request("messages.send", { conversationId: direct, clientId: "x", body: "intrude" }),
        (e: ProtocolError) => {
          assert.equal(e.error.code, "not_found", "never a member: as if the conversation did not exist (§6.1)");
          return true;
        },
      );
      await assert.rejects(
        c.request("messages.history", { conversationId: direct }),
        (e: ProtocolError) => e.error.code === "not_found",
      );
      await assert.rejects(
        c.request("conversations.get", { conversationId: direct }),
        (e: ProtocolError) => e.error.code === "not_found",
      );
      const sync = await c.request("sync", { cursors: {} });
      assert.ok(sync.conversations.every((x) => x.conversationId !== direct));
      assert.equal(c.messages(direct).length, 0);
    });
  });
