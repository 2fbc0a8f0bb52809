// The Store contract for conversations and membership (the ConversationStore port): direct conversations, groups,
// membership changes, pages and counts. runStoreContract (store.contract.ts) runs it on its shared fixture, on every adapter.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { applyChange, type StoreFixture } from "./store.contract.js";
import type { Store } from "./store.js";

/** Registers the cases inside the `Store contract` suite, on its store and helpers. */
/** A plain conversation's fields before anyone set a limit or anything expired (not encrypted, not a channel). */
const UNLIMITED = {
  retentionSeconds: null,
  disappearSeconds: null,
  expiredSeq: 0,
  expiredAt: 0,
  encrypted: false,
  channel: null,
};

export function runConversationStoreContract(fixture: StoreFixture): void {
  const { run, newId, now, user, users, group, draft, ok, send, change, rejectsWith, lastSeq, allSeqs, range, sorted } = fixture;
  let store: Store;
  before(() => {
    store = fixture.store;
  });

  describe("membership pages and counts", () => {
    it("pages a user's memberships in byte order of conversation ids, current and past", async () => {
      const [me, other] = await users(2);
      // Ids that a locale collation would order differently (case, '-' and '_').
      const ids = ["Zeta", "alpha", "Beta", "-dash", "_under", "a-b", "a_b", "aB"].map((x) => `${x}${run}`);
      for (const id of ids) {
        await store.createGroup({ id, title: "t", ownerId: other!, memberIds: [me!], createdAt: now(), messageId: newId("m") });
      }
      await change(ids[0]!, me!, { type: "leave" });
      const expected = [...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      const all = await store.listMemberships(me!);
      assert.deepEqual(
        all.map((r) => r.conversation.id),
        expected,
      );
      const walked: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await store.listMemberships(me!, { ...(after ? { after } : {}), limit: 3 });
        walked.push(...page.map((r) => r.conversation.id));
        if (page.length < 3) break;
        after = page.at(-1)!.conversation.id;
      }
      assert.deepEqual(walked, expected);
      const bounded = await store.listMemberships(me!, { after: expected[1]!, through: expected[4]!, limit: 10 });
      assert.deepEqual(
        bounded.map((r) => r.conversation.id),
        expected.slice(2, 5),
      );
      assert.equal(all.find((r) => r.conversation.id === ids[0])!.membership.leftSeq, 2);
      // Counts are of current memberships only.
      const counts = await store.countMemberships([me!, other!, newId("nobody")]);
      assert.equal(counts.get(me!), ids.length - 1);
      assert.equal(counts.get(other!), ids.length);
      assert.equal([...counts.values()].at(-1), 0);
    });

    it("counts the groups a user created since a time, whoever owns them now", async () => {
      const [creator, heir, bystander] = await users(3);
      const before = now();
      const g1 = await group(creator!, [heir!]);
      await group(creator!, []);
      const since = now();
      await group(creator!, [bystander!]);
      await store.openDirect({ id: newId("d"), userA: creator!, userB: heir!, createdAt: now(), messageId: newId("m") });
      await change(g1, creator!, { type: "leave" });
      assert.deepEqual(await store.groupsCreatedSince(creator!, before), { count: 3, oldest: before + 1 });
      assert.equal((await store.groupsCreatedSince(creator!, since)).count, 1);
      assert.deepEqual(await store.groupsCreatedSince(heir!, before), { count: 0, oldest: null });
    });
  });

  describe("direct conversations", () => {
    it("creates one conversation with both members and a conversation.created event at seq 1", async () => {
      const [a, b] = await users(2);
      const id = newId("d");
      const messageId = newId("m");
      const createdAt = now();
      const result = await store.openDirect({ id, userA: a!, userB: b!, createdAt, messageId });
      assert.deepEqual(result, {
        created: true,
        conversation: { id, kind: "direct", title: null, createdAt, lastSeq: 1, ...UNLIMITED },
      });
      assert.deepEqual(await store.getConversation(id), result.conversation);

      const members = await store.getMembers(id);
      assert.deepEqual(sorted(members.map((m) => m.userId)), sorted([a!, b!]));
      for (const m of members) {
        assert.equal(m.role, "member");
        assert.equal(m.joinedSeq, 1);
        assert.equal(m.leftSeq, null);
        assert.equal(m.conversationId, id);
      }

      const history = await store.getHistory({ conversationId: id, minSeq: 1, maxSeq: 100, limit: 10, direction: "asc" });
      assert.deepEqual(history, [
        {
          id: messageId,
          conversationId: id,
          seq: 1,
          senderId: a!,
          clientId: null,
          kind: "system",
          body: null,
          event: { type: "conversation.created", actorId: a!, title: null, userIds: [a!, b!] },
          createdAt,
          attachments: [],
        },
      ]);
    });

    it("returns the existing conversation for the same pair in either order", async () => {
      const [a, b, c] = await users(3);
      const first = await store.openDirect({ id: newId("d"), userA: a!, userB: b!, createdAt: now(), messageId: newId("m") });
      const again = await store.openDirect({ id: newId("d"), userA: a!, userB: b!, createdAt: now(), messageId: newId("m") });
      const reversedId = newId("d");
      const reversed = await store.openDirect({
        id: reversedId,
        userA: b!,
        userB: a!,
        createdAt: now(),
        messageId: newId("m"),
      });
      assert.equal(again.created, false);
      assert.equal(reversed.created, false);
      assert.deepEqual(again.conversation, first.conversation);
      assert.deepEqual(reversed.conversation, first.conversation);
      assert.equal(await store.getConversation(reversedId), undefined);
      assert.deepEqual(await allSeqs(first.conversation.id), [1]);

      const other = await store.openDirect({ id: newId("d"), userA: a!, userB: c!, createdAt: now(), messageId: newId("m") });
      assert.equal(other.created, true);
      assert.notEqual(other.conversation.id, first.conversation.id);
    });

    it("opens a one-member note-to-self conversation, also only once", async () => {
      const a = await user();
      const first = await store.openDirect({ id: newId("d"), userA: a, userB: a, createdAt: now(), messageId: newId("m") });
      assert.equal(first.created, true);
      assert.deepEqual(
        (await store.getMembers(first.conversation.id)).map((m) => m.userId),
        [a],
      );
      const [created] = await store.getHistory({
        conversationId: first.conversation.id,
        minSeq: 1,
        maxSeq: 1,
        limit: 1,
        direction: "asc",
      });
      assert.deepEqual(created?.event, { type: "conversation.created", actorId: a, title: null, userIds: [a] });
      const again = await store.openDirect({ id: newId("d"), userA: a, userB: a, createdAt: now(), messageId: newId("m") });
      assert.deepEqual(again, { created: false, conversation: first.conversation });
    });
  });

  describe("groups", () => {
    it("creates the group with an owner, members and conversation.created at seq 1", async () => {
      const [owner, a, b] = await users(3);
      const id = newId("g");
      const messageId = newId("m");
      const createdAt = now();
      // The owner and a duplicate in memberIds must not produce extra rows.
      const result = await store.createGroup({
        id,
        title: "Team",
        ownerId: owner!,
        memberIds: [a!, b!, owner!, a!],
        createdAt,
        messageId,
      });
      assert.deepEqual(result.conversation, { id, kind: "group", title: "Team", createdAt, lastSeq: 1, ...UNLIMITED });
      assert.deepEqual(result.message, {
        id: messageId,
        conversationId: id,
        seq: 1,
        senderId: owner!,
        clientId: null,
        kind: "system",
        body: null,
        event: { type: "conversation.created", actorId: owner!, title: "Team", userIds: [owner!, a!, b!] },
        createdAt,
        attachments: [],
      });
      assert.deepEqual(await store.getConversation(id), result.conversation);
      assert.deepEqual(await store.getLastMessage(id, 1), result.message);

      const members = await store.getMembers(id);
      assert.equal(members.length, 3);
      const byId = new Map(members.map((m) => [m.userId, m]));
      assert.deepEqual(byId.get(owner!), {
        conversationId: id,
        userId: owner!,
        role: "owner",
        joinedSeq: 1,
        leftSeq: null,
        deliveredSeq: 0,
        readSeq: 0,
        receiptAt: byId.get(owner!)?.receiptAt,
      });
      assert.equal(byId.get(a!)?.role, "member");
      assert.equal(byId.get(b!)?.role, "member");
      assert.equal(byId.get(b!)?.joinedSeq, 1);
    });

    it("answers undefined or empty for unknown conversations and non-members", async () => {
      const [owner, outsider] = await users(2);
      const id = await group(owner!, []);
      assert.equal(await store.getConversation(newId("g")), undefined);
      assert.deepEqual(await store.getMembers(newId("g")), []);
      assert.equal(await store.getMembership(id, outsider!), undefined);
      assert.equal((await store.getMembership(id, owner!))?.role, "owner");
    });

    it("lists current and past memberships with their conversation", async () => {
      const [owner, x, lonely] = await users(3);
      const current = await group(owner!, [x!], "Current");
      const past = await group(owner!, [x!], "Past");
      const removal = await change(past, owner!, { type: "remove", userId: x! });
      await send(past, owner!);

      const rows = await store.listMemberships(x!);
      assert.equal(rows.length, 2);
      const byId = new Map(rows.map((r) => [r.conversation.id, r]));
      assert.equal(byId.get(current)?.membership.leftSeq, null);
      assert.equal(byId.get(current)?.conversation.title, "Current");
      assert.equal(byId.get(current)?.membership.userId, x);
      assert.equal(byId.get(current)?.membership.conversationId, current);
      assert.equal(byId.get(past)?.membership.leftSeq, removal.seq);
      assert.deepEqual(byId.get(past)?.conversation, await store.getConversation(past));
      assert.equal(byId.get(past)?.conversation.lastSeq, removal.seq + 1);
      assert.deepEqual(await store.listMemberships(lonely!), []);
    });
  });

  describe("membership changes", () => {
    it("fails with not_found for an unknown conversation and not_member for an outsider actor", async () => {
      const [owner, outsider] = await users(2);
      const id = await group(owner!, []);
      await rejectsWith(change(newId("g"), owner!, { type: "rename", title: "X" }), "not_found");
      await rejectsWith(change(id, outsider!, { type: "rename", title: "X" }), "not_member");
      await rejectsWith(change(id, outsider!, { type: "leave" }), "not_member");
      assert.equal(await lastSeq(id), 1);
      assert.equal((await store.getConversation(id))?.title, "Group");
    });

    it("adds new users, skipping current members, with joinedSeq at the event and watermarks just before it", async () => {
      const [owner, a, b, c] = await users(4);
      const id = await group(owner!, [a!]);
      await send(id, owner!);
      await send(id, a!);
      const createdAt = now();
      const messageId = newId("m");
      const message = await applyChange(store, {
        conversationId: id,
        actorId: owner!,
        change: { type: "add", userIds: [a!, b!, c!], maxMembers: 10 },
        createdAt,
        messageId,
      });
      assert.deepEqual(message, {
        id: messageId,
        conversationId: id,
        seq: 4,
        senderId: owner!,
        clientId: null,
        kind: "system",
        body: null,
        event: { type: "member.added", actorId: owner!, userIds: [b!, c!] },
        createdAt,
        attachments: [],
      });
      assert.equal(await lastSeq(id), 4);
      assert.deepEqual(await store.getMembership(id, b!), {
        conversationId: id,
        userId: b!,
        role: "member",
        joinedSeq: 4,
        leftSeq: null,
        deliveredSeq: 3,
        readSeq: 3,
        receiptAt: (await store.getMembership(id, b!))?.receiptAt,
      });
      assert.equal((await store.getMembers(id)).length, 4);
      assert.deepEqual(await store.getLastMessage(id, 4), message);
    });

    it("rejects adding only current members with conflict", async () => {
      const [owner, a] = await users(2);
      const id = await group(owner!, [a!]);
      await rejectsWith(change(id, owner!, { type: "add", userIds: [a!, owner!], maxMembers: 10 }), "conflict");
      assert.equal(await lastSeq(id), 1);
    });

    it("rejects an add beyond maxMembers with group_full and changes nothing", async () => {
      const [owner, a, b, c] = await users(4);
      const id = await group(owner!, [a!]);
      await rejectsWith(change(id, owner!, { type: "add", userIds: [b!, c!], maxMembers: 3 }), "group_full");
      assert.equal(await store.getMembership(id, b!), undefined);
      assert.equal(await lastSeq(id), 1);
      const message = await change(id, owner!, { type: "add", userIds: [b!], maxMembers: 3 });
      assert.equal(message.seq, 2);
      assert.equal((await store.getMembers(id)).length, 3);
      // Already-present users do not count twice towards the limit.
      await rejectsWith(change(id, owner!, { type: "add", userIds: [a!, c!], maxMembers: 3 }), "group_full");
    });

    it("keeps the member count (no count over member rows) through creation and every membership change", async () => {
      const [owner, a, b, c, d, outsider] = await users(6);
      const counted = async (id: string) => {
        const count = await store.countMembers(id);
        assert.equal(count, (await store.getMembers(id)).length, "the counter matches the current member rows");
        return count;
      };
      const direct = await store.openDirect({ id: newId("d"), userA: a!, userB: b!, createdAt: now(), messageId: newId("m") });
      assert.equal(await counted(direct.conversation.id), 2);
      const self = await store.openDirect({ id: newId("d"), userA: c!, userB: c!, createdAt: now(), messageId: newId("m") });
      assert.equal(await counted(self.conversation.id), 1);
      const channel = await store.createChannel({
        id: newId("ch"),
        title: "c",
        creatorId: owner!,
        settings: { visibility: "public", posting: "everyone", history: "full" },
        createdAt: now(),
        messageId: newId("m"),
      });
      assert.equal(await counted(channel.conversation.id), 1);
      const id = await group(owner!, [a!]);
      assert.equal(await counted(id), 2);
      await change(id, owner!, { type: "add", userIds: [a!, b!, c!, d!], maxMembers: 100 });
      assert.equal(await counted(id), 5, "current members are not counted twice");
      await change(id, owner!, { type: "remove", userId: a! });
      assert.equal(await counted(id), 4);
      await change(id, b!, { type: "leave" });
      assert.equal(await counted(id), 3);
      await change(id, owner!, { type: "role", userId: c!, role: "admin" });
      await change(id, owner!, { type: "rename", title: "renamed" });
      assert.equal(await counted(id), 3);
      await change(id, owner!, { type: "removeMany", userIds: [c!, d!, outsider!] });
      assert.equal(await counted(id), 1, "only current members are taken off");
      await rejectsWith(change(id, owner!, { type: "removeMany", userIds: [c!] }), "not_member");
      await change(id, outsider!, { type: "join", maxMembers: 100, fullHistory: false });
      await change(id, owner!, { type: "add", userIds: [a!, b!], maxMembers: 100 });
      assert.equal(await counted(id), 4, "re-admitted past members count again");
      await rejectsWith(change(id, owner!, { type: "add", userIds: [c!, d!], maxMembers: 5 }), "group_full");
      assert.equal(await counted(id), 4, "a refused change moves nothing");
      await change(id, owner!, { type: "leave" });
      assert.equal(await counted(id), 3, "the owner's leaving (with succession) counts once");
    });

    it("removes a member with leftSeq equal to the removal event's seq", async () => {
      const [owner, a, outsider] = await users(3);
      const id = await group(owner!, [a!]);
      await rejectsWith(change(id, owner!, { type: "remove", userId: outsider! }), "not_member");
      const message = await change(id, owner!, { type: "remove", userId: a! });
      assert.equal(message.seq, 2);
      assert.deepEqual(message.event, { type: "member.removed", actorId: owner!, userId: a! });
      assert.equal((await store.getMembership(id, a!))?.leftSeq, 2);
      assert.deepEqual(
        (await store.getMembers(id)).map((m) => m.userId),
        [owner!],
      );
      await rejectsWith(change(id, owner!, { type: "remove", userId: a! }), "not_member");
      // A past member is no longer an actor.
      await rejectsWith(change(id, a!, { type: "rename", title: "Mine" }), "not_member");
      assert.equal(await lastSeq(id), 2);
    });

    it("re-admits a past member with a new joinedSeq, role member and watermarks never lowered", async () => {
      const [owner, a] = await users(2);
      const id = await group(owner!, [a!]);
      await send(id, owner!);
      await send(id, owner!);
      await store.updateReceipts([{ conversationId: id, userId: a!, deliveredSeq: 3, readSeq: 2, at: now() }]);
      await change(id, owner!, { type: "role", userId: a!, role: "admin" });
      await change(id, owner!, { type: "remove", userId: a! });
      await send(id, owner!);
      const readd = await change(id, owner!, { type: "add", userIds: [a!], maxMembers: 10 });
      assert.equal(readd.seq, 7);
      assert.deepEqual(readd.event, { type: "member.added", actorId: owner!, userIds: [a!] });
      const membership = await store.getMembership(id, a!);
      assert.equal(membership?.joinedSeq, 7);
      assert.equal(membership?.leftSeq, null);
      assert.equal(membership?.role, "member");
      assert.ok((membership?.readSeq ?? -1) >= 2, "readSeq went backwards");
      assert.ok((membership?.deliveredSeq ?? -1) >= 3, "deliveredSeq went backwards");
      assert.ok((membership?.deliveredSeq ?? 0) >= (membership?.readSeq ?? 0));
      assert.equal((await store.getMembers(id)).length, 2);
      assert.equal(ok((await store.append([draft(id, a!)]))[0]).seq, 8);
    });

    it("changes roles and renames, each with its event", async () => {
      const [owner, a, outsider] = await users(3);
      const id = await group(owner!, [a!]);
      const role = await change(id, owner!, { type: "role", userId: a!, role: "admin" });
      assert.deepEqual(role.event, { type: "member.role", actorId: owner!, userId: a!, role: "admin" });
      assert.equal(role.seq, 2);
      assert.equal((await store.getMembership(id, a!))?.role, "admin");
      await rejectsWith(change(id, owner!, { type: "role", userId: outsider!, role: "admin" }), "not_member");

      const rename = await change(id, a!, { type: "rename", title: "New title" });
      assert.deepEqual(rename.event, { type: "conversation.renamed", actorId: a!, title: "New title" });
      assert.equal(rename.seq, 3);
      assert.deepEqual(await store.getConversation(id), {
        id,
        kind: "group",
        title: "New title",
        createdAt: (await store.getConversation(id))?.createdAt,
        lastSeq: 3,
        ...UNLIMITED,
      });
    });

    it("hands ownership over on leave: oldest admin first, else oldest member", async () => {
      const [owner, m1, m2, m3] = await users(4);
      const id = await group(owner!, [m1!]);
      await change(id, owner!, { type: "add", userIds: [m2!], maxMembers: 10 });
      await change(id, owner!, { type: "add", userIds: [m3!], maxMembers: 10 });
      await change(id, owner!, { type: "role", userId: m3!, role: "admin" });
      const owners = async () => (await store.getMembers(id)).filter((m) => m.role === "owner").map((m) => m.userId);

      // A plain member leaving changes no roles.
      const plainLeave = await change(id, m2!, { type: "leave" });
      assert.deepEqual(await owners(), [owner!]);
      await change(id, owner!, { type: "add", userIds: [m2!], maxMembers: 10 });
      assert.equal((await store.getMembership(id, m2!))?.joinedSeq, plainLeave.seq + 1);

      const left = await change(id, owner!, { type: "leave" });
      assert.deepEqual(left.event, { type: "member.left", actorId: owner! });
      assert.equal((await store.getMembership(id, owner!))?.leftSeq, left.seq);
      assert.equal(await lastSeq(id), left.seq);
      assert.deepEqual(await owners(), [m3!], "the admin is preferred over older members");

      await change(id, m3!, { type: "leave" });
      assert.deepEqual(await owners(), [m1!], "then the longest-standing member");
      await change(id, m1!, { type: "leave" });
      assert.deepEqual(await owners(), [m2!]);
      await change(id, m2!, { type: "leave" });
      assert.deepEqual(await store.getMembers(id), []);
      assert.deepEqual(await allSeqs(id), range(1, await lastSeq(id)));
    });

    it("hands ownership over when the owner is removed, so a group with members always has an owner", async () => {
      const [owner, admin, member] = await users(3);
      const id = await group(owner!, [member!, admin!]);
      await change(id, owner!, { type: "role", userId: admin!, role: "admin" });
      await change(id, admin!, { type: "remove", userId: owner! });
      assert.equal((await store.getMembership(id, admin!))?.role, "owner");
      assert.equal((await store.getMembership(id, member!))?.role, "member");
    });
  });
  describe("group bans", () => {
    it("bans once per group and user, lists them oldest first, finds them among ids, and lifts them", async () => {
      const [owner, a, b, c] = await users(4);
      const g1 = await group(owner!, [a!]);
      const g2 = await group(owner!, [a!]);
      const t = now();
      const first = await store.addBan({ conversationId: g1, userId: b!, bannedBy: owner!, reason: "spam", createdAt: t });
      assert.deepEqual(first, { conversationId: g1, userId: b!, bannedBy: owner!, reason: "spam", createdAt: t });
      const again = await store.addBan({ conversationId: g1, userId: b!, bannedBy: a!, reason: null, createdAt: t + 5 });
      assert.deepEqual(again, first, "a second ban of the same user changes nothing");
      await store.addBan({ conversationId: g1, userId: a!, bannedBy: owner!, reason: null, createdAt: t + 1 });
      assert.deepEqual(
        (await store.listBans(g1)).map((ban) => [ban.userId, ban.reason]),
        [
          [b!, "spam"],
          [a!, null],
        ],
      );
      assert.deepEqual(await store.listBans(g2), [], "bans are per group");
      assert.deepEqual(sorted(await store.bannedAmong(g1, [a!, b!, c!, newId("nobody")])), sorted([a!, b!]));
      assert.deepEqual(await store.bannedAmong(g2, [a!, b!]), []);
      assert.deepEqual(await store.bannedAmong(g1, []), []);
      assert.equal(await store.removeBan(g1, b!), true);
      assert.equal(await store.removeBan(g1, b!), false);
      assert.deepEqual(await store.bannedAmong(g1, [b!]), []);
      assert.deepEqual(
        (await store.listBans(g1)).map((ban) => ban.userId),
        [a!],
      );
    });
  });
}
