// The one behavioural contract every Store adapter must pass (SQLite today, PostgreSQL later), run from each adapter's test.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { Message, SystemEvent } from "@parley/protocol";
import { type AppendOutcome, type MembershipChange, type MessageDraft, type Store, StoreError } from "./store.js";

/**
 * A membership change through the store's one `append`, alone in its batch as a service submits it: the new system
 * entry, or the refusal thrown as a StoreError of the same code (tests assert refusals with `assert.rejects`).
 */
export async function applyChange(
  store: Pick<Store, "append">,
  input: { conversationId: string; actorId: string; change: MembershipChange; createdAt: number; messageId: string },
): Promise<Message> {
  const [outcome] = await store.append([
    {
      id: input.messageId,
      conversationId: input.conversationId,
      senderId: input.actorId,
      createdAt: input.createdAt,
      change: input.change,
    },
  ]);
  assert.ok(outcome, "missing outcome");
  if (outcome.ok) return outcome.message;
  const code = outcome.code;
  assert.ok(code === "not_found" || code === "not_member" || code === "conflict" || code === "group_full", code);
  throw new StoreError(code, outcome.message);
}

/**
 * Registers the contract suite. Every id is unique per run, so an adapter may share one database between runs.
 * `cleanup` defaults to `store.close()`; pass one to also delete files or drop a schema.
 */
export function runStoreContract(
  name: string,
  makeStore: () => Promise<Store>,
  cleanup: (s: Store) => Promise<void> = (s) => s.close(),
): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    const run = randomUUID().replaceAll("-", "").slice(0, 8);
    let counter = 0;
    const newId = (prefix: string) => `${prefix}_${run}_${++counter}`;
    let clock = 1_700_000_000_000;
    const now = () => ++clock;

    before(async () => {
      store = await makeStore();
    });
    after(async () => {
      await cleanup(store);
    });

    async function user(label = "u"): Promise<string> {
      const id = newId(label);
      await store.createUser({
        id,
        username: `${label}${run}${counter}`.toLowerCase(),
        displayName: `User ${id}`,
        passwordHash: `hash-${id}`,
        createdAt: now(),
      });
      return id;
    }

    async function users(count: number): Promise<string[]> {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) ids.push(await user());
      return ids;
    }

    async function group(ownerId: string, memberIds: string[], title = "Group"): Promise<string> {
      const id = newId("g");
      await store.createGroup({ id, title, ownerId, memberIds, createdAt: now(), messageId: newId("m") });
      return id;
    }

    function draft(conversationId: string, senderId: string, clientId = newId("c"), body = `body ${clientId}`): MessageDraft {
      return { id: newId("m"), conversationId, senderId, clientId, body, createdAt: now() };
    }

    function ok(outcome: AppendOutcome | undefined): Message {
      assert.ok(outcome, "missing outcome");
      if (!outcome.ok) assert.fail(`append failed: ${outcome.code} ${outcome.message}`);
      return outcome.message;
    }

    async function send(conversationId: string, senderId: string): Promise<Message> {
      const [outcome] = await store.append([draft(conversationId, senderId)]);
      const message = ok(outcome);
      assert.equal(outcome?.ok && outcome.duplicate, false);
      return message;
    }

    function change(conversationId: string, actorId: string, c: MembershipChange) {
      return applyChange(store, { conversationId, actorId, change: c, createdAt: now(), messageId: newId("m") });
    }

    async function rejectsWith(promise: Promise<unknown>, code: StoreError["code"]): Promise<void> {
      await assert.rejects(promise, (error: unknown) => {
        assert.ok(error instanceof StoreError, `expected StoreError, got ${String(error)}`);
        assert.equal(error.code, code);
        return true;
      });
    }

    async function lastSeq(conversationId: string): Promise<number> {
      const conversation = await store.getConversation(conversationId);
      assert.ok(conversation, `conversation ${conversationId} missing`);
      return conversation.lastSeq;
    }

    async function allSeqs(conversationId: string): Promise<number[]> {
      const history = await store.getHistory({ conversationId, minSeq: 0, maxSeq: 1e9, limit: 1e6, direction: "asc" });
      return history.map((m) => m.seq);
    }

    const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
    const sorted = (ids: readonly string[]) => [...ids].sort();

    it("answers ping", async () => {
      await store.ping();
    });

    describe("users", () => {
      it("creates a user and finds it by id and username", async () => {
        const id = newId("u");
        const input = { id, username: `alice${run}`, displayName: "Alice", passwordHash: "h", createdAt: now() };
        const created = await store.createUser(input);
        assert.deepEqual(created, { ...input, lastSeenAt: null });
        assert.deepEqual(await store.getUserById(id), created);
        assert.deepEqual(await store.getUserByUsername(input.username), created);
        assert.equal(await store.getUserById(newId("nobody")), undefined);
        assert.equal(await store.getUserByUsername(`nobody${run}`), undefined);
      });

      it("rejects a taken username with username_taken and keeps the first account", async () => {
        const username = `bob${run}`;
        const first = await store.createUser({
          id: newId("u"),
          username,
          displayName: "Bob",
          passwordHash: "h1",
          createdAt: now(),
        });
        await rejectsWith(
          store.createUser({ id: newId("u"), username, displayName: "Other", passwordHash: "h2", createdAt: now() }),
          "username_taken",
        );
        assert.deepEqual(await store.getUserByUsername(username), first);
      });

      it("looks up many users, leaving unknown ids out", async () => {
        const [a, b] = await users(2);
        const found = await store.getUsersByIds([a!, newId("nobody"), b!]);
        assert.deepEqual(sorted(found.map((u) => u.id)), sorted([a!, b!]));
        assert.deepEqual(await store.getUsersByIds([]), []);
      });

      it("updates the display name and the last-seen time", async () => {
        const id = await user();
        const updated = await store.updateDisplayName(id, "Renamed");
        assert.equal(updated?.displayName, "Renamed");
        assert.equal(updated?.id, id);
        assert.equal((await store.getUserById(id))?.displayName, "Renamed");
        assert.equal(await store.updateDisplayName(newId("nobody"), "X"), undefined);

        const at = now();
        await store.setLastSeen(id, at);
        assert.equal((await store.getUserById(id))?.lastSeenAt, at);
      });

      it("sets the last-seen times of many users, each their own, in one call, ignoring unknown ids", async () => {
        const [a, b, untouched] = [await user(), await user(), await user()];
        const at = now() + 1234;
        await store.setLastSeenMany([
          { userId: a, at },
          { userId: newId("nobody"), at },
          { userId: b, at: at + 7 },
        ]);
        assert.equal((await store.getUserById(a))?.lastSeenAt, at);
        assert.equal((await store.getUserById(b))?.lastSeenAt, at + 7);
        assert.equal((await store.getUserById(untouched))?.lastSeenAt, null);
        await store.setLastSeenMany([]);
        assert.equal((await store.getUserById(a))?.lastSeenAt, at, "an empty list writes nothing");
      });
    });

    describe("sessions", () => {
      it("creates, reads, rotates by compare-and-swap and revokes", async () => {
        const userId = await user();
        const id = newId("s");
        const createdAt = now();
        await store.createSession({ id, userId, deviceName: "phone", refreshHash: "h1", createdAt, expiresAt: createdAt + 1000 });
        assert.deepEqual(await store.getSession(id), {
          id,
          userId,
          deviceName: "phone",
          refreshHash: "h1",
          previousRefreshHash: null,
          createdAt,
          expiresAt: createdAt + 1000,
          revokedAt: null,
        });

        assert.equal(await store.rotateRefresh(id, "wrong", "h2", createdAt + 2000), false);
        assert.equal((await store.getSession(id))?.refreshHash, "h1");

        assert.equal(await store.rotateRefresh(id, "h1", "h2", createdAt + 2000), true);
        const rotated = await store.getSession(id);
        assert.equal(rotated?.refreshHash, "h2");
        assert.equal(rotated?.previousRefreshHash, "h1");
        assert.equal(rotated?.expiresAt, createdAt + 2000);

        // Replaying the old secret must fail: that is how a stolen refresh token is noticed.
        assert.equal(await store.rotateRefresh(id, "h1", "h3", createdAt + 3000), false);
        assert.equal((await store.getSession(id))?.refreshHash, "h2");

        const revokedAt = now();
        await store.revokeSession(id, revokedAt);
        assert.equal((await store.getSession(id))?.revokedAt, revokedAt);

        assert.equal(await store.getSession(newId("s")), undefined);
        assert.equal(await store.rotateRefresh(newId("s"), "h1", "h2", 0), false);
      });

      it("lets exactly one of two racing rotations win", async () => {
        const userId = await user();
        const id = newId("s");
        await store.createSession({ id, userId, deviceName: "", refreshHash: "r0", createdAt: now(), expiresAt: now() + 1000 });
        const results = await Promise.all([
          store.rotateRefresh(id, "r0", "r1a", now()),
          store.rotateRefresh(id, "r0", "r1b", now()),
        ]);
        assert.equal(results.filter(Boolean).length, 1);
        const session = await store.getSession(id);
        assert.equal(session?.refreshHash, results[0] ? "r1a" : "r1b");
        assert.equal(session?.previousRefreshHash, "r0");
      });
    });

    describe("contacts", () => {
      it("adds and removes idempotently, one direction only", async () => {
        const [a, b, c] = await users(3);
        await store.addContact(a!, b!, now());
        await store.addContact(a!, b!, now());
        await store.addContact(a!, c!, now());
        const contacts = await store.listContacts(a!);
        assert.deepEqual(sorted(contacts.map((u) => u.id)), sorted([b!, c!]));
        assert.deepEqual(
          contacts.find((u) => u.id === b),
          await store.getUserById(b!),
        );
        assert.deepEqual(await store.listContacts(b!), []);

        await store.removeContact(a!, b!);
        await store.removeContact(a!, b!);
        await store.removeContact(b!, a!);
        assert.deepEqual(
          (await store.listContacts(a!)).map((u) => u.id),
          [c!],
        );
      });
    });

    describe("blocks and consent to group adds", () => {
      it("blocks one way, idempotently, listed by username", async () => {
        const [a, b, c] = await users(3);
        await store.addBlock(a!, b!, now());
        await store.addBlock(a!, b!, now());
        await store.addBlock(a!, c!, now());
        assert.deepEqual(sorted((await store.listBlocked(a!)).map((u) => u.id)), sorted([b!, c!]));
        assert.deepEqual(await store.listBlocked(b!), []);
        assert.deepEqual(sorted(await store.blockedBy(b!, [a!, c!, newId("nobody")])), [a!]);
        assert.deepEqual(await store.blockedBy(a!, [b!]), []);
        assert.deepEqual(await store.blockedBy(b!, []), []);
        await store.removeBlock(a!, b!);
        await store.removeBlock(a!, b!);
        assert.deepEqual(
          (await store.listBlocked(a!)).map((u) => u.id),
          [c!],
        );
        assert.deepEqual(await store.blockedBy(b!, [a!]), []);
      });

      it("refuses group adds by block, by setting (stored or default) and by the target's own contacts", async () => {
        const [actor, open, closed, picky, pickyFriend, blocker, undecided] = await users(7);
        assert.equal(await store.getGroupAdds(open!), null);
        await store.setGroupAdds(open!, "everyone");
        await store.setGroupAdds(closed!, "nobody");
        await store.setGroupAdds(picky!, "contacts");
        await store.setGroupAdds(pickyFriend!, "contacts");
        await store.addContact(pickyFriend!, actor!, now());
        // The actor listing picky as a contact does not count: the target's list decides.
        await store.addContact(actor!, picky!, now());
        await store.addBlock(blocker!, actor!, now());
        assert.equal(await store.getGroupAdds(closed!), "nobody");
        const targets = [open!, closed!, picky!, pickyFriend!, blocker!, undecided!];
        assert.deepEqual(sorted(await store.refusingGroupAdd(actor!, targets, "everyone")), sorted([closed!, picky!, blocker!]));
        assert.deepEqual(
          sorted(await store.refusingGroupAdd(actor!, targets, "nobody")),
          sorted([closed!, picky!, blocker!, undecided!]),
        );
        await store.setGroupAdds(closed!, null);
        assert.equal(await store.getGroupAdds(closed!), null);
        assert.deepEqual(await store.refusingGroupAdd(actor!, [closed!], "everyone"), []);
        assert.deepEqual(await store.refusingGroupAdd(actor!, [], "nobody"), []);
      });
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

    describe("presence visibility", () => {
      it("shows the viewer, co-members and users who have the viewer as a contact", async () => {
        const [viewer, coMember, hasViewer, viewerHas, stranger, removed, viewerLeft] = await users(7);
        await group(viewer!, [coMember!]);
        await store.addContact(hasViewer!, viewer!, now());
        await store.addContact(viewer!, viewerHas!, now());
        const g2 = await group(viewer!, [removed!]);
        await change(g2, viewer!, { type: "remove", userId: removed! });
        const g3 = await group(viewerLeft!, [viewer!]);
        await change(g3, viewer!, { type: "leave" });

        const targets = [viewer!, coMember!, hasViewer!, viewerHas!, stranger!, removed!, viewerLeft!, newId("nobody")];
        assert.deepEqual(sorted(await store.filterPresenceVisible(viewer!, targets)), sorted([viewer!, coMember!, hasViewer!]));

        // Visibility follows the target's contact list, not the viewer's.
        assert.deepEqual(await store.filterPresenceVisible(viewerHas!, [viewer!]), [viewer!]);
        assert.deepEqual(await store.filterPresenceVisible(coMember!, [viewer!]), [viewer!]);
        assert.deepEqual(await store.filterPresenceVisible(removed!, [viewer!]), []);
        assert.deepEqual(await store.filterPresenceVisible(stranger!, [stranger!]), [stranger!]);
        assert.deepEqual(await store.filterPresenceVisible(viewer!, []), []);
      });
    });

    describe("direct conversations", () => {
      it("creates one conversation with both members and a conversation.created event at seq 1", async () => {
        const [a, b] = await users(2);
        const id = newId("d");
        const messageId = newId("m");
        const createdAt = now();
        const result = await store.openDirect({ id, userA: a!, userB: b!, createdAt, messageId });
        assert.deepEqual(result, { created: true, conversation: { id, kind: "direct", title: null, createdAt, lastSeq: 1 } });
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
        assert.deepEqual(result.conversation, { id, kind: "group", title: "Team", createdAt, lastSeq: 1 });
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

    describe("appending messages", () => {
      it("assigns the next seqs in draft order and returns full text messages", async () => {
        const [owner, a] = await users(2);
        const id = await group(owner!, [a!]);
        const drafts = [draft(id, owner!), draft(id, a!), draft(id, owner!)];
        const outcomes = await store.append(drafts);
        assert.deepEqual(
          outcomes,
          drafts.map((d, i) => ({
            ok: true,
            duplicate: false,
            message: {
              id: d.id,
              conversationId: id,
              seq: i + 2,
              senderId: d.senderId,
              clientId: d.clientId,
              kind: "text",
              body: d.body,
              event: null,
              createdAt: d.createdAt,
              attachments: [],
            },
          })),
        );
        assert.equal(await lastSeq(id), 4);
        const history = await store.getHistory({ conversationId: id, minSeq: 2, maxSeq: 4, limit: 10, direction: "asc" });
        assert.deepEqual(
          history,
          outcomes.map((o) => ok(o)),
        );
        assert.deepEqual(await store.append([]), []);
      });

      it("keeps each conversation's seqs gap-free in a batch that mixes conversations and failures", async () => {
        const [owner, outsider] = await users(2);
        const g1 = await group(owner!, []);
        const g2 = await group(owner!, []);
        const outcomes = await store.append([
          draft(g1, owner!),
          draft(g2, owner!),
          draft(newId("g"), owner!),
          draft(g1, outsider!),
          draft(g1, owner!),
          draft(g2, owner!),
        ]);
        assert.deepEqual(
          outcomes.map((o) => (o.ok ? `${o.message.conversationId === g1 ? "g1" : "g2"}:${o.message.seq}` : o.code)),
          ["g1:2", "g2:2", "not_found", "not_member", "g1:3", "g2:3"],
        );
        for (const o of outcomes) if (!o.ok) assert.equal(typeof o.message, "string");
        assert.equal(await lastSeq(g1), 3);
        assert.equal(await lastSeq(g2), 3);
        assert.deepEqual(await allSeqs(g1), [1, 2, 3]);
      });

      it("takes membership changes and messages in one batch, each draft seeing the ones before it", async () => {
        const [owner, a, b] = await users(3);
        const id = await group(owner!, [a!]);
        const membership = (actorId: string, c: MembershipChange) => ({
          id: newId("m"),
          conversationId: id,
          senderId: actorId,
          createdAt: now(),
          change: c,
        });
        const outcomes = await store.append([
          draft(id, a!),
          membership(owner!, { type: "remove", userId: a! }),
          draft(id, a!),
          membership(owner!, { type: "remove", userId: a! }),
          membership(owner!, { type: "add", userIds: [b!], maxMembers: 10 }),
          draft(id, b!),
          membership(owner!, { type: "add", userIds: [a!], maxMembers: 2 }),
          membership(owner!, { type: "add", userIds: [a!], maxMembers: 10 }),
          draft(id, a!),
        ]);
        assert.deepEqual(
          outcomes.map((o) =>
            o.ok ? (o.message.kind === "system" ? `${o.message.event?.type}:${o.message.seq}` : `text:${o.message.seq}`) : o.code,
          ),
          [
            "text:2",
            "member.removed:3",
            "not_member",
            "not_member",
            "member.added:4",
            "text:5",
            "group_full",
            "member.added:6",
            "text:7",
          ],
        );
        assert.deepEqual(await allSeqs(id), range(1, 7));
        assert.equal(await lastSeq(id), 7);
        // Re-admitted at the event's seq, watermarks lifted to just before it.
        const readmitted = await store.getMembership(id, a!);
        assert.equal(readmitted?.joinedSeq, 6);
        assert.equal(readmitted?.leftSeq, null);
        assert.equal(readmitted?.readSeq, 5);
        assert.equal((await store.getMembership(id, b!))?.joinedSeq, 4);
      });

      it("interleaves text messages and system events in one gap-free sequence", async () => {
        const [owner, a, b] = await users(3);
        const id = await group(owner!, [a!]);
        await send(id, owner!);
        await send(id, a!);
        await change(id, owner!, { type: "rename", title: "T2" });
        await send(id, a!);
        await change(id, owner!, { type: "add", userIds: [b!], maxMembers: 10 });
        await store.append([draft(id, b!), draft(id, owner!)]);
        await change(id, owner!, { type: "remove", userId: a! });
        await send(id, b!);
        const history = await store.getHistory({ conversationId: id, minSeq: 1, maxSeq: 100, limit: 100, direction: "asc" });
        assert.deepEqual(
          history.map((m) => m.seq),
          range(1, 10),
        );
        assert.deepEqual(
          history.map((m) => (m.kind === "system" ? m.event?.type : "text")),
          [
            "conversation.created",
            "text",
            "text",
            "conversation.renamed",
            "text",
            "member.added",
            "text",
            "text",
            "member.removed",
            "text",
          ],
        );
        for (const m of history) {
          if (m.kind === "text") {
            assert.equal(m.event, null);
            assert.equal(typeof m.body, "string");
            assert.equal(typeof m.clientId, "string");
          } else {
            assert.equal(m.body, null);
            assert.equal(m.clientId, null);
          }
        }
        assert.equal(await lastSeq(id), 10);
      });

      it("returns the original message for a resent clientId, across batches, storing nothing", async () => {
        const [owner] = await users(1);
        const id = await group(owner!, []);
        const clientId = newId("c");
        const [first] = await store.append([draft(id, owner!, clientId, "hello")]);
        const original = ok(first);
        const [resent] = await store.append([draft(id, owner!, clientId, "different body")]);
        assert.deepEqual(resent, { ok: true, duplicate: true, message: original });
        assert.equal(await lastSeq(id), original.seq);
        assert.deepEqual(await allSeqs(id), [1, original.seq]);
      });

      it("treats a repeated clientId inside one batch as a duplicate of the first", async () => {
        const [owner] = await users(1);
        const id = await group(owner!, []);
        const clientId = newId("c");
        const outcomes = await store.append([
          draft(id, owner!, clientId, "one"),
          draft(id, owner!),
          draft(id, owner!, clientId, "two"),
        ]);
        const first = ok(outcomes[0]);
        assert.equal(first.seq, 2);
        assert.equal(ok(outcomes[1]).seq, 3);
        assert.deepEqual(outcomes[2], { ok: true, duplicate: true, message: first });
        assert.equal(await lastSeq(id), 3);
      });

      it("scopes clientIds to their sender", async () => {
        const [owner, a] = await users(2);
        const id = await group(owner!, [a!]);
        const clientId = newId("c");
        const outcomes = await store.append([draft(id, owner!, clientId), draft(id, a!, clientId)]);
        assert.deepEqual(
          outcomes.map((o) => ok(o).seq),
          [2, 3],
        );
        assert.deepEqual(
          outcomes.map((o) => o.ok && o.duplicate),
          [false, false],
        );
      });

      it("rejects senders who are not current members and unknown conversations", async () => {
        const [owner, a, outsider] = await users(3);
        const id = await group(owner!, [a!]);
        const clientId = newId("c");
        const before = ok((await store.append([draft(id, a!, clientId)]))[0]);
        await change(id, owner!, { type: "remove", userId: a! });
        const [afterRemoval] = await store.append([draft(id, a!)]);
        assert.equal(afterRemoval?.ok, false);
        assert.equal(!afterRemoval?.ok && afterRemoval?.code, "not_member");
        const [stranger] = await store.append([draft(id, outsider!)]);
        assert.equal(!stranger?.ok && stranger?.code, "not_member");
        const [missing] = await store.append([draft(newId("g"), owner!)]);
        assert.equal(!missing?.ok && missing?.code, "not_found");
        assert.equal(await lastSeq(id), 3);
        // A retransmission of what was stored before the removal still gets its original ack.
        const [resent] = await store.append([draft(id, a!, clientId)]);
        assert.deepEqual(resent, { ok: true, duplicate: true, message: before });
      });
    });

    describe("history, last message and unread counts", () => {
      let id: string;
      let owner: string;
      let reader: string;
      const all: Message[] = [];

      before(async () => {
        [owner, reader] = (await users(2)) as [string, string];
        id = await group(owner, [reader]);
        all.push(...(await store.getHistory({ conversationId: id, minSeq: 1, maxSeq: 1, limit: 1, direction: "asc" })));
        // seq 2..20: the reader writes every fourth message.
        const drafts = range(2, 20).map((seq) => draft(id, seq % 4 === 0 ? reader : owner));
        all.push(...(await store.append(drafts)).map((o) => ok(o)));
        assert.equal(all.length, 20);
      });

      const seqsOf = async (q: Partial<Parameters<Store["getHistory"]>[0]>) =>
        (await store.getHistory({ conversationId: id, minSeq: 1, maxSeq: 20, limit: 100, direction: "asc", ...q })).map(
          (m) => m.seq,
        );

      it("returns the first or the last `limit` messages, always ascending", async () => {
        assert.deepEqual(await seqsOf({ limit: 5 }), [1, 2, 3, 4, 5]);
        assert.deepEqual(await seqsOf({ limit: 5, direction: "desc" }), [16, 17, 18, 19, 20]);
        assert.deepEqual(await seqsOf({}), range(1, 20));
        assert.deepEqual(await seqsOf({ direction: "desc" }), range(1, 20));
      });

      it("honours afterSeq and beforeSeq as exclusive bounds", async () => {
        assert.deepEqual(await seqsOf({ afterSeq: 10, limit: 3 }), [11, 12, 13]);
        assert.deepEqual(await seqsOf({ beforeSeq: 10, limit: 3, direction: "desc" }), [7, 8, 9]);
        assert.deepEqual(await seqsOf({ beforeSeq: 10, limit: 3 }), [1, 2, 3]);
        assert.deepEqual(await seqsOf({ afterSeq: 5, beforeSeq: 9 }), [6, 7, 8]);
        assert.deepEqual(await seqsOf({ afterSeq: 20 }), []);
        assert.deepEqual(await seqsOf({ beforeSeq: 1 }), []);
        assert.deepEqual(await seqsOf({ afterSeq: 0 }), range(1, 20));
      });

      it("honours minSeq and maxSeq as an inclusive visibility window", async () => {
        assert.deepEqual(await seqsOf({ minSeq: 4, maxSeq: 8 }), [4, 5, 6, 7, 8]);
        assert.deepEqual(await seqsOf({ minSeq: 4, maxSeq: 8, afterSeq: 2, beforeSeq: 30 }), [4, 5, 6, 7, 8]);
        assert.deepEqual(await seqsOf({ minSeq: 4, maxSeq: 8, afterSeq: 6 }), [7, 8]);
        assert.deepEqual(await seqsOf({ maxSeq: 12, limit: 3, direction: "desc" }), [10, 11, 12]);
        assert.deepEqual(await seqsOf({ minSeq: 15, limit: 2 }), [15, 16]);
        assert.deepEqual(await seqsOf({ minSeq: 10, maxSeq: 5 }), []);
        assert.deepEqual(await seqsOf({ conversationId: newId("g") }), []);
      });

      it("returns complete messages, system events parsed", async () => {
        const history = await store.getHistory({ conversationId: id, minSeq: 1, maxSeq: 20, limit: 100, direction: "asc" });
        assert.deepEqual(history, all);
        const event = history[0]?.event as Extract<SystemEvent, { type: "conversation.created" }>;
        assert.equal(event.type, "conversation.created");
        assert.deepEqual(event.userIds, [owner, reader]);
      });

      it("finds the newest message at or below maxSeq", async () => {
        assert.deepEqual(await store.getLastMessage(id, 20), all[19]);
        assert.deepEqual(await store.getLastMessage(id, 1000), all[19]);
        assert.deepEqual(await store.getLastMessage(id, 7), all[6]);
        assert.deepEqual(await store.getLastMessage(id, 1), all[0]);
        assert.equal(await store.getLastMessage(id, 0), null);
        assert.equal(await store.getLastMessage(newId("g"), 10), null);
      });

      it("counts unread text messages from others only, within (afterSeq, maxSeq]", async () => {
        // The reader wrote seqs 4, 8, 12, 16 and 20; the owner everything else. Seq 1 (creation) is a system event.
        assert.equal(await store.countUnread(id, reader, 0, 20), 14);
        assert.equal(await store.countUnread(id, reader, 10, 20), 7);
        assert.equal(await store.countUnread(id, reader, 10, 12), 1);
        assert.equal(await store.countUnread(id, reader, 20, 20), 0);
        assert.equal(await store.countUnread(id, owner, 0, 20), 5);
        assert.equal(await store.countUnread(id, owner, 0, 11), 2);
        assert.equal(await store.countUnread(newId("g"), owner, 0, 20), 0);
      });
    });

    describe("receipts", () => {
      it("names the conversations where a current member's watermarks moved after a time, all in one call", async () => {
        const [owner, a, b] = await users(3);
        const quiet = await group(owner!, [a!]);
        const busy = await group(owner!, [a!, b!]);
        const gone = await group(owner!, [a!, b!]);
        await send(busy, owner!);
        await send(gone, owner!);
        const since = now();
        const ids = [quiet, busy, gone, newId("g")];
        assert.deepEqual(await store.conversationsWithReceiptsAfter(ids, since), new Set());
        await store.updateReceipts([{ conversationId: busy, userId: b!, deliveredSeq: 2, readSeq: 1, at: now() }]);
        await store.updateReceipts([{ conversationId: gone, userId: b!, deliveredSeq: 2, readSeq: 2, at: now() }]);
        await change(gone, b!, { type: "leave" }); // b's watermarks moved, but b is no longer a member
        assert.deepEqual(await store.conversationsWithReceiptsAfter(ids, since), new Set([busy]));
        const [moved] = await store.getMembers(busy).then((ms) => ms.filter((m) => m.userId === b));
        assert.deepEqual(await store.conversationsWithReceiptsAfter(ids, moved!.receiptAt), new Set(), "strictly after");
        assert.deepEqual(await store.conversationsWithReceiptsAfter(ids, 0), new Set([quiet, busy, gone]));
        assert.deepEqual(await store.conversationsWithReceiptsAfter([], 0), new Set());
      });

      it("moves watermarks forward only, clamped to lastSeq, read lifting delivered", async () => {
        const [owner, a] = await users(2);
        const id = await group(owner!, [a!]);
        for (let i = 0; i < 5; i++) await send(id, owner!);
        const mark = async (deliveredSeq: number, readSeq: number, at = now()) =>
          (await store.updateReceipts([{ conversationId: id, userId: a!, deliveredSeq, readSeq, at }]))[0];

        const t1 = now();
        // The group starts at seq 1, so a's watermarks start at 0 (joinedSeq − 1).
        assert.deepEqual(await mark(3, 2, t1), {
          conversationId: id,
          state: { userId: a!, deliveredSeq: 3, readSeq: 2 },
          previous: { deliveredSeq: 0, readSeq: 0 },
          changed: true,
        });
        assert.equal((await store.getMembership(id, a!))?.receiptAt, t1);

        assert.deepEqual(await mark(1, 1), {
          conversationId: id,
          state: { userId: a!, deliveredSeq: 3, readSeq: 2 },
          previous: { deliveredSeq: 3, readSeq: 2 },
          changed: false,
        });
        assert.equal((await store.getMembership(id, a!))?.receiptAt, t1, "receiptAt moved without a change");

        assert.deepEqual((await mark(0, 5))?.state, { userId: a!, deliveredSeq: 5, readSeq: 5 });
        assert.deepEqual(await mark(100, 100), {
          conversationId: id,
          state: { userId: a!, deliveredSeq: 6, readSeq: 6 },
          previous: { deliveredSeq: 5, readSeq: 5 },
          changed: true,
        });
        assert.equal((await mark(6, 6))?.changed, false);

        const member = await store.getMembership(id, a!);
        assert.equal(member?.deliveredSeq, 6);
        assert.equal(member?.readSeq, 6);

        await send(id, owner!);
        assert.deepEqual((await mark(9, 0))?.state, { userId: a!, deliveredSeq: 7, readSeq: 6 });
      });

      it("ignores non-members, past members and unknown conversations", async () => {
        const [owner, a, outsider] = await users(3);
        const id = await group(owner!, [a!]);
        await send(id, owner!);
        await change(id, owner!, { type: "remove", userId: a! });
        const missing = newId("g");
        const results = await store.updateReceipts([
          { conversationId: id, userId: outsider!, deliveredSeq: 2, readSeq: 2, at: now() },
          { conversationId: id, userId: a!, deliveredSeq: 2, readSeq: 2, at: now() },
          { conversationId: missing, userId: owner!, deliveredSeq: 2, readSeq: 2, at: now() },
        ]);
        const zero = { deliveredSeq: 0, readSeq: 0 };
        assert.deepEqual(results, [
          { conversationId: id, state: { userId: outsider!, ...zero }, previous: zero, changed: false },
          { conversationId: id, state: { userId: a!, ...zero }, previous: zero, changed: false },
          { conversationId: missing, state: { userId: owner!, ...zero }, previous: zero, changed: false },
        ]);
        const past = await store.getMembership(id, a!);
        assert.equal(past?.readSeq, 0);
        assert.equal(past?.deliveredSeq, 0);
        assert.deepEqual(await store.updateReceipts([]), []);
      });

      it("applies a batch in order, several updates of one member included", async () => {
        const [owner, a] = await users(2);
        const g1 = await group(owner!, [a!]);
        const g2 = await group(owner!, [a!]);
        await send(g1, owner!);
        await send(g1, owner!);
        await send(g2, owner!);
        const results = await store.updateReceipts([
          { conversationId: g1, userId: a!, deliveredSeq: 2, readSeq: 1, at: now() },
          { conversationId: g2, userId: a!, deliveredSeq: 2, readSeq: 2, at: now() },
          { conversationId: g1, userId: a!, deliveredSeq: 1, readSeq: 3, at: now() },
          { conversationId: g1, userId: owner!, deliveredSeq: 3, readSeq: 3, at: now() },
        ]);
        // `previous` of a member's second update in the batch is the result of the first.
        assert.deepEqual(results, [
          {
            conversationId: g1,
            state: { userId: a!, deliveredSeq: 2, readSeq: 1 },
            previous: { deliveredSeq: 0, readSeq: 0 },
            changed: true,
          },
          {
            conversationId: g2,
            state: { userId: a!, deliveredSeq: 2, readSeq: 2 },
            previous: { deliveredSeq: 0, readSeq: 0 },
            changed: true,
          },
          {
            conversationId: g1,
            state: { userId: a!, deliveredSeq: 3, readSeq: 3 },
            previous: { deliveredSeq: 2, readSeq: 1 },
            changed: true,
          },
          {
            conversationId: g1,
            state: { userId: owner!, deliveredSeq: 3, readSeq: 3 },
            previous: { deliveredSeq: 0, readSeq: 0 },
            changed: true,
          },
        ]);
        const members = new Map((await store.getMembers(g1)).map((m) => [m.userId, m]));
        assert.equal(members.get(a!)?.readSeq, 3);
        assert.equal(members.get(owner!)?.deliveredSeq, 3);
      });

      it("lists the authors of the text messages in seq ranges, without system, action or deleted entries", async () => {
        const [owner, a, b] = await users(3);
        const g1 = await group(owner!, [a!]); // seq 1: created
        const g2 = await group(owner!, [b!]);
        const m2 = await send(g1, a!);
        const m3 = await send(g1, owner!);
        await change(g1, owner!, { type: "add", userIds: [b!], maxMembers: 10 }); // seq 4: system entry
        const m5 = await send(g1, b!);
        const [edit] = await store.append([
          { ...draft(g1, a!), action: { type: "edit", target: m2.seq, body: "edited", notBefore: null } },
        ]); // seq 6: action entry
        const m7 = await send(g1, a!);
        const [del] = await store.append([{ ...draft(g1, a!), action: { type: "delete", target: m7.seq, notBefore: null } }]); // seq 8: action entry; seq 7 becomes a tombstone
        const n2 = await send(g2, b!);
        assert.deepEqual([ok(edit).seq, ok(del).seq], [6, 8]);

        const authors = await store.getEntryAuthors([
          { conversationId: g1, afterSeq: 0, maxSeq: 4 },
          { conversationId: g2, afterSeq: 1, maxSeq: 2 },
          { conversationId: g1, afterSeq: 4, maxSeq: 100 },
          { conversationId: newId("g"), afterSeq: 0, maxSeq: 10 },
        ]);
        const byConversation = (id: string) =>
          authors.filter((x) => x.conversationId === id).map((x) => [x.seq, x.senderId] as const);
        assert.deepEqual(byConversation(g1), [
          [m2.seq, a!],
          [m3.seq, owner!],
          [m5.seq, b!],
        ]);
        assert.deepEqual(byConversation(g2), [[n2.seq, b!]]);
        assert.equal(authors.length, 4, "no rows for unknown conversations");

        // Bounds: after < seq ≤ max; empty and inverted ranges list nothing.
        assert.deepEqual(
          (await store.getEntryAuthors([{ conversationId: g1, afterSeq: 2, maxSeq: 3 }])).map((x) => x.seq),
          [m3.seq],
        );
        assert.deepEqual(await store.getEntryAuthors([{ conversationId: g1, afterSeq: 3, maxSeq: 3 }]), []);
        assert.deepEqual(await store.getEntryAuthors([{ conversationId: g1, afterSeq: 5, maxSeq: 1 }]), []);
        assert.deepEqual(await store.getEntryAuthors([]), []);
      });
    });

    describe("concurrency", () => {
      it("gives gap-free, unique seqs to many concurrent appends over several conversations and senders", async () => {
        const conversations: { id: string; senders: string[] }[] = [];
        for (let i = 0; i < 5; i++) {
          const senders = await users(4);
          conversations.push({ id: await group(senders[0]!, senders.slice(1)), senders });
        }
        const batches: MessageDraft[][] = [];
        for (let call = 0; call < 40; call++) {
          for (const { id, senders } of conversations) {
            const size = 1 + ((call * 7 + id.length) % 5);
            batches.push(range(1, size).map((k) => draft(id, senders[(call + k) % senders.length]!)));
          }
        }
        // A batch spanning every conversation exercises per-conversation ordering inside one call.
        batches.push(conversations.flatMap(({ id, senders }) => [draft(id, senders[0]!), draft(id, senders[1]!)]));

        const results = await Promise.all(batches.map((b) => store.append(b)));
        const seqs = new Map<string, number[]>(conversations.map((c) => [c.id, []]));
        results.forEach((outcomes, i) => {
          const lastInCall = new Map<string, number>();
          outcomes.forEach((outcome, j) => {
            const message = ok(outcome);
            assert.equal(outcome.ok && outcome.duplicate, false);
            assert.equal(message.clientId, batches[i]![j]!.clientId);
            assert.ok(message.seq > (lastInCall.get(message.conversationId) ?? 0), "seqs must follow draft order");
            lastInCall.set(message.conversationId, message.seq);
            seqs.get(message.conversationId)!.push(message.seq);
          });
        });

        for (const { id } of conversations) {
          const assigned = seqs.get(id)!.sort((x, y) => x - y);
          assert.deepEqual(assigned, range(2, assigned.length + 1), `seqs of ${id} have gaps or repeats`);
          assert.equal(await lastSeq(id), assigned.length + 1);
          assert.deepEqual(await allSeqs(id), range(1, assigned.length + 1));
        }

        // Resending everything concurrently stores nothing and returns the original seqs.
        const resent = await Promise.all(batches.map((b) => store.append(b)));
        for (const [i, outcomes] of resent.entries()) {
          for (const [j, outcome] of outcomes.entries()) {
            assert.equal(outcome.ok && outcome.duplicate, true);
            assert.deepEqual(ok(outcome), ok(results[i]![j]));
          }
        }
        for (const { id } of conversations) assert.equal(await lastSeq(id), seqs.get(id)!.length + 1);
      });
    });
  });
}
