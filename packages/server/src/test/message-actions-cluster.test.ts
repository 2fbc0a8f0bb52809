// Message actions in cluster mode: two nodes in this process on PostgreSQL and Redis; replies, edits, reactions and
// deletes made on one node reach the other node's devices, and a delete leaves no body in PostgreSQL.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame } from "@parley/protocol";
import pg from "pg";
import { probeClusterServices, TEST_DATABASE_URL } from "./cluster-harness.js";
import { RawClient, register, startTestCluster, type TestCluster, type TestServer } from "./harness.js";
import { requireService } from "./services.js";

const available = await requireService("cluster message-action tests (PostgreSQL, Redis)", () =>
  probeClusterServices({ haproxy: false }),
);

const entry = (seq: number) => (e: EventFrame) => e.event === "message" && e.data.seq === seq;

describe("message actions across cluster nodes", { skip: !available && "services unavailable" }, () => {
  let cluster: TestCluster;
  let a: TestServer;
  let b: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;
  const clients: RawClient[] = [];

  before(async () => {
    cluster = await startTestCluster({ label: "actions", nodeIds: ["a", "b"] });
    [a, b] = cluster.nodes as [TestServer, TestServer];
    [alice, bob] = await Promise.all([register(a), register(b)]);
  });

  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.close();
  });

  it("reply, edit, react, delete for everyone and for me reach the other node; the body leaves PostgreSQL", async () => {
    const ca = await RawClient.connect(a, alice.accessToken);
    const cb = await RawClient.connect(b, bob.accessToken);
    const cb2 = await RawClient.connect(a, bob.accessToken); // bob's second device, on the other node
    clients.push(ca, cb, cb2);
    const { id } = await ca.request("conversations.openDirect", { userId: bob.user.id });
    const secret = `cluster-secret-${randomBytes(4).toString("hex")}`;
    const m = await ca.request("messages.send", { conversationId: id, clientId: "c1", body: secret });
    const reply = await cb.request("messages.send", { conversationId: id, clientId: "c2", body: "re", replyTo: m.seq });
    const got = await ca.waitForEvent(entry(reply.seq));
    assert.equal(got.event === "message" && got.data.replyTo?.preview, secret);

    const edit = await ca.request("messages.edit", { conversationId: id, seq: m.seq, clientId: "c3", body: "edited" });
    const edited = await cb.waitForEvent(entry(edit.ack!.seq));
    assert.equal(edited.event === "message" && edited.data.updated?.body, "edited");

    const react = await cb.request("messages.react", { conversationId: id, seq: m.seq, clientId: "c4", emoji: "👍" });
    const reacted = await ca.waitForEvent(entry(react.ack!.seq));
    assert.deepEqual(reacted.event === "message" && reacted.data.updated?.reactions, [
      { emoji: "👍", count: 1, userIds: [bob.user.id] },
    ]);

    const del = await ca.request("messages.delete", { conversationId: id, seq: m.seq, clientId: "c5", scope: "everyone" });
    const deleted = await cb.waitForEvent(entry(del.ack!.seq));
    assert.ok(deleted.event === "message" && deleted.data.updated?.deletedAt);

    const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    try {
      await db.query(`SET search_path TO ${cluster.schema}`);
      const row = await db.query("SELECT body, deleted_at FROM messages WHERE conversation_id = $1 AND seq = $2", [id, m.seq]);
      assert.equal(row.rows[0].body, null);
      const anywhere = await db.query("SELECT count(*)::int AS n FROM messages WHERE body LIKE $1 OR action::text LIKE $1", [
        `%${secret}%`,
      ]);
      assert.equal(anywhere.rows[0].n, 0);
    } finally {
      await db.end();
    }

    await cb.request("messages.delete", { conversationId: id, seq: reply.seq, clientId: "c6", scope: "me" });
    const hidden = await cb2.waitForEvent((e) => e.event === "message.hidden");
    assert.deepEqual(hidden.data, { conversationId: id, seq: reply.seq });
    const history = await cb2.request("messages.history", { conversationId: id });
    assert.equal(history.messages.find((x) => x.seq === reply.seq)?.hidden, true);
    const theirs = await ca.request("messages.history", { conversationId: id });
    assert.equal(theirs.messages.find((x) => x.seq === reply.seq)?.body, "re");
  });
});
