// Retention and disappearing messages (issue 20, docs/protocol.md §6.14) over the protocol, embedded (SQLite) and as a
// two-node cluster (PostgreSQL + Redis): the settings, their errors and who may change them, and what the members
// see once the sweeper (run with a clock two hours ahead instead of waiting) deleted the expired entries.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame } from "@parley/protocol";
import { probePostgres, probeRedis } from "./cluster-harness.js";
import { http, RawClient, register, startTestCluster, startTestServer, type TestServer, uploadFile } from "./harness.js";
import { requireService } from "./services.js";

const clusterAvailable = await requireService("retention tests on a cluster (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

const HOUR = 3_600_000;

const deployments: [string, () => Promise<{ node: TestServer; other: TestServer; close(): Promise<void> }>, boolean][] = [
  [
    "embedded (SQLite)",
    async () => {
      const server = await startTestServer({ retentionSweepIntervalMs: 0 });
      return { node: server, other: server, close: () => server.close() };
    },
    true,
  ],
  [
    "cluster (PostgreSQL + Redis, two nodes)",
    async () => {
      const cluster = await startTestCluster({
        label: "retention",
        nodeIds: ["r1", "r2"],
        config: { retentionSweepIntervalMs: 0 },
      });
      const [node, other] = cluster.nodes as [TestServer, TestServer];
      return { node, other, close: () => cluster.close() };
    },
    clusterAvailable,
  ],
];

for (const [name, start, available] of deployments) {
  describe(`retention: ${name}`, { skip: !available && "services unavailable", timeout: 120_000 }, () => {
    let d: Awaited<ReturnType<typeof start>>;
    let admin: AuthResult;
    let alice: AuthResult;
    let bob: AuthResult;
    let carol: AuthResult;
    const as = (who: AuthResult, node?: TestServer) => (method: string, path: string, body?: unknown) =>
      http(node ?? d.node, method, path, body, who.accessToken);

    before(async () => {
      d = await start();
      admin = await register(d.node);
      [alice, bob, carol] = [await register(d.node), await register(d.node), await register(d.node)];
    });
    after(() => d?.close());

    it("lets administrators set the server's maximum age, and nobody else", async () => {
      assert.deepEqual((await as(admin)("GET", "/v1/admin/settings")).body, { registration: "open", maxMessageAge: null });
      const refused = await as(alice)("PATCH", "/v1/admin/settings", { maxMessageAge: 3600 });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, "forbidden");
      for (const bad of [59, 0, 1.5, "1d", 3_153_600_001]) {
        const res = await as(admin)("PATCH", "/v1/admin/settings", { maxMessageAge: bad });
        assert.equal(res.status, 400, `maxMessageAge ${JSON.stringify(bad)}`);
        assert.equal(res.body.error.code, "validation_failed");
      }
      const set = await as(admin)("PATCH", "/v1/admin/settings", { maxMessageAge: 30 * 86_400 });
      assert.deepEqual(set.body, { registration: "open", maxMessageAge: 30 * 86_400 });
      // Every node reads the stored value.
      assert.equal((await as(admin, d.other)("GET", "/v1/admin/settings")).body.maxMessageAge, 30 * 86_400);
      const audit = (await as(admin)("GET", "/v1/admin/audit?limit=1")).body.entries[0];
      assert.equal(audit.action, "settings.updated");
      assert.equal(audit.target, "max_message_age");
    });

    it("lets group owners and admins set a retention no longer than the server's, with documented errors", async () => {
      const group = (await as(alice)("POST", "/v1/conversations/group", { title: "Keep", memberIds: [bob.user.id] })).body;
      const path = `/v1/conversations/${group.id}/retention`;
      const byMember = await as(bob)("PUT", path, { seconds: 3600 });
      assert.equal(byMember.status, 403);
      assert.equal(byMember.body.error.code, "forbidden");
      const byOutsider = await as(carol)("PUT", path, { seconds: 3600 });
      assert.equal(byOutsider.status, 404);
      const set = await as(alice)("PUT", path, { seconds: 7 * 86_400 });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      assert.deepEqual(set.body.message.event, { type: "conversation.retention", actorId: alice.user.id, seconds: 7 * 86_400 });
      const tooLong = await as(alice)("PUT", path, { seconds: 31 * 86_400 });
      assert.equal(tooLong.status, 400);
      assert.equal(tooLong.body.error.code, "retention_too_long");
      assert.deepEqual(tooLong.body.error.details, { field: "seconds", max: 30 * 86_400 });
      for (const bad of [10, -1, 3600.5, "week"]) {
        const res = await as(alice)("PUT", path, { seconds: bad });
        assert.equal(res.body.error.code, "validation_failed", `seconds ${JSON.stringify(bad)}`);
      }
      const seen = (await as(bob, d.other)("GET", `/v1/conversations/${group.id}`)).body;
      assert.equal(seen.retention, 7 * 86_400, "the refusals changed nothing");
      assert.equal(seen.maxAge, 7 * 86_400);
      assert.equal(seen.lastSeq, 2, "one entry for the one change");
      // In a direct conversation either member sets it.
      const direct = (await as(bob)("POST", "/v1/conversations/direct", { userId: alice.user.id })).body;
      assert.equal((await as(bob)("PUT", `/v1/conversations/${direct.id}/retention`, { seconds: 86_400 })).status, 200);
      const cleared = await as(alice)("PUT", `/v1/conversations/${direct.id}/retention`, { seconds: null });
      assert.equal(cleared.body.message.event.seconds, null);
      const summary = (await as(alice)("GET", `/v1/conversations/${direct.id}`)).body;
      assert.equal(summary.retention, undefined);
      assert.equal(summary.maxAge, 30 * 86_400, "the server's maximum still applies");
    });

    it("lets any member choose a disappearing timer from the documented ones, shown as an entry", async () => {
      const group = (await as(alice)("POST", "/v1/conversations/group", { title: "Timer", memberIds: [bob.user.id] })).body;
      const path = `/v1/conversations/${group.id}/disappearing`;
      for (const bad of [60, 7200, "1h"]) {
        const res = await as(bob)("PUT", path, { seconds: bad });
        assert.equal(res.body.error.code, "validation_failed", `seconds ${JSON.stringify(bad)}`);
      }
      assert.equal((await as(carol)("PUT", path, { seconds: 3600 })).status, 404);
      const set = await as(bob)("PUT", path, { seconds: 86_400 });
      assert.deepEqual(set.body.message.event, { type: "conversation.disappearing", actorId: bob.user.id, seconds: 86_400 });
      const seen = (await as(alice, d.other)("GET", `/v1/conversations/${group.id}`)).body;
      assert.equal(seen.disappearAfter, 86_400);
      assert.equal(seen.maxAge, 86_400);
      await as(alice)("PUT", path, { seconds: null });
      assert.equal((await as(alice)("GET", `/v1/conversations/${group.id}`)).body.disappearAfter, undefined);
    });

    it("deletes expired entries with their files and search entries; history and sync report the watermark", async () => {
      const group = (await as(alice)("POST", "/v1/conversations/group", { title: "Vanish", memberIds: [bob.user.id] })).body;
      const bytes = Buffer.from(`%PDF-1.4\n% retention ${group.id}\n%%EOF\n`);
      const file = await uploadFile(d.node, alice.accessToken, "notes.pdf", bytes, "application/pdf");
      const word = `vanishword${Date.now()}`;
      const send = (body: string, clientId: string, attachments: string[] = []) =>
        as(alice)("POST", `/v1/conversations/${group.id}/messages`, { clientId, body, attachments });
      assert.equal((await send(`${word} one`, `${group.id}-1`, [file.id])).status, 200);
      assert.equal((await send("two", `${group.id}-2`)).status, 200);
      await as(bob)("PUT", `/v1/conversations/${group.id}/disappearing`, { seconds: 3600 }); // seq 4
      const found = async (q: string) =>
        (await as(alice)("GET", `/v1/search/messages?query=${q}`)).body.results.map(
          (r: { message: { seq: number } }) => r.message.seq,
        );
      assert.deepEqual(await found(word), [2]);
      const signed = (await as(bob)("POST", "/v1/files/sign", { uploadIds: [file.id] })).body.files[0];
      assert.equal((await fetch(d.node.url + signed.url)).status, 200);
      const beforeSync = (await as(bob)("POST", "/v1/sync", { cursors: {} })).body.serverTime as number;
      const live = await RawClient.connect(d.other, bob.accessToken);
      try {
        // Both nodes sweep at once, two hours from now: the store gives each expired range to one of them.
        const now = Date.now() + 2 * HOUR;
        const results = await Promise.all([d.node.services.retention.sweep(now), d.other.services.retention.sweep(now)]);
        const mine = d.node === d.other ? results[0]! : { entries: results[0]!.entries + results[1]!.entries };
        assert.ok(mine.entries >= 4, `every entry of the group expired (${mine.entries})`);
        const event = (await live.waitForEvent(
          (e) => e.event === "messages.expired" && e.data.conversationId === group.id,
        )) as Extract<EventFrame, { event: "messages.expired" }>;
        assert.deepEqual(event.data, { conversationId: group.id, expiredThrough: 4 });
      } finally {
        await live.close();
      }
      const after = await send("after", `${group.id}-3`);
      assert.equal(after.body.seq, 5, "the sequence goes on");

      const history = (await as(bob, d.other)("GET", `/v1/conversations/${group.id}/messages`)).body;
      assert.deepEqual(
        history.messages.map((m: { seq: number }) => m.seq),
        [5],
      );
      assert.equal(history.hasMore, false);
      assert.equal(history.expiredThrough, 4);
      const older = (await as(bob)("GET", `/v1/conversations/${group.id}/messages?before=5`)).body;
      assert.deepEqual(older, { messages: [], hasMore: false, expiredThrough: 4 });

      // A device that held everything up to seq 4 is told they expired; one from scratch starts after the watermark.
      const held = (await as(bob)("POST", "/v1/sync", { cursors: { [group.id]: 5 }, receiptsSince: beforeSync })).body;
      const listed = held.conversations.find((c: { conversationId: string }) => c.conversationId === group.id);
      assert.equal(listed?.expiredThrough, 4);
      assert.deepEqual(listed?.messages, []);
      const fresh = (await as(bob)("POST", "/v1/sync", { cursors: { [group.id]: 0 } })).body;
      const caught = fresh.conversations.find((c: { conversationId: string }) => c.conversationId === group.id);
      assert.deepEqual(
        caught.messages.map((m: { seq: number }) => m.seq),
        [5],
      );
      assert.equal(caught.expiredThrough, 4);
      assert.equal(fresh.hasMore, false, "expired seqs are no gap to fill");
      const summary = (await as(bob)("GET", `/v1/conversations/${group.id}`)).body;
      assert.equal(summary.expiredThrough, 4);

      assert.deepEqual(await found(word), []);
      assert.equal((await fetch(d.node.url + signed.url)).status, 404, "the file went with its message");
      if (d.node === d.other) {
        const sha = createHash("sha256").update(bytes).digest("hex");
        assert.equal(existsSync(join(d.node.dataDir, "media", sha.slice(0, 2), sha.slice(2, 4), sha)), false);
      }
      // Whichever node swept counted it.
      const swept = async (node: TestServer) =>
        (await node.metrics.retentionSwept.get()).values.find((v) => v.labels.kind === "entry")?.value ?? 0;
      assert.ok((await swept(d.node)) + (d.node === d.other ? 0 : await swept(d.other)) >= 4);
    });
  });
}
