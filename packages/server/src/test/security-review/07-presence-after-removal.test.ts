// Security review #7: a presence watch ends when the visibility it was granted on ends (removal from or leaving the
// shared group, a contact removed), on open sockets and long-poll sessions, on one node and across a cluster.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame } from "@parley/protocol";
import { probePostgres, probeRedis } from "../cluster-harness.js";
import {
  connectVia,
  type ProtocolClient,
  register,
  sleep,
  startTestCluster,
  startTestServer,
  type TestCluster,
  type TestServer,
  TRANSPORTS,
} from "../harness.js";
import { requireService } from "../services.js";

const GRACE_MS = 100;

const presenceOf =
  (userId: string, online: boolean) =>
  (e: EventFrame): boolean =>
    e.event === "presence" && e.data.userId === userId && e.data.online === online;

const presenceEventsAbout = (client: ProtocolClient, userId: string) =>
  client.events.filter((e) => e.event === "presence" && e.data.userId === userId);

/** Clients still open at the end of a suite (closed then). */
const open = new Set<ProtocolClient>();

/**
 * `subject` goes offline (every device closed) and comes back: `control`, who may still watch, sees both events; by
 * then `former` would have seen them too, had its watch survived.
 */
async function cycle(
  server: TestServer,
  subject: { user: AuthResult; client: ProtocolClient },
  control: ProtocolClient,
): Promise<ProtocolClient> {
  open.delete(subject.client);
  await subject.client.close();
  await control.waitForEvent(presenceOf(subject.user.user.id, false));
  const back = await connectVia(subject.client.transport, server, subject.user.accessToken);
  open.add(back);
  await control.waitForEvent(presenceOf(subject.user.user.id, true));
  await sleep(100);
  return back;
}

for (const transport of TRANSPORTS)
  describe(`security review #7: presence after removal over ${transport}`, () => {
    let server: TestServer;
    const connect = async (user: AuthResult) => {
      const client = await connectVia(transport, server, user.accessToken);
      open.add(client);
      return client;
    };

    before(async () => {
      server = await startTestServer({ presenceGraceMs: GRACE_MS });
    });
    after(async () => {
      await Promise.all([...open].map((c) => c.close()));
      open.clear();
      await server.close();
    });

    it("a member removed from the only shared group stops receiving the remover's presence", async () => {
      const [alice, bob, carol] = await Promise.all([register(server), register(server), register(server)]);
      const [a, b, c] = await Promise.all([connect(alice), connect(bob), connect(carol)]);
      const group = await a.request("conversations.createGroup", { title: "G", memberIds: [bob.user.id, carol.user.id] });
      for (const watcher of [b, c]) {
        const { presence } = await watcher.request("presence.subscribe", { userIds: [alice.user.id] });
        assert.deepEqual(
          presence.map((p) => p.userId),
          [alice.user.id],
          "watching is allowed while they share the group",
        );
      }
      await a.request("members.remove", { conversationId: group.id, userId: carol.user.id });
      await cycle(server, { user: alice, client: a }, b);
      assert.deepEqual(presenceEventsAbout(c, alice.user.id), [], "Carol's watch ended with her membership");
    });

    it("who stays stops receiving the presence of a member who left", async () => {
      const [alice, bob, carol] = await Promise.all([register(server), register(server), register(server)]);
      const [a, b, c] = await Promise.all([connect(alice), connect(bob), connect(carol)]);
      const group = await a.request("conversations.createGroup", { title: "G", memberIds: [bob.user.id, carol.user.id] });
      // Bob also shares a direct conversation with Carol: his watch of her outlives the group, and must stay.
      await b.request("conversations.openDirect", { userId: carol.user.id });
      for (const watcher of [a, b]) await watcher.request("presence.subscribe", { userIds: [carol.user.id] });
      await c.request("conversations.leave", { conversationId: group.id });
      await cycle(server, { user: carol, client: c }, b);
      assert.deepEqual(presenceEventsAbout(a, carol.user.id), [], "Alice's watch ended when Carol left");
    });

    it("a contact removed stops receiving the owner's presence", async () => {
      const [alice, bob, carol] = await Promise.all([register(server), register(server), register(server)]);
      const [a, b, c] = await Promise.all([connect(alice), connect(bob), connect(carol)]);
      await a.request("contacts.add", { userId: bob.user.id });
      await a.request("contacts.add", { userId: carol.user.id });
      for (const watcher of [b, c]) {
        const { presence } = await watcher.request("presence.subscribe", { userIds: [alice.user.id] });
        assert.equal(presence.length, 1, "listed as Alice's contact: allowed");
      }
      await a.request("contacts.remove", { userId: carol.user.id });
      await cycle(server, { user: alice, client: a }, b);
      assert.deepEqual(presenceEventsAbout(c, alice.user.id), [], "Carol's watch ended with the contact");
    });
  });

const clusterAvailable = await requireService("cluster presence tests (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

describe("security review #7: presence after removal across cluster nodes", {
  skip: !clusterAvailable && "services unavailable",
}, () => {
  let cluster: TestCluster | undefined;
  let na: TestServer;
  let nb: TestServer;

  before(async () => {
    cluster = await startTestCluster({ label: "presence_narrowed", nodeIds: ["a", "b"], config: { presenceGraceMs: GRACE_MS } });
    [na, nb] = cluster.nodes as [TestServer, TestServer];
  });
  after(async () => {
    await Promise.all([...open].map((c) => c.close()));
    open.clear();
    await cluster?.close();
  });

  for (const transport of TRANSPORTS)
    it(`a watcher on another node (${transport}) stops receiving presence once removed`, async () => {
      const [alice, bob, carol] = await Promise.all([register(na), register(na), register(na)]);
      const a = await connectVia(transport, na, alice.accessToken);
      const [b, c] = await Promise.all([
        connectVia(transport, nb, bob.accessToken),
        connectVia(transport, nb, carol.accessToken),
      ]);
      open.add(a).add(b).add(c);
      const group = await a.request("conversations.createGroup", { title: "G", memberIds: [bob.user.id, carol.user.id] });
      for (const watcher of [b, c]) await watcher.request("presence.subscribe", { userIds: [alice.user.id] });
      await a.request("members.remove", { conversationId: group.id, userId: carol.user.id });
      await cycle(na, { user: alice, client: a }, b);
      assert.deepEqual(presenceEventsAbout(c, alice.user.id), [], "the node holding Carol's watch ended it");
    });
});
