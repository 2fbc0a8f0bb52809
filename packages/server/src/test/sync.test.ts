// Protocol tests for offline catch-up: cursor sync completeness, pagination, membership events and receipts.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, Message, SyncResult } from "@parley/protocol";
import { connectVia, type ProtocolClient, register, startTestServer, type TestServer, TRANSPORTS } from "./harness.js";

async function syncAll(client: ProtocolClient, cursors: Record<string, number>, limit?: number) {
  const seen: Message[] = [];
  const pages: SyncResult[] = [];
  const c = { ...cursors };
  for (let i = 0; i < 100; i++) {
    const page = await client.request("sync", { cursors: c, ...(limit ? { limit } : {}) });
    pages.push(page);
    for (const conv of page.conversations) {
      seen.push(...conv.messages);
      const last = conv.messages.at(-1);
      if (last) c[conv.conversationId] = last.seq;
      // An empty entry is complete only when the page was not cut short.
      else if (!page.hasMore) c[conv.conversationId] ??= conv.lastSeq;
    }
    if (!page.hasMore) break;
  }
  return { seen, pages, cursors: c };
}

for (const transport of TRANSPORTS)
  describe(`sync over ${transport}`, () => {
    let server: TestServer;
    let alice: AuthResult;
    let bob: AuthResult;
    let a: ProtocolClient;

    before(async () => {
      server = await startTestServer({ syncPageMax: 500 });
      [alice, bob] = await Promise.all([register(server), register(server)]);
      a = await connectVia(transport, server, alice.accessToken);
    });
    after(async () => {
      await a.close();
      await server.close();
    });

    it("returns a large gap completely, in order, without duplicates, over several pages", async () => {
      const bobWs = await connectVia(transport, server, bob.accessToken);
      const { id } = await a.request("conversations.openDirect", { userId: bob.user.id });
      await bobWs.waitForEvent((e) => e.event === "message" && e.data.conversationId === id);
      const cursor = 1;
      await bobWs.close();
      const total = 1234;
      await Promise.all(
        Array.from({ length: total }, (_, i) =>
          a.request("messages.send", { conversationId: id, clientId: `gap-${i}`, body: `n${i}` }),
        ),
      );
      const bobAgain = await connectVia(transport, server, bob.accessToken);
      const { seen, pages } = await syncAll(bobAgain, { [id]: cursor });
      assert.ok(pages.length >= 3, `expected pagination, got ${pages.length} page(s)`);
      assert.ok(pages.slice(0, -1).every((p) => p.hasMore));
      const seqs = seen.filter((m) => m.conversationId === id).map((m) => m.seq);
      assert.deepEqual(
        seqs,
        Array.from({ length: total }, (_, i) => i + 2),
      );
      const bodies = new Set(seen.map((m) => m.body));
      for (let i = 0; i < total; i++) assert.ok(bodies.has(`n${i}`), `missing n${i}`);
      await bobAgain.close();
    });

    it("includes conversations the client does not know yet, from the member's join, with membership events", async () => {
      const carol = await register(server);
      const group = await a.request("conversations.createGroup", { title: "late", memberIds: [bob.user.id] });
      await a.request("messages.send", { conversationId: group.id, clientId: "before-carol", body: "before carol" });
      await a.request("members.add", { conversationId: group.id, userIds: [carol.user.id] });
      await a.request("messages.send", { conversationId: group.id, clientId: "after-carol", body: "after carol" });
      const carolWs = await connectVia(transport, server, carol.accessToken);
      const { seen } = await syncAll(carolWs, {});
      const inGroup = seen.filter((m) => m.conversationId === group.id);
      assert.deepEqual(
        inGroup.map((m) => (m.kind === "system" ? m.event!.type : m.body)),
        ["member.added", "after carol"],
        "carol sees from her join, not the history before it",
      );
      await carolWs.close();
    });

    it("a removed member receives their removal and nothing after it", async () => {
      const dave = await register(server);
      const group = await a.request("conversations.createGroup", { title: "kick", memberIds: [dave.user.id] });
      await a.request("members.remove", { conversationId: group.id, userId: dave.user.id });
      await a.request("messages.send", { conversationId: group.id, clientId: "after-kick", body: "secret" });
      const daveWs = await connectVia(transport, server, dave.accessToken);
      const { seen, pages } = await syncAll(daveWs, {});
      const entry = pages[0]!.conversations.find((x) => x.conversationId === group.id)!;
      assert.equal(entry.membership, "left");
      assert.equal(entry.lastSeq, 2);
      assert.deepEqual(
        seen.filter((m) => m.conversationId === group.id).map((m) => m.event?.type ?? m.body),
        ["conversation.created", "member.removed"],
      );
      await assert.rejects(daveWs.request("messages.send", { conversationId: group.id, clientId: "z", body: "hi" }));
      await daveWs.close();
    });

    it("reports watermarks that moved since receiptsSince", async () => {
      const bobWs = await connectVia(transport, server, bob.accessToken);
      const { id } = await a.request("conversations.openDirect", { userId: bob.user.id });
      const ack = await a.request("messages.send", { conversationId: id, clientId: "r-1", body: "read me" });
      const first = await syncAll(a, { [id]: ack.seq });
      const t0 = first.pages.at(-1)!.serverTime;
      await bobWs.request("receipts.mark", { conversationId: id, read: ack.seq });
      const page = await a.request("sync", { cursors: { [id]: ack.seq }, receiptsSince: t0 });
      const entry = page.conversations.find((x) => x.conversationId === id);
      assert.ok(entry, "the conversation is reported because bob's watermark moved");
      assert.equal(entry.messages.length, 0);
      assert.equal(entry.members.find((m) => m.userId === bob.user.id)!.readSeq, ack.seq);
      await bobWs.close();
    });
  });
