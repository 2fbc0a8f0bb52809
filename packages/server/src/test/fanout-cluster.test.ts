// Group fan-out across cluster nodes (two nodes in this process on PostgreSQL and Redis): a large group's message goes
// out once on the users topic and reaches every member's devices on both nodes in seq order; a small group's goes out
// per user topic. A Redis subscriber beside the nodes sees which bus channels carried what.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame } from "@parley/protocol";
import { Redis } from "ioredis";
import { USERS_TOPIC_FROM } from "../services/delivery.js";
import { probePostgres, probeRedis, TEST_REDIS_URL } from "./cluster-harness.js";
import { RawClient, register, startTestCluster, type TestCluster, type TestServer } from "./harness.js";
import { requireService } from "./services.js";

const available = await requireService("cluster fan-out tests (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

const MEMBERS = USERS_TOPIC_FROM + 4;

type MessageEvent = Extract<EventFrame, { event: "message" }>;

describe("group fan-out across cluster nodes", { skip: !available && "services unavailable" }, () => {
  let cluster: TestCluster | undefined;
  let nodes: [TestServer, TestServer];
  let users: AuthResult[] = [];
  const clients: RawClient[] = [];
  /** Bus channels seen by an outside subscriber, with the payload's type letter. */
  const seen: { channel: string; kind: string }[] = [];
  let spy: Redis | undefined;

  before(async () => {
    cluster = await startTestCluster({ label: "fanout", nodeIds: ["a", "b"] });
    nodes = cluster.nodes as [TestServer, TestServer];
    users = await Promise.all(Array.from({ length: MEMBERS }, (_, i) => register(nodes[i % 2]!)));
    for (const [i, user] of users.entries()) clients.push(await RawClient.connect(nodes[i % 2]!, user.accessToken));
    spy = new Redis(TEST_REDIS_URL);
    await spy.psubscribe(`*${cluster.prefix}*bus:*`);
    spy.on("pmessage", (_pattern: string, channel: string, payload: string) => {
      seen.push({ channel: channel.slice(channel.indexOf("bus:") + 4), kind: payload[0] ?? "" });
    });
  });

  after(async () => {
    spy?.disconnect();
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.close();
  });

  it(`a group of ${MEMBERS} is served by one publish per message on the users topic, every member on both nodes in order`, async () => {
    const [owner, ...rest] = clients;
    const { id } = await owner!.request("conversations.createGroup", {
      title: "Big",
      memberIds: users.slice(1).map((u) => u.user.id),
    });
    // The owner's second device, on the other node, gets the owner's messages too.
    const ownersOther = await RawClient.connect(nodes[1], users[0]!.accessToken);
    clients.push(ownersOther);
    const isText = (e: EventFrame): e is MessageEvent =>
      e.event === "message" && e.data.conversationId === id && e.data.kind === "text";
    seen.length = 0;
    const sent = [];
    for (let i = 0; i < 3; i++)
      sent.push(await owner!.request("messages.send", { conversationId: id, clientId: `big-${i}`, body: `m${i}` }));
    for (const client of [...rest, ownersOther]) {
      await client.waitFor(() => (client.events.filter(isText).length >= 3 ? true : undefined), 10_000);
      assert.deepEqual(
        client.events.filter(isText).map((e) => e.data.seq),
        sent.map((m) => m.seq),
      );
    }
    const userTopicTexts = seen.filter((s) => s.channel.startsWith("user:") && s.kind === "F");
    assert.equal(seen.filter((s) => s.channel === "users" && s.kind === "U").length, 3, "one users-topic publish per message");
    assert.deepEqual(userTopicTexts, [], "no per-member publishes");
  });

  it("a small group's messages go out per user topic, to its members only", async () => {
    const [a, b, c, outsider] = clients;
    const { id } = await a!.request("conversations.createGroup", {
      title: "Small",
      memberIds: [users[1]!.user.id, users[2]!.user.id],
    });
    seen.length = 0;
    const m = await a!.request("messages.send", { conversationId: id, clientId: "small-1", body: "hi" });
    const arrived = (e: EventFrame) => e.event === "message" && e.data.conversationId === id && e.data.seq === m.seq;
    await b!.waitForEvent(arrived, 10_000);
    await c!.waitForEvent(arrived, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.ok(!outsider!.events.some(arrived), "a non-member gets nothing");
    assert.equal(seen.filter((s) => s.channel === "users").length, 0);
    assert.ok(seen.filter((s) => s.channel.startsWith("user:")).length >= 3, "one publish per member's user topic");
  });
});
