// Receipt events in cluster mode: two nodes in this process on PostgreSQL and Redis. A mark is flushed by the node
// that received it; the authors it concerns are found in PostgreSQL and reached on whichever node they are connected.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame, ReceiptState } from "@parley/protocol";
import { probePostgres, probeRedis } from "./cluster-harness.js";
import { RawClient, register, startTestCluster, type TestCluster, type TestServer } from "./harness.js";
import { requireService } from "./services.js";

const available = await requireService("cluster receipt tests (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

type ReceiptsEvent = Extract<EventFrame, { event: "receipts" }>;

const stateOf =
  (conversationId: string, userId: string, min: { deliveredSeq?: number; readSeq?: number }) =>
  (e: EventFrame): e is ReceiptsEvent =>
    e.event === "receipts" &&
    e.data.conversationId === conversationId &&
    e.data.receipts.some(
      (r) => r.userId === userId && r.deliveredSeq >= (min.deliveredSeq ?? 0) && r.readSeq >= (min.readSeq ?? 0),
    );

function statesSeen(client: RawClient, conversationId: string, from: number): ReceiptState[] {
  return client.events
    .slice(from)
    .filter((e): e is ReceiptsEvent => e.event === "receipts" && e.data.conversationId === conversationId)
    .flatMap((e) => e.data.receipts);
}

describe("receipt events across cluster nodes", { skip: !available && "services unavailable" }, () => {
  let cluster: TestCluster | undefined;
  let na: TestServer;
  let nb: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;
  let carol: AuthResult;
  let dave: AuthResult;
  const clients: RawClient[] = [];

  before(async () => {
    cluster = await startTestCluster({ label: "receipts", nodeIds: ["a", "b"], config: { receiptFlushMs: 10 } });
    [na, nb] = cluster.nodes as [TestServer, TestServer];
    [alice, bob, carol, dave] = await Promise.all([register(na), register(nb), register(na), register(nb)]);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.close();
  });

  it("a mark flushed on one node reaches the author on the other node, and not the other members", async () => {
    const ca = await RawClient.connect(na, alice.accessToken); // alice sends through node a
    const cb = await RawClient.connect(nb, bob.accessToken); // bob marks through node b
    const cc = await RawClient.connect(na, carol.accessToken);
    const cd = await RawClient.connect(nb, dave.accessToken);
    clients.push(ca, cb, cc, cd);
    const { id } = await ca.request("conversations.createGroup", {
      title: "Cluster",
      memberIds: [bob.user.id, carol.user.id, dave.user.id],
    });
    const fromC = cc.events.length;
    const fromD = cd.events.length;

    const m = await ca.request("messages.send", { conversationId: id, clientId: "c1", body: "across nodes" });
    await cb.request("receipts.mark", { conversationId: id, delivered: m.seq });
    const got = await ca.waitForEvent(stateOf(id, bob.user.id, { deliveredSeq: m.seq }));
    assert.deepEqual(got.data.receipts, [{ userId: bob.user.id, deliveredSeq: m.seq, readSeq: 0 }]);
    await cb.waitForEvent(stateOf(id, bob.user.id, { deliveredSeq: m.seq }));

    // Carol's message went through node a; bob reads it on node b: carol (node a) and alice hear of it.
    const mc = await cc.request("messages.send", { conversationId: id, clientId: "c2", body: "from carol" });
    await cb.request("receipts.mark", { conversationId: id, read: mc.seq });
    await cc.waitForEvent(stateOf(id, bob.user.id, { readSeq: mc.seq }));
    await ca.waitForEvent(stateOf(id, bob.user.id, { readSeq: mc.seq }));

    // Barriers: each of carol and dave marks and sees its own state, so every earlier event has reached them.
    for (const [client, user] of [
      [cc, carol],
      [cd, dave],
    ] as const) {
      const state = await client.request("receipts.mark", { conversationId: id, delivered: mc.seq });
      await client.waitForEvent(stateOf(id, user.user.id, { deliveredSeq: state.deliveredSeq }));
    }
    const bobStates = (from: number, client: RawClient) => statesSeen(client, id, from).filter((r) => r.userId === bob.user.id);
    assert.deepEqual(
      bobStates(fromC, cc).map((r) => r.readSeq),
      [mc.seq],
      "carol gets bob's read of her message only",
    );
    assert.deepEqual(bobStates(fromD, cd), [], "dave wrote nothing bob's marks cover");
  });
});
