// The Store contract for accounts and sessions (the AccountStore port): users, sessions, contacts, blocks and consent to
// group adds, presence visibility. runStoreContract (store.contract.ts) runs it on its shared fixture, on every adapter.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { StoreFixture } from "./store.contract.js";
import type { Store } from "./store.js";

/** Registers the cases inside the `Store contract` suite, on its store and helpers. */
export function runAccountStoreContract(fixture: StoreFixture): void {
  const { run, newId, now, user, users, group, change, rejectsWith, sorted } = fixture;
  let store: Store;
  before(() => {
    store = fixture.store;
  });

  describe("users", () => {
    it("creates a user and finds it by id and username", async () => {
      const id = newId("u");
      const input = { id, username: `alice${run}`, displayName: "Alice", passwordHash: "h", createdAt: now() };
      const created = await store.createUser(input);
      assert.deepEqual(created, { ...input, lastSeenAt: null, serverRole: null, deactivatedAt: null, avatarId: null });
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

  describe("finding people", () => {
    /** A user with the given username (made unique by the run) and display name; answers [id, username]. */
    async function person(name: string, displayName: string): Promise<[string, string]> {
      const id = newId("p");
      const username = `${name}${run}`.toLowerCase();
      await store.createUser({ id, username, displayName, passwordHash: "h", createdAt: now() });
      return [id, username];
    }
    const names = (found: { username: string }[]) => found.map((u) => u.username);

    // Tokens no other case's users contain (the fixture's usernames are `<label><run><counter>`).
    const q = `${run}q`;
    const r = `${run}r`;
    const t = `${run}t`;

    it("matches a substring of the username or the display name, any case, ordered by username, in pages", async () => {
      const [viewer] = await person("viewer", "Viewer");
      const [, ann] = await person("ann_x", `Ann ${q} Lee`);
      const [, zed] = await person("zed", `Zed Mc${q.toUpperCase()}`);
      const [, byName] = await person(`m${q}_handle`, "Someone");
      await person("other", "Nobody Else");
      const all = await store.searchUsers(viewer, q.toUpperCase(), "", 10);
      assert.deepEqual(names(all), [ann, byName, zed].sort());
      const first = await store.searchUsers(viewer, q, "", 2);
      assert.deepEqual(names(first), [ann, byName].sort());
      assert.deepEqual(names(await store.searchUsers(viewer, q, first[1]!.username, 2)), [zed]);
      assert.deepEqual(await store.searchUsers(viewer, `${q}nothing`, "", 10), []);
    });

    it("treats % and _ as plain characters", async () => {
      const [viewer] = await person("viewer2", "Viewer");
      const [, percent] = await person("pct", `100% ${r}`);
      await person("plain", `100 ${r}`);
      assert.deepEqual(names(await store.searchUsers(viewer, `% ${r}`, "", 10)), [percent]);
      assert.deepEqual(names(await store.searchUsers(viewer, `_${r}`, "", 10)), []);
    });

    it("leaves out the viewer, users the viewer blocked and users who blocked the viewer", async () => {
      const [viewer] = await person("seeker", `Seeker ${t}`);
      const [blocked] = await person("blocked", `Blocked ${t}`);
      const [blocker] = await person("blocker", `Blocker ${t}`);
      const [, visible] = await person("visible", `Visible ${t}`);
      await store.addBlock(viewer, blocked, now());
      await store.addBlock(blocker, viewer, now());
      assert.deepEqual(names(await store.searchUsers(viewer, t, "", 10)), [visible]);
      await store.removeBlock(viewer, blocked);
      await store.removeBlock(blocker, viewer);
      assert.equal((await store.searchUsers(viewer, t, "", 10)).length, 3);
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

    it("lists a user's block peers both ways, once each", async () => {
      const [a, b, c, d] = await users(4);
      await store.addBlock(a!, b!, now());
      await store.addBlock(c!, a!, now());
      await store.addBlock(a!, d!, now());
      await store.addBlock(d!, a!, now());
      assert.deepEqual(sorted(await store.blockPeers(a!)), sorted([b!, c!, d!]));
      assert.deepEqual(await store.blockPeers(b!), [a!]);
      assert.deepEqual(await store.blockPeers(c!), [a!]);
      await store.removeBlock(a!, b!);
      assert.deepEqual(await store.blockPeers(b!), []);
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

    it("hides co-members and contacts while a block stands between them, either way", async () => {
      const [viewer, blockedByViewer, blocksViewer, contact] = await users(4);
      await group(viewer!, [blockedByViewer!, blocksViewer!]);
      await store.addContact(contact!, viewer!, now());
      const targets = [viewer!, blockedByViewer!, blocksViewer!, contact!];
      assert.deepEqual(sorted(await store.filterPresenceVisible(viewer!, targets)), sorted(targets));
      await store.addBlock(viewer!, blockedByViewer!, now());
      await store.addBlock(blocksViewer!, viewer!, now());
      await store.addBlock(viewer!, contact!, now());
      assert.deepEqual(await store.filterPresenceVisible(viewer!, targets), [viewer!]);
      assert.deepEqual(await store.filterPresenceVisible(blockedByViewer!, [viewer!, blocksViewer!]), [blocksViewer!]);
      assert.deepEqual(await store.filterPresenceVisible(blocksViewer!, [viewer!]), []);
      await store.removeBlock(viewer!, contact!);
      assert.deepEqual(await store.filterPresenceVisible(viewer!, [contact!]), [contact!]);
    });
  });
}
