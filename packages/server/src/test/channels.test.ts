// Channels (issue 21, docs/channels.md, docs/protocol.md §6.17) over the protocol, embedded (SQLite) and as a two-node
// cluster (PostgreSQL + Redis): creation and settings, the directory, joining, paged members, bulk membership changes,
// who may post, the member limit, and what `conversations.get` and `sync` show of a channel's members.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, EventFrame, Message } from "@parley/protocol";
import { probePostgres, probeRedis } from "./cluster-harness.js";
import { http, RawClient, register, sleep, startTestCluster, startTestServer, type TestServer } from "./harness.js";
import { requireService } from "./services.js";

const clusterAvailable = await requireService("channel tests on a cluster (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

/** Small enough to reach in a test: the creator and five more. */
const MAX_MEMBERS = 6;

const deployments: [string, () => Promise<{ node: TestServer; other: TestServer; close(): Promise<void> }>, boolean][] = [
  [
    "embedded (SQLite)",
    async () => {
      const server = await startTestServer({ maxChannelMembers: MAX_MEMBERS });
      return { node: server, other: server, close: () => server.close() };
    },
    true,
  ],
  [
    "cluster (PostgreSQL + Redis, two nodes)",
    async () => {
      const cluster = await startTestCluster({
        label: "channels",
        nodeIds: ["c1", "c2"],
        config: { maxChannelMembers: MAX_MEMBERS },
      });
      const [node, other] = cluster.nodes as [TestServer, TestServer];
      return { node, other, close: () => cluster.close() };
    },
    clusterAvailable,
  ],
];

for (const [name, start, available] of deployments) {
  describe(`channels: ${name}`, { skip: !available && "services unavailable", timeout: 120_000 }, () => {
    let d: Awaited<ReturnType<typeof start>>;
    let users: AuthResult[];
    let alice: AuthResult;
    let bob: AuthResult;
    let carol: AuthResult;
    const as = (who: AuthResult, node?: TestServer) => (method: string, path: string, body?: unknown) =>
      http(node ?? d.node, method, path, body, who.accessToken);
    const send = async (who: AuthResult, conversationId: string, body: string) =>
      as(who)("POST", `/v1/conversations/${conversationId}/messages`, { clientId: `c-${Math.random()}`, body });
    const tag = `t${process.pid}${Date.now().toString(36)}`;

    before(async () => {
      d = await start();
      users = [];
      for (let i = 0; i < 8; i++) users.push(await register(d.node));
      [alice, bob, carol] = users as [AuthResult, AuthResult, AuthResult];
    });
    after(() => d?.close());

    it("creates a channel with its settings; get shows memberCount and only the caller's own membership", async () => {
      const created = await as(alice)("POST", "/v1/channels", { title: `${tag} News`, visibility: "public" });
      assert.equal(created.status, 200, JSON.stringify(created.body));
      const c = created.body;
      assert.equal(c.kind, "channel");
      assert.deepEqual(c.channel, { visibility: "public", posting: "everyone", history: "full" });
      assert.equal(c.memberCount, 1);
      assert.deepEqual(
        c.members.map((m: { userId: string; role: string }) => [m.userId, m.role]),
        [[alice.user.id, "admin"]],
      );
      for (const bad of [{ title: "x", visibility: "secret" }, { title: "x", visibility: "public", posting: "nobody" }, {}]) {
        const res = await as(alice)("POST", "/v1/channels", bad);
        assert.equal(res.body.error.code, "validation_failed", JSON.stringify(bad));
      }
      await as(bob, d.other)("POST", `/v1/channels/${c.id}/join`);
      const seen = (await as(bob, d.other)("GET", `/v1/conversations/${c.id}`)).body;
      assert.equal(seen.kind, "channel");
      assert.equal(seen.memberCount, 2);
      assert.deepEqual(
        seen.members.map((m: { userId: string }) => m.userId),
        [bob.user.id],
      );
      const listed = (await as(bob)("GET", "/v1/conversations")).body.conversations.find((x: { id: string }) => x.id === c.id);
      assert.equal(listed.memberCount, 2);
      assert.equal(listed.members.length, 1);
      const synced = (await as(bob)("POST", "/v1/sync", { cursors: {} })).body.conversations.find(
        (x: { conversationId: string }) => x.conversationId === c.id,
      );
      assert.deepEqual(
        synced.members.map((m: { userId: string }) => m.userId),
        [bob.user.id],
      );
    });

    it("lists public channels by title prefix in pages, never private ones", async () => {
      const titles = ["Alpha", "alps", "Altitude", "Beta"].map((t) => `${tag}dir ${t}`);
      for (const title of titles) await as(alice)("POST", "/v1/channels", { title, visibility: "public" });
      await as(alice)("POST", "/v1/channels", { title: `${tag}dir Also private`, visibility: "private" });
      const seen: string[] = [];
      let cursor: string | null | undefined;
      do {
        const q = new URLSearchParams({ query: `${tag}DIR AL`, limit: "2", ...(cursor ? { cursor } : {}) });
        const page = (await as(carol, d.other)("GET", `/v1/channels?${q}`)).body;
        assert.ok(page.channels.length <= 2);
        seen.push(...page.channels.map((l: { title: string; memberCount: number }) => l.title));
        cursor = page.next;
      } while (cursor);
      assert.deepEqual(seen, titles.slice(0, 3), "by title in any case, paged, without the private one");
      const bad = await as(carol)("GET", "/v1/channels?cursor=garbage");
      assert.equal(bad.body.error.code, "validation_failed");
    });

    it("joins public channels only; history full shows the past, from_join does not", async () => {
      const full = (await as(alice)("POST", "/v1/channels", { title: "Full", visibility: "public" })).body;
      const fromJoin = (await as(alice)("POST", "/v1/channels", { title: "Later", visibility: "public", history: "from_join" }))
        .body;
      const secret = (await as(alice)("POST", "/v1/channels", { title: "Hidden", visibility: "private" })).body;
      await send(alice, full.id, "before carol");
      await send(alice, fromJoin.id, "before carol");
      const joined = await as(carol, d.other)("POST", `/v1/channels/${full.id}/join`);
      assert.equal(joined.body.memberCount, 2);
      const again = await as(carol)("POST", `/v1/channels/${full.id}/join`);
      assert.equal(again.status, 200, "joining again answers the channel");
      assert.equal(again.body.memberCount, 2);
      await as(carol)("POST", `/v1/channels/${fromJoin.id}/join`);
      const bodies = async (id: string) =>
        (await as(carol)("GET", `/v1/conversations/${id}/messages`)).body.messages
          .filter((m: { kind: string }) => m.kind === "text")
          .map((m: { body: string }) => m.body);
      assert.deepEqual(await bodies(full.id), ["before carol"]);
      assert.deepEqual(await bodies(fromJoin.id), []);
      // Reading the past does not make it unread.
      const summary = (await as(carol)("GET", `/v1/conversations/${full.id}`)).body;
      assert.equal(summary.unread, 0);
      const hidden = await as(carol)("POST", `/v1/channels/${secret.id}/join`);
      assert.equal(hidden.status, 404);
      assert.equal(hidden.body.error.code, "not_found");
      const group = (await as(alice)("POST", "/v1/conversations/group", { title: "G", memberIds: [bob.user.id] })).body;
      assert.equal((await as(bob)("POST", `/v1/channels/${group.id}/join`)).body.error.code, "forbidden");
      // Leaving is the conversations' own operation.
      const left = await as(carol)("POST", `/v1/conversations/${full.id}/leave`);
      assert.equal(left.body.message.event.type, "member.left");
      assert.equal((await as(alice)("GET", `/v1/conversations/${full.id}`)).body.memberCount, 1);
    });

    it("adds and removes many members with one entry each; pages members by role with a prefix query", async () => {
      const c = (await as(alice)("POST", "/v1/channels", { title: "Team", visibility: "private" })).body;
      const ids = users.slice(1, 5).map((u) => u.user.id);
      const added = await as(alice)("POST", `/v1/channels/${c.id}/members`, { userIds: ids });
      assert.equal(added.status, 200, JSON.stringify(added.body));
      assert.deepEqual(added.body.message.event, { type: "member.added", actorId: alice.user.id, userIds: ids });
      assert.equal((await as(alice)("GET", `/v1/conversations/${c.id}`)).body.lastSeq, 2, "one entry for four members");
      const byMember = await as(bob)("POST", `/v1/channels/${c.id}/members`, { userIds: [users[5]!.user.id] });
      assert.equal(byMember.body.error.code, "forbidden");
      const viaGroupOp = await as(alice)("POST", `/v1/conversations/${c.id}/members`, { userIds: [users[5]!.user.id] });
      assert.equal(viaGroupOp.body.error.code, "forbidden", "members.add is for groups");
      // Members, admins first, then by user id, in pages of two.
      const pages: string[][] = [];
      let cursor: string | undefined;
      do {
        const q = new URLSearchParams({ limit: "2", ...(cursor ? { cursor } : {}) });
        const page = (await as(bob, d.other)("GET", `/v1/channels/${c.id}/members?${q}`)).body;
        pages.push(page.members.map((m: { user: { id: string } }) => m.user.id));
        assert.ok(page.members.every((m: { user: { passwordHash?: string } }) => m.user.passwordHash === undefined));
        cursor = page.next ?? undefined;
      } while (cursor);
      assert.deepEqual(pages.flat(), [alice.user.id, ...[...ids].sort()]);
      const byName = (
        await as(bob)("GET", `/v1/channels/${c.id}/members?query=${encodeURIComponent(carol.user.username.toUpperCase())}`)
      ).body;
      assert.deepEqual(
        byName.members.map((m: { user: { id: string } }) => m.user.id),
        [carol.user.id],
      );
      // Removal: one entry for all, the caller cannot remove themself, none current → not_member.
      const self = await as(alice)("POST", `/v1/channels/${c.id}/members/remove`, { userIds: [alice.user.id] });
      assert.equal(self.body.error.code, "forbidden");
      const removed = await as(alice)("POST", `/v1/channels/${c.id}/members/remove`, { userIds: ids.slice(0, 3) });
      assert.deepEqual(removed.body.message.event, { type: "members.removed", actorId: alice.user.id, userIds: ids.slice(0, 3) });
      const none = await as(alice)("POST", `/v1/channels/${c.id}/members/remove`, { userIds: ids.slice(0, 3) });
      assert.equal(none.body.error.code, "not_member");
      assert.equal((await as(bob)("GET", `/v1/conversations/${c.id}/messages`)).body.messages.length, 3, "up to the removal");
      assert.equal((await send(bob, c.id, "still here?")).body.error.code, "not_member");
      assert.equal((await as(alice)("GET", `/v1/conversations/${c.id}`)).body.memberCount, 2);
    });

    it("lets only admins post where posting is admins; admins promote members", async () => {
      const c = (await as(alice)("POST", "/v1/channels", { title: "Announce", visibility: "public", posting: "admins" })).body;
      await as(bob)("POST", `/v1/channels/${c.id}/join`);
      const refused = await send(bob, c.id, "me too");
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, "forbidden");
      assert.equal(refused.body.error.details.reason, "posting");
      assert.equal((await send(alice, c.id, "news")).status, 200);
      const promoted = await as(alice)("PATCH", `/v1/conversations/${c.id}/members/${bob.user.id}`, { role: "admin" });
      assert.equal(promoted.body.message.event.type, "member.role");
      assert.equal((await send(bob, c.id, "now I can")).status, 200);
      assert.equal((await as(carol)("POST", `/v1/conversations/${c.id}/messages`, { clientId: "x", body: "y" })).status, 404);
    });

    it("fans out on the channel's topic to every member's sessions on every node, following joins and removals", async () => {
      const c = (await as(alice)("POST", "/v1/channels", { title: "Live", visibility: "public" })).body;
      await as(bob)("POST", `/v1/channels/${c.id}/join`);
      const [aliceWs, bobWs, carolWs] = [
        await RawClient.connect(d.node, alice.accessToken),
        await RawClient.connect(d.other, bob.accessToken),
        await RawClient.connect(d.other, carol.accessToken),
      ];
      try {
        const text = (client: RawClient, body: string) =>
          client.waitForEvent((e: EventFrame) => e.event === "message" && (e.data as Message).body === body, 5000);
        await send(alice, c.id, "one");
        await text(bobWs, "one");
        await text(aliceWs, "one");
        // Carol joins while connected: her session follows the channel from her member.added on.
        await as(carol)("POST", `/v1/channels/${c.id}/join`);
        await carolWs.waitForEvent(
          (e: EventFrame) => e.event === "message" && (e.data as Message).event?.type === "member.added",
          5000,
        );
        await sleep(200);
        await send(alice, c.id, "two");
        await text(carolWs, "two");
        assert.equal(carolWs.events.filter((e) => (e.data as Message).body === "one").length, 0, "nothing from before");
        // Removed: she receives her removal, then nothing more.
        await as(alice)("POST", `/v1/channels/${c.id}/members/remove`, { userIds: [carol.user.id] });
        await carolWs.waitForEvent(
          (e: EventFrame) => e.event === "message" && (e.data as Message).event?.type === "members.removed",
          5000,
        );
        await sleep(200);
        await send(alice, c.id, "three");
        await text(bobWs, "three");
        await sleep(300);
        assert.equal(carolWs.events.filter((e) => (e.data as Message).body === "three").length, 0, "removed: nothing after");
        // Each entry reached bob once.
        assert.equal(bobWs.events.filter((e) => (e.data as Message).body === "two").length, 1);
        // No delivered receipts in channels, and no receipts events: read positions only.
        const two = bobWs.events.find((e) => (e.data as Message).body === "two")!.data as Message;
        const marked = await bobWs.request("receipts.mark", { conversationId: c.id, delivered: two.seq });
        assert.ok(marked.deliveredSeq < two.seq, "delivered is ignored");
        assert.equal(marked.readSeq, marked.deliveredSeq, "only the position from joining");
        const read = await bobWs.request("receipts.mark", { conversationId: c.id, read: two.seq });
        assert.equal(read.readSeq, two.seq);
        await sleep(300);
        assert.equal(aliceWs.events.filter((e) => e.event === "receipts").length, 0, "no receipts events in channels");
        const count = await aliceWs.request("channels.readCount", { conversationId: c.id, seq: two.seq });
        assert.equal(count.count, 1, "bob read it; alice's own position is behind");
        // Typing is off, presence is not shared by a channel.
        await assert.rejects(bobWs.request("typing", { conversationId: c.id, typing: true }), /channel|not_allowed/);
        // Two users who share nothing but a channel (the others here share groups from earlier tests).
        const [host, guest] = [users[7]!, users[6]!];
        const shared = (await as(host)("POST", "/v1/channels", { title: "Presence", visibility: "public" })).body;
        await as(guest)("POST", `/v1/channels/${shared.id}/join`);
        const hostWs = await RawClient.connect(d.node, host.accessToken);
        const guestWs = await RawClient.connect(d.other, guest.accessToken);
        try {
          const presence = await guestWs.request("presence.query", { userIds: [host.user.id] });
          assert.equal(presence.presence[0]?.online ?? false, false, "a channel does not make presence visible");
          await as(host)("POST", "/v1/conversations/group", { title: "Now shared", memberIds: [guest.user.id] });
          const visible = await guestWs.request("presence.query", { userIds: [host.user.id] });
          assert.equal(visible.presence[0]?.online, true, "a group does (the check can fail)");
        } finally {
          await Promise.all([hostWs.close(), guestWs.close()]);
        }
      } finally {
        await Promise.all([aliceWs.close(), bobWs.close(), carolWs.close()]);
      }
    });

    it("shows a late joiner of a from_join channel no quote from before their join, live and in history", async () => {
      const c = (await as(alice)("POST", "/v1/channels", { title: "Quotes", visibility: "public", history: "from_join" })).body;
      await as(bob)("POST", `/v1/channels/${c.id}/join`);
      const old = (await send(alice, c.id, "old secret")).body;
      await as(carol)("POST", `/v1/channels/${c.id}/join`);
      const [bobWs, carolWs] = [
        await RawClient.connect(d.node, bob.accessToken),
        await RawClient.connect(d.other, carol.accessToken),
      ];
      try {
        await as(alice)("POST", `/v1/conversations/${c.id}/messages`, { clientId: `q-${tag}`, body: "reply", replyTo: old.seq });
        const reply = (client: RawClient) =>
          client.waitForEvent((e: EventFrame) => e.event === "message" && (e.data as Message).body === "reply", 5000);
        const [forBob, forCarol] = [(await reply(bobWs)).data as Message, (await reply(carolWs)).data as Message];
        assert.equal(forBob.replyTo?.preview, "old secret");
        assert.equal(forCarol.replyTo?.withheld, true, "carol joined after the quoted message");
        assert.equal(forCarol.replyTo?.preview, null);
      } finally {
        await Promise.all([bobWs.close(), carolWs.close()]);
      }
    });

    it("syncs a member far behind, or new to a full-history channel, to the newest page; history pages the rest", async () => {
      const c = (await as(alice)("POST", "/v1/channels", { title: "Busy", visibility: "public" })).body;
      for (let i = 1; i <= 60; i++) await send(alice, c.id, `busy ${i}`);
      await as(carol)("POST", `/v1/channels/${c.id}/join`);
      const lastSeq = (await as(alice)("GET", `/v1/conversations/${c.id}`)).body.lastSeq;
      const ofChannel = (r: { body: { conversations: { conversationId: string }[] } }) =>
        r.body.conversations.find((x) => x.conversationId === c.id) as
          | { messages: Message[]; skippedThrough?: number; lastSeq: number }
          | undefined;
      // Joined with history "full": the whole sequence is readable, sync starts at the newest page.
      const fresh = ofChannel(await as(carol, d.other)("POST", "/v1/sync", { cursors: {} }))!;
      assert.equal(fresh.lastSeq, lastSeq);
      assert.equal(fresh.messages.length, 50);
      assert.equal(fresh.skippedThrough, lastSeq - 50);
      assert.equal(fresh.messages[0]!.seq, lastSeq - 49);
      const older = (await as(carol)("GET", `/v1/conversations/${c.id}/messages?before=${lastSeq - 49}&limit=5`)).body;
      assert.equal(older.messages.at(-1).seq, lastSeq - 50, "history continues right below the page");
      assert.equal(older.hasMore, true);
      // A device one page behind or less gets everything after its cursor, nothing skipped.
      const near = ofChannel(await as(carol)("POST", "/v1/sync", { cursors: { [c.id]: lastSeq - 10 } }))!;
      assert.equal(near.messages.length, 10);
      assert.equal(near.skippedThrough, undefined);
      // A group is never cut this way.
      const g = (await as(alice)("POST", "/v1/conversations/group", { title: "Busy group", memberIds: [carol.user.id] })).body;
      for (let i = 1; i <= 60; i++) await send(alice, g.id, `g ${i}`);
      const group = (await as(carol)("POST", "/v1/sync", { cursors: { [g.id]: 0 } })).body.conversations.find(
        (x: { conversationId: string }) => x.conversationId === g.id,
      );
      assert.equal(group.messages.length, 61);
      assert.equal(group.skippedThrough, undefined);
    });

    it("joins a private channel by its admins' invitation links: uses, revocation, listing, scope", async () => {
      const c = (await as(alice)("POST", "/v1/channels", { title: "Invited", visibility: "private" })).body;
      const byMember = await as(alice)("POST", `/v1/channels/${c.id}/members`, { userIds: [bob.user.id] });
      assert.equal(byMember.status, 200);
      assert.equal((await as(bob)("POST", `/v1/channels/${c.id}/invites`, {})).body.error.code, "forbidden", "admins only");
      const made = await as(alice)("POST", `/v1/channels/${c.id}/invites`, { maxUses: 1, note: " for carol " });
      assert.equal(made.status, 200, JSON.stringify(made.body));
      const invite = made.body;
      assert.equal(invite.conversationId, c.id);
      assert.equal(invite.note, "for carol");
      assert.equal(invite.uses, 0);
      assert.ok(invite.expiresAt > Date.now() + 6 * 86_400_000, "a week by default");
      const listed = (await as(alice, d.other)("GET", `/v1/channels/${c.id}/invites`)).body.invites;
      assert.deepEqual(
        listed.map((i: { id: string; token?: string }) => [i.id, i.token]),
        [[invite.id, undefined]],
      );
      // A wrong secret, a malformed token: unknown; nothing counted.
      const join = (who: AuthResult, token: string, node?: TestServer) =>
        as(who, node)("POST", "/v1/channels/join-by-invite", { token });
      const wrong = await join(carol, `${invite.id}.nope`);
      assert.equal(wrong.status, 403);
      assert.deepEqual([wrong.body.error.code, wrong.body.error.details.reason], ["invalid_invite", "unknown"]);
      // A current member joins without spending the use.
      assert.equal((await join(bob, invite.token)).body.memberCount, 2);
      const joined = await join(carol, invite.token, d.other);
      assert.equal(joined.status, 200, JSON.stringify(joined.body));
      assert.equal(joined.body.id, c.id);
      assert.equal(joined.body.memberCount, 3);
      assert.deepEqual((await as(alice)("GET", `/v1/channels/${c.id}/invites`)).body.invites, [], "used up: not listed");
      const usedUp = await join(users[3]!, invite.token);
      assert.deepEqual([usedUp.body.error.code, usedUp.body.error.details.reason], ["invalid_invite", "used_up"]);
      // Revocation: idempotent, the link stops working, another channel cannot revoke it.
      const other = (await as(alice)("POST", `/v1/channels/${c.id}/invites`, {})).body;
      const elsewhere = (await as(alice)("POST", "/v1/channels", { title: "Elsewhere", visibility: "private" })).body;
      const foreign = await as(alice)("DELETE", `/v1/channels/${elsewhere.id}/invites/${other.id}`);
      assert.equal(foreign.body.error.code, "not_found");
      const revoked = await as(alice)("DELETE", `/v1/channels/${c.id}/invites/${other.id}`);
      assert.ok(revoked.body.revokedAt);
      const again = await as(alice, d.other)("DELETE", `/v1/channels/${c.id}/invites/${other.id}`);
      assert.equal(again.body.revokedAt, revoked.body.revokedAt);
      const late = await join(users[3]!, other.token);
      assert.deepEqual([late.body.error.code, late.body.error.details.reason], ["invalid_invite", "revoked"]);
      // A channel's link is no invitation to register on the server.
      const registered = await http(d.node, "POST", "/v1/auth/register", {
        username: `${tag}inv`.slice(0, 30),
        password: "correct horse battery",
        invite: (await as(alice)("POST", `/v1/channels/${c.id}/invites`, {})).body.token,
      });
      assert.equal(registered.status, 403, JSON.stringify(registered.body));
      assert.deepEqual([registered.body.error.code, registered.body.error.details.reason], ["invalid_invite", "unknown"]);
      assert.equal((await as(alice)("GET", `/v1/conversations/${c.id}`)).body.memberCount, 3);
    });

    it("gives a link's use back when the channel is full", async () => {
      const c = (await as(alice)("POST", "/v1/channels", { title: "Full by link", visibility: "private" })).body;
      const ids = users.slice(1, MAX_MEMBERS).map((u) => u.user.id);
      await as(alice)("POST", `/v1/channels/${c.id}/members`, { userIds: ids });
      const invite = (await as(alice)("POST", `/v1/channels/${c.id}/invites`, { maxUses: 1 })).body;
      const full = await as(users[MAX_MEMBERS]!)("POST", "/v1/channels/join-by-invite", { token: invite.token });
      assert.equal(full.body.error.code, "group_full");
      const [listed] = (await as(alice)("GET", `/v1/channels/${c.id}/invites`)).body.invites;
      assert.equal(listed.uses, 0, "the use is given back");
      await as(alice)("POST", `/v1/channels/${c.id}/members/remove`, { userIds: [ids[0]] });
      const joined = await as(users[MAX_MEMBERS]!)("POST", "/v1/channels/join-by-invite", { token: invite.token });
      assert.equal(joined.body.memberCount, MAX_MEMBERS);
    });

    it("refuses members beyond the channel limit (group_full), and nobody is added", async () => {
      const c = (await as(alice)("POST", "/v1/channels", { title: "Small", visibility: "public" })).body;
      const ids = users.slice(1, MAX_MEMBERS + 1).map((u) => u.user.id);
      const tooMany = await as(alice)("POST", `/v1/channels/${c.id}/members`, { userIds: ids });
      assert.equal(tooMany.body.error.code, "group_full");
      assert.equal((await as(alice)("GET", `/v1/conversations/${c.id}`)).body.memberCount, 1);
      await as(alice)("POST", `/v1/channels/${c.id}/members`, { userIds: ids.slice(0, MAX_MEMBERS - 1) });
      const full = await as(users[MAX_MEMBERS]!)("POST", `/v1/channels/${c.id}/join`);
      assert.equal(full.body.error.code, "group_full");
    });
  });
}
