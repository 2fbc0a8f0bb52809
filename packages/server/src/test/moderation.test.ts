// Moderation (issue 20), over the protocol, embedded (SQLite) and as a two-node cluster (PostgreSQL + Redis): reports,
// the administrators' queue, removal of a message for everyone, and blocks that stop direct messages either way.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import { probePostgres, probeRedis } from "./cluster-harness.js";
import { http, type ProtocolClient, RawClient, register, startTestCluster, startTestServer, type TestServer } from "./harness.js";
import { requireService } from "./services.js";

const clusterAvailable = await requireService("moderation tests on a cluster (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

/** Short typing and presence timers, so that the block tests see indicators and offline announcements quickly. */
const LIVE = { typingTimeoutMs: 2000, presenceGraceMs: 100 } as const;

const deployments: [string, () => Promise<{ node: TestServer; other: TestServer; close(): Promise<void> }>, boolean][] = [
  [
    "embedded (SQLite)",
    async () => {
      const server = await startTestServer(LIVE);
      return { node: server, other: server, close: () => server.close() };
    },
    true,
  ],
  [
    "cluster (PostgreSQL + Redis, two nodes)",
    async () => {
      const cluster = await startTestCluster({ label: "moderation", nodeIds: ["m1", "m2"], config: LIVE });
      const [node, other] = cluster.nodes as [TestServer, TestServer];
      return { node, other, close: () => cluster.close() };
    },
    clusterAvailable,
  ],
];

for (const [name, start, available] of deployments) {
  describe(`moderation: ${name}`, { skip: !available && "services unavailable", timeout: 120_000 }, () => {
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

    it("takes a member's report, shows it in the queue, and removes the message for everyone", async () => {
      const group = (await as(alice)("POST", "/v1/conversations/group", { title: "Club", memberIds: [bob.user.id] })).body;
      const spam = `buy-cheap-${Date.now()}`;
      const sent = await as(bob)("POST", `/v1/conversations/${group.id}/messages`, { clientId: "s1", body: spam });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      const seq = sent.body.seq as number;

      const report = await as(alice)("POST", "/v1/reports", { conversationId: group.id, seq, reason: "spam", note: "ads" });
      assert.ok(report.status < 300, JSON.stringify(report.body));
      assert.equal(report.body.resolution, null);
      // One open report per reporter and message: a repeat returns it.
      const again = await as(alice)("POST", "/v1/reports", { conversationId: group.id, seq, reason: "other" });
      assert.equal(again.body.id, report.body.id);
      assert.equal(again.body.reason, "spam");
      // Who cannot see the message cannot report it; a bad reason is refused.
      const outsider = await as(carol)("POST", "/v1/reports", { conversationId: group.id, seq, reason: "spam" });
      assert.equal(outsider.body.error.code, "not_found");
      const bad = await as(alice)("POST", "/v1/reports", { conversationId: group.id, seq, reason: "boring" });
      assert.equal(bad.body.error.code, "validation_failed");
      const missing = await as(alice)("POST", "/v1/reports", { conversationId: group.id, seq: 999, reason: "spam" });
      assert.equal(missing.body.error.code, "message_not_found");

      // The queue, on the other node: the report, its reporter and the message as it is.
      assert.equal((await as(alice)("GET", "/v1/admin/reports")).body.error.code, "forbidden");
      const queue = (await as(admin, d.other)("GET", "/v1/admin/reports")).body;
      const listed = queue.reports.find((r: { id: string }) => r.id === report.body.id);
      assert.equal(listed.reporter.id, alice.user.id);
      assert.equal(listed.message.body, spam);
      assert.equal(listed.note, "ads");

      // Removal by an administrator who is not a member: a delete entry marked `by: "admin"`, seen live by members.
      const live = await RawClient.connect(d.other, alice.accessToken);
      try {
        const removed = await as(admin)("POST", `/v1/admin/conversations/${group.id}/messages/${seq}/remove`, {});
        assert.equal(removed.status, 200, JSON.stringify(removed.body));
        assert.deepEqual(removed.body.message.action, { type: "delete", target: seq, by: "admin" });
        const event = await live.waitForEvent(
          (e) => e.event === "message" && e.data.conversationId === group.id && e.data.action?.type === "delete",
        );
        assert.equal(event.event === "message" && event.data.action?.type === "delete" && event.data.action.by, "admin");
      } finally {
        await live.close();
      }
      const history = (await as(bob)("GET", `/v1/conversations/${group.id}/messages`)).body.messages as {
        seq: number;
        body: string | null;
        deletedAt?: number;
      }[];
      const tombstone = history.find((m) => m.seq === seq)!;
      assert.equal(tombstone.body, null);
      assert.ok(tombstone.deletedAt);
      const found = (await as(bob)("GET", `/v1/search/messages?query=${spam}`)).body;
      assert.equal(JSON.stringify(found).includes(spam), false, "the removed message is out of search");

      // The report is resolved as removed; the open queue no longer has it; the audit log says who did it.
      const open = (await as(admin)("GET", "/v1/admin/reports")).body.reports as { id: string }[];
      assert.equal(
        open.some((r) => r.id === report.body.id),
        false,
      );
      const resolved = (await as(admin)("GET", "/v1/admin/reports?status=resolved")).body.reports;
      const done = resolved.find((r: { id: string }) => r.id === report.body.id);
      assert.equal(done.resolution, "removed");
      assert.equal(done.resolvedBy, admin.user.id);
      assert.equal(done.message.body, null);
      const entries = (await as(admin)("GET", "/v1/admin/audit")).body.entries as { action: string; actorId: string }[];
      assert.equal(entries[0]?.action, "message.removed");
      assert.equal(entries[0]?.actorId, admin.user.id);
      // A removed message cannot be removed or reported again.
      const twice = await as(alice)("POST", "/v1/reports", { conversationId: group.id, seq, reason: "spam" });
      assert.equal(twice.body.error.code, "message_deleted");
    });

    it("dismisses a report, leaving the message", async () => {
      const group = (await as(alice)("POST", "/v1/conversations/group", { title: "Two", memberIds: [bob.user.id] })).body;
      const sent = await as(bob)("POST", `/v1/conversations/${group.id}/messages`, { clientId: "d1", body: "fine" });
      const report = await as(alice)("POST", "/v1/reports", {
        conversationId: group.id,
        seq: sent.body.seq,
        reason: "harassment",
      });
      const dismissed = await as(admin)("POST", `/v1/admin/reports/${report.body.id}/resolve`, {});
      assert.equal(dismissed.body.resolution, "dismissed");
      assert.equal(dismissed.body.message.body, "fine");
      assert.equal((await as(admin)("POST", "/v1/admin/reports/nope/resolve", {})).body.error.code, "not_found");
      const entries = (await as(admin)("GET", "/v1/admin/audit")).body.entries as { action: string; target: string }[];
      assert.deepEqual([entries[0]?.action, entries[0]?.target], ["report.dismissed", report.body.id]);
      // Resolved, so the reporter may report it again.
      const again = await as(alice)("POST", "/v1/reports", { conversationId: group.id, seq: sent.body.seq, reason: "spam" });
      assert.notEqual(again.body.id, report.body.id);
    });

    it("stops direct messages either way while a block stands", async () => {
      const direct = (await as(alice)("POST", "/v1/conversations/direct", { userId: carol.user.id })).body;
      assert.equal(
        (await as(carol)("POST", `/v1/conversations/${direct.id}/messages`, { clientId: "b0", body: "hi" })).status,
        200,
      );
      assert.equal((await as(alice)("PUT", `/v1/blocks/${carol.user.id}`)).status < 300, true);
      const blocked = await as(carol)("POST", `/v1/conversations/${direct.id}/messages`, { clientId: "b1", body: "hi" });
      assert.equal(blocked.body.error.code, "not_allowed");
      const blocker = await as(alice, d.other)("POST", `/v1/conversations/${direct.id}/messages`, {
        clientId: "b2",
        body: "hi",
      });
      assert.equal(blocker.body.error.code, "not_allowed");
      assert.equal(blocker.body.error.details.reason, "blocking");
      await as(alice)("DELETE", `/v1/blocks/${carol.user.id}`);
      const after = await as(alice, d.other)("POST", `/v1/conversations/${direct.id}/messages`, { clientId: "b3", body: "ok" });
      assert.equal(after.status, 200);
    });

    it("hides presence and typing either way while a block stands, at once and on every node", async () => {
      const [dan, erin, fay] = [await register(d.node), await register(d.node), await register(d.node)];
      const group = (await as(dan)("POST", "/v1/conversations/group", { title: "Trio", memberIds: [erin.user.id, fay.user.id] }))
        .body;
      // Dan on one node, Erin on the other, Fay (who blocks nobody) beside Erin as the witness that events do flow.
      const clients: ProtocolClient[] = [];
      const connect = async (who: AuthResult, node: TestServer) => {
        const client = await RawClient.connect(node, who.accessToken);
        clients.push(client);
        return client;
      };
      try {
        const [dc, ec, fc] = [await connect(dan, d.node), await connect(erin, d.other), await connect(fay, d.other)];
        const ids = [dan.user.id, erin.user.id, fay.user.id];
        for (const c of [dc, ec, fc]) assert.equal((await c.request("presence.subscribe", { userIds: ids })).presence.length, 3);
        const typingFrom = (c: ProtocolClient, who: AuthResult, typing: boolean, since: number) =>
          c.waitForEvent(
            (e) =>
              c.events.indexOf(e) >= since &&
              e.event === "typing" &&
              e.data.userId === who.user.id &&
              e.data.conversationId === group.id &&
              e.data.typing === typing,
          );
        // Before the block, typing flows between them.
        await dc.request("typing", { conversationId: group.id, typing: true });
        await typingFrom(ec, dan, true, 0);
        await dc.request("typing", { conversationId: group.id, typing: false });
        await typingFrom(ec, dan, false, 0);

        assert.equal((await as(dan)("PUT", `/v1/blocks/${erin.user.id}`)).status < 300, true);
        // presence.query leaves the other out, as for any user one may not see, on both nodes and both ways.
        const query = (who: AuthResult, node: TestServer, userIds: string[]) =>
          as(who, node)("POST", "/v1/presence/query", { userIds });
        assert.deepEqual(
          (await query(erin, d.other, [dan.user.id, fay.user.id])).body.presence.map((p: { userId: string }) => p.userId),
          [fay.user.id],
        );
        assert.deepEqual((await query(dan, d.node, [erin.user.id])).body.presence, []);
        assert.deepEqual((await ec.request("presence.subscribe", { userIds: [dan.user.id] })).presence, []);
        assert.deepEqual((await dc.request("presence.subscribe", { userIds: [erin.user.id] })).presence, []);

        // Typing, both ways: Fay gets it, the other one of the pair does not.
        const [dMark, eMark, fMark] = [dc.events.length, ec.events.length, fc.events.length];
        await dc.request("typing", { conversationId: group.id, typing: true });
        await ec.request("typing", { conversationId: group.id, typing: true });
        await typingFrom(fc, dan, true, fMark);
        await typingFrom(fc, erin, true, fMark);
        // The watches made before the block ended: Dan going offline reaches Fay, not Erin (and Erin's, not Dan).
        await dc.close();
        await fc.waitForEvent((e) => e.event === "presence" && e.data.userId === dan.user.id && !e.data.online);
        await ec.close();
        await fc.waitForEvent((e) => e.event === "presence" && e.data.userId === erin.user.id && !e.data.online);
        const leaked = (c: ProtocolClient, mark: number, other: AuthResult) =>
          c.events.slice(mark).filter((e) => "userId" in e.data && e.data.userId === other.user.id);
        assert.deepEqual(leaked(ec, eMark, dan), []);
        assert.deepEqual(leaked(dc, dMark, erin), []);

        // Unblocked: both see each other again.
        await as(dan)("DELETE", `/v1/blocks/${erin.user.id}`);
        const back = await connect(erin, d.other);
        assert.deepEqual(
          (await back.request("presence.query", { userIds: [dan.user.id] })).presence.map((p) => p.userId),
          [dan.user.id],
        );
        const dan2 = await connect(dan, d.node);
        await dan2.request("typing", { conversationId: group.id, typing: true });
        await typingFrom(back, dan, true, 0);
      } finally {
        await Promise.all(clients.map((c) => c.close()));
      }
    });

    it("bans from a group: removes, refuses re-adding until unbanned, listed to the owner and admins only", async () => {
      const [owner, mod, member, pest, leaver] = [
        await register(d.node),
        await register(d.node),
        await register(d.node),
        await register(d.node),
        await register(d.node),
      ];
      const memberIds = [mod.user.id, member.user.id, pest.user.id, leaver.user.id];
      const group = (await as(owner)("POST", "/v1/conversations/group", { title: "Banned", memberIds })).body;
      const base = `/v1/conversations/${group.id}`;
      await as(owner)("PATCH", `${base}/members/${mod.user.id}`, { role: "admin" });
      const live = await RawClient.connect(d.other, pest.accessToken);
      try {
        // A plain member may not ban or list bans; an admin may not ban an admin or the owner.
        assert.equal((await as(member)("POST", `${base}/bans`, { userId: pest.user.id })).body.error.code, "forbidden");
        assert.equal((await as(member)("GET", `${base}/bans`)).body.error.code, "forbidden");
        assert.equal((await as(mod)("POST", `${base}/bans`, { userId: owner.user.id })).body.error.code, "forbidden");
        assert.equal((await as(mod, d.other)("GET", `${base}/bans`)).body.bans.length, 0);

        const banned = await as(mod, d.other)("POST", `${base}/bans`, { userId: pest.user.id, reason: "spam" });
        assert.equal(banned.status, 200, JSON.stringify(banned.body));
        assert.equal(banned.body.message.event.type, "member.removed");
        assert.deepEqual(
          [banned.body.ban.userId, banned.body.ban.bannedBy, banned.body.ban.reason],
          [pest.user.id, mod.user.id, "spam"],
        );
        // The banned user learns of the removal like any removed member, on the other node.
        await live.waitForEvent(
          (e) => e.event === "message" && e.data.conversationId === group.id && e.data.event?.type === "member.removed",
        );
        const refused = await as(owner)("POST", `${base}/members`, { userIds: [member.user.id, pest.user.id] });
        assert.equal(refused.status, 403);
        assert.deepEqual(refused.body.error.details, { field: "userIds", userId: pest.user.id, reason: "banned" });
        assert.equal(
          (await as(pest)("POST", `${base}/messages`, { clientId: "x", body: "back?" })).body.error.code,
          "not_member",
        );

        // A past member can be banned too, without an entry; a repeated ban keeps the first.
        await as(leaver)("POST", `${base}/leave`, {});
        const past = await as(owner)("POST", `${base}/bans`, { userId: leaver.user.id });
        assert.equal(past.body.message, null);
        const again = await as(owner)("POST", `${base}/bans`, { userId: pest.user.id, reason: "other" });
        assert.equal(again.body.ban.reason, "spam");
        assert.equal(again.body.message, null);
        assert.deepEqual(
          (await as(owner)("GET", `${base}/bans`)).body.bans.map((b: { userId: string }) => b.userId),
          [pest.user.id, leaver.user.id],
        );
        const unknown = await as(owner)("POST", `${base}/bans`, { userId: "Unobody000000" });
        assert.deepEqual([unknown.body.error.code, unknown.body.error.details.field], ["not_found", "userId"]);

        // Unbanned: can be added again (by anyone allowed to add); unbanning twice is not an error.
        const unbanned = await as(mod)("DELETE", `${base}/bans/${pest.user.id}`);
        assert.deepEqual(
          unbanned.body.bans.map((b: { userId: string }) => b.userId),
          [leaver.user.id],
        );
        assert.equal((await as(mod)("DELETE", `${base}/bans/${pest.user.id}`)).status, 200);
        const readded = await as(owner, d.other)("POST", `${base}/members`, { userIds: [pest.user.id] });
        assert.equal(readded.status, 200, JSON.stringify(readded.body));
      } finally {
        await live.close();
      }
    });
  });
}
