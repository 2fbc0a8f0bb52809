// Protocol tests for who receives `receipts` events (§10.5): in a group, the member's own devices and the authors of
// the messages a change newly covers; in a direct conversation, every device of both members.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame, ReceiptState } from "@parley/protocol";
import { connectVia, type ProtocolClient, register, startTestServer, type TestServer, TRANSPORTS } from "./harness.js";

type ReceiptsEvent = Extract<EventFrame, { event: "receipts" }>;

/** Every receipt state `client` received for the conversation (from its event index `from` on). */
function statesSeen(client: ProtocolClient, conversationId: string, from = 0): ReceiptState[] {
  return client.events
    .slice(from)
    .filter((e): e is ReceiptsEvent => e.event === "receipts" && e.data.conversationId === conversationId)
    .flatMap((e) => e.data.receipts);
}

/** Waits for a receipts event carrying `userId`'s state with the given minimum watermarks. */
function waitForState(
  client: ProtocolClient,
  conversationId: string,
  userId: string,
  min: { deliveredSeq?: number; readSeq?: number },
): Promise<ReceiptsEvent> {
  return client.waitForEvent(
    (e): e is ReceiptsEvent =>
      e.event === "receipts" &&
      e.data.conversationId === conversationId &&
      e.data.receipts.some(
        (r) => r.userId === userId && r.deliveredSeq >= (min.deliveredSeq ?? 0) && r.readSeq >= (min.readSeq ?? 0),
      ),
  );
}

for (const transport of TRANSPORTS)
  describe(`receipts events go to the devices that need them over ${transport}`, () => {
    let server: TestServer;
    let alice: AuthResult;
    let bob: AuthResult;
    let carol: AuthResult;
    let dave: AuthResult;
    let a: ProtocolClient;
    let b1: ProtocolClient;
    let b2: ProtocolClient;
    let c: ProtocolClient;
    let d: ProtocolClient;
    let group: string;

    /**
     * `client` marks its own delivered watermark and waits for its own state to come back. Flushes run one after
     * another and each connection receives events in order, so once this returns the client has received every event
     * of earlier flushes: what it has not received by then it never will.
     */
    async function barrier(client: ProtocolClient, user: AuthResult, conversationId: string): Promise<void> {
      const view = await client.request("conversations.get", { conversationId });
      const state = await client.request("receipts.mark", { conversationId, delivered: view.lastSeq });
      await waitForState(client, conversationId, user.user.id, { deliveredSeq: state.deliveredSeq });
    }

    const send = (client: ProtocolClient, conversationId: string, body: string) =>
      client.request("messages.send", { conversationId, clientId: `${body}-${Math.random()}`, body });

    before(async () => {
      server = await startTestServer({ receiptFlushMs: 10 });
      [alice, bob, carol, dave] = await Promise.all([register(server), register(server), register(server), register(server)]);
      [a, b1, b2, c, d] = await Promise.all([
        connectVia(transport, server, alice.accessToken),
        connectVia(transport, server, bob.accessToken),
        connectVia(transport, server, bob.accessToken),
        connectVia(transport, server, carol.accessToken),
        connectVia(transport, server, dave.accessToken),
      ]);
      group = (
        await a.request("conversations.createGroup", {
          title: "Four",
          memberIds: [bob.user.id, carol.user.id, dave.user.id],
        })
      ).id;
    });
    after(async () => {
      await Promise.all([a, b1, b2, c, d].map((x) => x.close()));
      await server.close();
    });

    it("delivered: the author and the marker's devices get the state, other members do not", async () => {
      const marks = [a, b1, b2, c, d].map((x) => x.events.length);
      const m = await send(a, group, "hello group");
      const state = await b1.request("receipts.mark", { conversationId: group, delivered: m.seq });
      assert.equal(state.deliveredSeq, m.seq);

      const toAlice = await waitForState(a, group, bob.user.id, { deliveredSeq: m.seq });
      assert.deepEqual(toAlice.data.receipts, [state], "only the state relevant to alice");
      await waitForState(b1, group, bob.user.id, { deliveredSeq: m.seq }); // the marking device
      await waitForState(b2, group, bob.user.id, { deliveredSeq: m.seq }); // bob's other device

      await barrier(c, carol, group);
      await barrier(d, dave, group);
      assert.deepEqual(
        statesSeen(c, group, marks[3]).filter((r) => r.userId !== carol.user.id),
        [],
        "carol wrote nothing bob's mark covers",
      );
      assert.deepEqual(
        statesSeen(d, group, marks[4]).filter((r) => r.userId !== dave.user.id),
        [],
        "dave wrote nothing bob's mark covers",
      );
      // Carol's and Dave's marks covered alice's message: alice learns them, bob does not.
      await waitForState(a, group, carol.user.id, { deliveredSeq: m.seq });
      await waitForState(a, group, dave.user.id, { deliveredSeq: m.seq });
      await barrier(b1, bob, group);
      assert.deepEqual(
        statesSeen(b1, group, marks[1])
          .map((r) => r.userId)
          .filter((u) => u !== bob.user.id),
        [],
      );
    });

    it("read past messages by two authors: both get the state; the full state stays in conversations.get", async () => {
      const fromD = d.events.length;
      const fromA = a.events.length;
      const ma = await send(a, group, "from alice");
      const mc = await send(c, group, "from carol");
      const state = await b1.request("receipts.mark", { conversationId: group, read: mc.seq });
      assert.deepEqual(state, { userId: bob.user.id, deliveredSeq: mc.seq, readSeq: mc.seq });
      await waitForState(a, group, bob.user.id, { readSeq: ma.seq });
      await waitForState(c, group, bob.user.id, { readSeq: mc.seq });
      await waitForState(b2, group, bob.user.id, { readSeq: mc.seq });
      await barrier(d, dave, group);
      assert.deepEqual(
        statesSeen(d, group, fromD).filter((r) => r.userId === bob.user.id),
        [],
        "dave wrote nothing bob's read covers",
      );

      // Alice reading her own message concerns nobody else: only her devices hear of it.
      const fromB = b1.events.length;
      const fromC = c.events.length;
      await a.request("receipts.mark", { conversationId: group, read: ma.seq });
      await waitForState(a, group, alice.user.id, { readSeq: ma.seq });
      await barrier(b1, bob, group);
      await barrier(c, carol, group);
      assert.equal(statesSeen(b1, group, fromB).filter((r) => r.userId === alice.user.id).length, 0);
      assert.equal(statesSeen(c, group, fromC).filter((r) => r.userId === alice.user.id).length, 0);
      assert.ok(statesSeen(a, group, fromA).length > 0);

      // Anyone can still read every member's current watermarks (a "message info" view).
      const view = await d.request("conversations.get", { conversationId: group });
      const bobNow = view.members.find((x) => x.userId === bob.user.id);
      assert.equal(bobNow?.readSeq, mc.seq);
      assert.equal(view.members.find((x) => x.userId === alice.user.id)?.readSeq, ma.seq);
    });

    it("sync with receiptsSince lists the group with every member's watermarks", async () => {
      const before = (await d.request("sync", { cursors: {}, limit: 1 })).serverTime;
      const m = await send(a, group, "sync me");
      await c.request("receipts.mark", { conversationId: group, read: m.seq });
      const view = await d.request("conversations.get", { conversationId: group });
      const page = await d.request("sync", { cursors: { [group]: view.lastSeq }, receiptsSince: before });
      const entry = page.conversations.find((x) => x.conversationId === group);
      assert.ok(entry, "listed because carol's watermark moved");
      assert.equal(entry.members.find((x) => x.userId === carol.user.id)?.readSeq, m.seq);
    });

    it("direct conversations are unchanged: both members' devices get every change", async () => {
      const { id } = await a.request("conversations.openDirect", { userId: bob.user.id });
      const m = await send(a, id, "just us");
      // Alice marks her own message read: no message of bob's is covered, yet bob's devices hear of it.
      await a.request("receipts.mark", { conversationId: id, read: m.seq });
      await waitForState(b1, id, alice.user.id, { readSeq: m.seq });
      await waitForState(b2, id, alice.user.id, { readSeq: m.seq });
      await waitForState(a, id, alice.user.id, { readSeq: m.seq });
      await b2.request("receipts.mark", { conversationId: id, read: m.seq });
      await waitForState(a, id, bob.user.id, { readSeq: m.seq });
      await waitForState(b1, id, bob.user.id, { readSeq: m.seq });
    });
  });
