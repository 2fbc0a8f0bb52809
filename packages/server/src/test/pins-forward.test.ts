// Protocol tests for pinned and forwarded messages (issue 19), on both engines: embedded (SQLite) and two cluster
// nodes on PostgreSQL and Redis. Pins are action entries members learn of live; the list follows membership windows;
// forwards take the send path (blocks, membership) and re-link files without an upload.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame } from "@parley/protocol";
import { probeClusterServices } from "./cluster-harness.js";
import {
  ProtocolError,
  RawClient,
  register,
  startTestCluster,
  startTestServer,
  type TestCluster,
  type TestServer,
  uploadFile,
} from "./harness.js";
import { requireService } from "./services.js";

let ids = 0;
const cid = (prefix: string) => `${prefix}-${++ids}`;

async function refusal(promise: Promise<unknown>): Promise<{ code: string; details: unknown }> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof ProtocolError) return { code: error.error.code, details: error.error.details };
    throw error;
  }
  assert.fail("expected a refusal");
}

const entry = (seq: number) => (e: EventFrame) => e.event === "message" && e.data.seq === seq;

const clusterAvailable = await requireService("pins and forwards on PostgreSQL (PostgreSQL, Redis)", () =>
  probeClusterServices({ haproxy: false }),
);

interface Engine {
  name: string;
  skip: string | false;
  /** Two nodes (the same server twice when embedded). */
  start(): Promise<{ nodes: [TestServer, TestServer]; close(): Promise<void> }>;
}

const MAX_PINS = 3;

const ENGINES: Engine[] = [
  {
    name: "SQLite (embedded)",
    skip: false,
    async start() {
      const server = await startTestServer({ maxPinsPerConversation: MAX_PINS });
      return { nodes: [server, server], close: () => server.close() };
    },
  },
  {
    name: "PostgreSQL (two cluster nodes)",
    skip: !clusterAvailable && "services unavailable",
    async start() {
      const cluster: TestCluster = await startTestCluster({
        label: "pins",
        nodeIds: ["a", "b"],
        config: { maxPinsPerConversation: MAX_PINS },
      });
      return { nodes: cluster.nodes as [TestServer, TestServer], close: () => cluster.close() };
    },
  },
];

for (const engine of ENGINES)
  describe(`pins and forwards on ${engine.name}`, { skip: engine.skip }, () => {
    let env: Awaited<ReturnType<Engine["start"]>>;
    let alice: AuthResult;
    let bob: AuthResult;
    let carol: AuthResult;
    let a: RawClient;
    let b: RawClient;
    let c: RawClient;
    const clients: RawClient[] = [];

    before(async () => {
      env = await engine.start();
      const [n1, n2] = env.nodes;
      [alice, bob, carol] = await Promise.all([register(n1), register(n2), register(n1)]);
      a = await RawClient.connect(n1, alice.accessToken);
      b = await RawClient.connect(n2, bob.accessToken);
      c = await RawClient.connect(n1, carol.accessToken);
      clients.push(a, b, c);
    });
    after(async () => {
      await Promise.all(clients.map((x) => x.close()));
      await env?.close();
    });

    it("pins reach every member live as action entries; the list is newest first and capped", async () => {
      const { id } = await a.request("conversations.createGroup", { title: "Pins", memberIds: [bob.user.id] });
      const send = (body: string) => a.request("messages.send", { conversationId: id, clientId: cid("m"), body });
      const [m1, m2, m3, m4] = [await send("one"), await send("two"), await send("three"), await send("four")];
      const pin = (client: RawClient, seq: number) =>
        client.request("messages.pin", { conversationId: id, seq, clientId: cid("p") });

      const pinned = await pin(b, m1.seq);
      assert.equal(pinned.message.seq, m1.seq);
      const live = await a.waitForEvent(entry(pinned.ack!.seq));
      assert.ok(live.event === "message");
      assert.deepEqual(live.data.action, { type: "pin", target: m1.seq });
      assert.equal(live.data.updated?.body, "one");

      await pin(a, m2.seq);
      await pin(b, m3.seq);
      const tooMany = await refusal(pin(a, m4.seq));
      assert.deepEqual(tooMany, { code: "too_many_pins", details: { limit: MAX_PINS } });
      const { pins } = await a.request("messages.pins", { conversationId: id });
      assert.deepEqual(
        pins.map((p) => [p.seq, p.pinnedBy, p.message.body]),
        [
          [m3.seq, bob.user.id, "three"],
          [m2.seq, alice.user.id, "two"],
          [m1.seq, bob.user.id, "one"],
        ],
      );

      const unpinned = await a.request("messages.unpin", { conversationId: id, seq: m2.seq, clientId: cid("u") });
      const unpinEvent = await b.waitForEvent(entry(unpinned.ack!.seq));
      assert.ok(unpinEvent.event === "message");
      assert.deepEqual(unpinEvent.data.action, { type: "unpin", target: m2.seq });
      const again = await a.request("messages.unpin", { conversationId: id, seq: m2.seq, clientId: cid("u") });
      assert.ok(again.ack!.seq > unpinned.ack!.seq, "unpinning an unpinned message is an entry, not an error");
      await pin(a, m4.seq);

      await a.request("messages.delete", { conversationId: id, seq: m1.seq, clientId: cid("d"), scope: "everyone" });
      const after = await b.request("messages.pins", { conversationId: id });
      assert.deepEqual(
        after.pins.map((p) => p.seq),
        [m4.seq, m3.seq],
        "a message deleted for everyone is no longer pinned",
      );
      assert.equal((await refusal(pin(b, m1.seq))).code, "message_deleted");
      assert.equal((await refusal(pin(b, 1))).code, "invalid_target");

      // History replays the pins: every entry is in the sequence, in order.
      const history = await b.request("messages.history", { conversationId: id, limit: 50 });
      assert.deepEqual(
        history.messages.filter((m) => m.action?.type === "pin" || m.action?.type === "unpin").map((m) => m.action?.type),
        ["pin", "pin", "pin", "unpin", "unpin", "pin"],
      );
    });

    it("lists pins within the caller's membership window: not before joining, not after leaving", async () => {
      const { id } = await a.request("conversations.createGroup", { title: "Windows", memberIds: [bob.user.id] });
      const early = await a.request("messages.send", { conversationId: id, clientId: cid("m"), body: "before carol" });
      await a.request("messages.pin", { conversationId: id, seq: early.seq, clientId: cid("p") });
      await a.request("members.add", { conversationId: id, userIds: [carol.user.id] });
      const later = await a.request("messages.send", { conversationId: id, clientId: cid("m"), body: "with carol" });
      await a.request("messages.pin", { conversationId: id, seq: later.seq, clientId: cid("p") });
      const seen = await c.request("messages.pins", { conversationId: id });
      assert.deepEqual(
        seen.pins.map((p) => p.seq),
        [later.seq],
        "a pin of a message from before carol joined is not hers to see",
      );
      assert.equal(
        (await refusal(c.request("messages.pin", { conversationId: id, seq: early.seq, clientId: cid("p") }))).code,
        "message_not_found",
      );

      await a.request("members.remove", { conversationId: id, userId: carol.user.id });
      const last = await a.request("messages.send", { conversationId: id, clientId: cid("m"), body: "after carol" });
      await a.request("messages.pin", { conversationId: id, seq: last.seq, clientId: cid("p") });
      const former = await c.request("messages.pins", { conversationId: id });
      assert.deepEqual(
        former.pins.map((p) => p.seq),
        [later.seq],
        "a former member sees only what was pinned while they were a member",
      );
      assert.equal(
        (await refusal(c.request("messages.pin", { conversationId: id, seq: later.seq, clientId: cid("p") }))).code,
        "not_member",
      );
      const { code } = await refusal(
        RawClient.connect(env.nodes[0], (await register(env.nodes[0])).accessToken).then((x) => {
          clients.push(x);
          return x.request("messages.pins", { conversationId: id });
        }),
      );
      assert.equal(code, "not_found");
    });

    it("forwards a message with its files into another conversation, marked, through the send path", async () => {
      const [n1] = env.nodes;
      const { id: source } = await a.request("conversations.createGroup", { title: "Source", memberIds: [bob.user.id] });
      const file = await uploadFile(n1, bob.accessToken, "notes.txt", new TextEncoder().encode("forwarded file"), "text/plain");
      const original = await b.request("messages.send", {
        conversationId: source,
        clientId: cid("m"),
        body: "look at this",
        attachments: [file.id],
      });
      const { id: target } = await a.request("conversations.openDirect", { userId: carol.user.id });
      const clientId = cid("f");
      const args = { conversationId: target, clientId, from: { conversationId: source, seq: original.seq } };
      const ack = await a.request("messages.forward", args);
      const got = await c.waitForEvent(entry(ack.seq));
      assert.ok(got.event === "message");
      assert.equal(got.data.senderId, alice.user.id);
      assert.equal(got.data.body, "look at this");
      assert.equal(got.data.forwarded, true);
      assert.deepEqual(
        got.data.attachments.map((x) => x.id),
        [file.id],
      );
      // Carol was never in the source conversation; the re-linked file is hers to download now.
      const signed = await c.request("files.sign", { uploadIds: [file.id] });
      assert.equal(signed.files.length, 1);
      const repeat = await a.request("messages.forward", args);
      assert.equal(repeat.duplicate, true);
      assert.equal(repeat.seq, ack.seq);
      const history = await c.request("messages.history", { conversationId: target });
      assert.equal(history.messages.find((m) => m.seq === ack.seq)?.forwarded, true);
      assert.equal(
        (await b.request("messages.history", { conversationId: source })).messages.find((m) => m.seq === original.seq)?.forwarded,
        undefined,
      );

      // Blocks apply as to a send.
      await c.request("blocks.add", { userId: alice.user.id });
      const blocked = await refusal(a.request("messages.forward", { ...args, clientId: cid("f") }));
      assert.equal(blocked.code, "not_allowed");
      await c.request("blocks.remove", { userId: alice.user.id });

      // Carol cannot read the source: as if it did not exist.
      const { id: own } = await c.request("conversations.openDirect", { userId: bob.user.id });
      const outsider = await refusal(
        c.request("messages.forward", {
          conversationId: own,
          clientId: cid("f"),
          from: { conversationId: source, seq: original.seq },
        }),
      );
      assert.equal(outsider.code, "not_found");
      // Bob may read the source but is not in alice and carol's direct conversation.
      const stranger = await refusal(
        b.request("messages.forward", {
          conversationId: target,
          clientId: cid("f"),
          from: { conversationId: source, seq: original.seq },
        }),
      );
      assert.equal(stranger.code, "not_found");
      const system = await refusal(
        a.request("messages.forward", { ...args, clientId: cid("f"), from: { conversationId: source, seq: 1 } }),
      );
      assert.equal(system.code, "invalid_target");
    });
  });
