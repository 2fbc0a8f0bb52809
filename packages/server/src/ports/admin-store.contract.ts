// The behavioural contract every AdminStore adapter must pass, run from each adapter's test (SQLite and PostgreSQL).

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { type AdminStore, inviteRefusal } from "./admin-store.js";
import type { Store } from "./store.js";

export interface AdminStoreFixture {
  /** The Store whose database the admin store shares (users and sessions are created through it). */
  store: Store;
  admin: AdminStore;
  /** Runs raw SQL on the shared database (to check what the schema refuses). */
  exec(sql: string): Promise<void>;
}

export function runAdminStoreContract(
  name: string,
  open: () => Promise<AdminStoreFixture>,
  cleanup: (f: AdminStoreFixture) => Promise<void>,
): void {
  describe(`AdminStore contract: ${name}`, () => {
    let f: AdminStoreFixture;
    const run = randomUUID().replaceAll("-", "").slice(0, 8);
    let counter = 0;
    const id = (prefix: string) => `${prefix}_${run}_${++counter}`;
    let clock = 1_700_000_000_000;
    const now = () => ++clock;
    const fromConsole = (at = now()) => ({ at, actorId: null, details: {} });

    before(async () => {
      f = await open();
    });
    after(async () => {
      await cleanup(f);
    });

    async function user(username = `u${run}${++counter}`): Promise<string> {
      const userId = id("u");
      await f.store.createUser({ id: userId, username, displayName: `Name ${username}`, passwordHash: "x", createdAt: now() });
      return userId;
    }
    async function session(userId: string): Promise<string> {
      const sessionId = id("s");
      await f.store.createSession({
        id: sessionId,
        userId,
        deviceName: "d",
        refreshHash: "h",
        createdAt: now(),
        expiresAt: now() + 1e9,
      });
      return sessionId;
    }

    it("makes the first account of an empty server administrator, once, and no later account", async () => {
      const first = await user();
      assert.equal(await f.admin.claimFirstAdmin(first, fromConsole()), true);
      assert.equal((await f.store.getUserById(first))?.serverRole, "admin");
      assert.equal(await f.admin.claimFirstAdmin(first, fromConsole()), false, "claimed once");
      const second = await user();
      assert.equal(await f.admin.claimFirstAdmin(second, fromConsole()), false);
      assert.equal((await f.store.getUserById(second))?.serverRole, null);
      const [entry] = await f.admin.listAudit(undefined, 1);
      assert.ok(entry);
      // The newest entry is the first account's grant (the refused claims wrote none).
      assert.deepEqual(
        { action: entry.action, target: entry.target, actorId: entry.actorId },
        {
          action: "admin.granted",
          target: first,
          actorId: null,
        },
      );
    });

    it("grants and revokes the role by username, auditing only changes", async () => {
      const username = `g${run}${++counter}`;
      const userId = await user(username);
      assert.equal((await f.admin.setAdmin(username, true, fromConsole()))?.serverRole, "admin");
      assert.equal((await f.admin.setAdmin(username, true, fromConsole()))?.serverRole, "admin");
      assert.equal((await f.store.getUserByUsername(username))?.serverRole, "admin");
      assert.equal((await f.admin.setAdmin(username, false, fromConsole()))?.serverRole, null);
      assert.equal(await f.admin.setAdmin(`nobody${run}`, true, fromConsole()), undefined);
      const entries = (await f.admin.listAudit(undefined, 10)).filter((e) => e.target === userId);
      assert.deepEqual(
        entries.map((e) => e.action),
        ["admin.revoked", "admin.granted"],
      );
      assert.equal(entries[0]?.details["username"], username);
    });

    it("lists users by username, searches username and display name, pages with after", async () => {
      const prefix = `l${run}`;
      for (const n of ["c", "a", "b"]) await user(`${prefix}${n}`);
      const page1 = await f.admin.listUsers({ query: prefix, limit: 2 });
      assert.deepEqual(
        page1.map((u) => u.username),
        [`${prefix}a`, `${prefix}b`],
      );
      const page2 = await f.admin.listUsers({ query: prefix, after: page1[1]!.username, limit: 2 });
      assert.deepEqual(
        page2.map((u) => u.username),
        [`${prefix}c`],
      );
      const byName = await f.admin.listUsers({ query: `NAME ${prefix}B`, limit: 10 });
      assert.deepEqual(
        byName.map((u) => u.username),
        [`${prefix}b`],
      );
      assert.deepEqual(await f.admin.listUsers({ query: `${prefix}%`, limit: 10 }), [], "% is literal");
    });

    it("deactivates (revoking every session) and reactivates, auditing each change once", async () => {
      const userId = await user();
      const [s1, s2] = [await session(userId), await session(userId)];
      const at = now();
      const done = await f.admin.setDeactivated(userId, at, { at, actorId: "admin_1", details: {} });
      assert.equal(done?.changed, true);
      assert.deepEqual([...(done?.revokedSessions ?? [])].sort(), [s1, s2].sort());
      assert.equal((await f.store.getUserById(userId))?.deactivatedAt, at);
      assert.equal((await f.store.getSession(s1))?.revokedAt, at);
      const again = await f.admin.setDeactivated(userId, now(), fromConsole());
      assert.deepEqual({ changed: again?.changed, revoked: again?.revokedSessions }, { changed: false, revoked: [] });
      const back = await f.admin.setDeactivated(userId, null, fromConsole());
      assert.equal(back?.changed, true);
      assert.equal((await f.store.getUserById(userId))?.deactivatedAt, null);
      assert.equal(await f.admin.setDeactivated(id("missing"), now(), fromConsole()), undefined);
      const actions = (await f.admin.listAudit(undefined, 20)).filter((e) => e.target === userId).map((e) => e.action);
      assert.deepEqual(actions, ["user.reactivated", "user.deactivated"]);
    });

    it("stores settings with an audit entry", async () => {
      const key = `k${run}`;
      assert.deepEqual(await f.admin.getSettings([key]), {});
      await f.admin.putSettings({ [key]: "invite_only" }, fromConsole());
      await f.admin.putSettings({ [key]: "closed" }, fromConsole());
      assert.deepEqual(await f.admin.getSettings([key, "absent"]), { [key]: "closed" });
      const [entry] = await f.admin.listAudit(undefined, 1);
      assert.equal(entry?.action, "settings.updated");
      assert.equal(entry?.details[key], "closed");
    });

    it("counts invitation uses up to the limit, refuses expired and revoked ones, and gives a use back", async () => {
      const t = now();
      const invite = {
        id: id("i"),
        secretHash: "h",
        note: "team",
        createdBy: "admin_1",
        createdAt: t,
        expiresAt: t + 1000,
        maxUses: 2,
      };
      await f.admin.createInvite(invite, fromConsole(t));
      assert.equal(await f.admin.useInvite(invite.id, t + 1), true);
      assert.equal(await f.admin.useInvite(invite.id, t + 1), true);
      assert.equal(await f.admin.useInvite(invite.id, t + 1), false, "used up");
      const used = await f.admin.getInvite(invite.id);
      assert.equal(used && inviteRefusal(used, t + 1), "used_up");
      await f.admin.releaseInvite(invite.id);
      assert.equal(await f.admin.useInvite(invite.id, t + 1000), false, "expired");
      assert.equal(await f.admin.useInvite(invite.id, t + 2), true, "the released use");
      const revoked = await f.admin.revokeInvite(invite.id, fromConsole());
      assert.ok(revoked?.revokedAt);
      assert.equal((await f.admin.revokeInvite(invite.id, fromConsole()))?.revokedAt, revoked?.revokedAt, "idempotent");
      assert.equal(await f.admin.revokeInvite(id("missing"), fromConsole()), undefined);
      const unlimited = { ...invite, id: id("i"), maxUses: null, createdAt: t + 5 };
      await f.admin.createInvite(unlimited, fromConsole());
      assert.equal(await f.admin.useInvite(unlimited.id, t + 6), true);
      const actions = (await f.admin.listAudit(undefined, 20)).filter((e) => e.target === invite.id).map((e) => e.action);
      assert.deepEqual(actions, ["invite.revoked", "invite.created"]);
    });

    it("lists invitations newest first, paged by id", async () => {
      const t = now() + 10_000_000;
      const ids = [id("p"), id("p"), id("p")];
      for (const [i, inviteId] of ids.entries()) {
        await f.admin.createInvite(
          { id: inviteId, secretHash: "h", note: null, createdBy: "a", createdAt: t + i, expiresAt: t + 1e6, maxUses: null },
          fromConsole(),
        );
      }
      const first = await f.admin.listInvites(undefined, 2);
      assert.deepEqual(
        first.map((i) => i.id),
        [ids[2], ids[1]],
      );
      const next = await f.admin.listInvites(ids[1], 1);
      assert.deepEqual(
        next.map((i) => i.id),
        [ids[0]],
      );
    });

    it("uses a password-reset link once, before it expires; a new link spends the old one", async () => {
      const userId = await user();
      const t = now();
      await f.admin.createPasswordReset(
        { id: id("r"), userId, secretHash: "h", createdAt: t, expiresAt: t + 1000 },
        fromConsole(t),
      );
      const old = id("r");
      await f.admin.createPasswordReset(
        { id: old, userId, secretHash: "h", createdAt: t + 1, expiresAt: t + 1000 },
        fromConsole(),
      );
      const fresh = id("r");
      await f.admin.createPasswordReset(
        { id: fresh, userId, secretHash: "h", createdAt: t + 2, expiresAt: t + 1000 },
        fromConsole(),
      );
      assert.equal(await f.admin.usePasswordReset(old, t + 3), false, "spent by the newer link");
      assert.equal(await f.admin.usePasswordReset(fresh, t + 1000), false, "expired");
      assert.equal(await f.admin.usePasswordReset(fresh, t + 3), true);
      assert.equal(await f.admin.usePasswordReset(fresh, t + 4), false, "used");
      assert.equal((await f.admin.getPasswordReset(fresh))?.usedAt, t + 3);
    });

    it("sets a password, revoking the other sessions; lists live sessions newest first", async () => {
      const userId = await user();
      const [keep, other] = [await session(userId), await session(userId)];
      assert.deepEqual(
        (await f.admin.listSessions(userId, now())).map((s) => s.id),
        [other, keep],
      );
      assert.deepEqual(await f.admin.setPassword(userId, "new-hash", keep, now()), [other]);
      assert.equal((await f.store.getUserById(userId))?.passwordHash, "new-hash");
      assert.deepEqual(
        (await f.admin.listSessions(userId, now())).map((s) => s.id),
        [keep],
      );
      assert.deepEqual(await f.admin.setPassword(userId, "newer", null, now()), [keep]);
      assert.deepEqual(await f.admin.listSessions(userId, now()), []);
    });

    it("keeps the audit log append-only: the schema refuses changes and removals", async () => {
      await f.admin.appendAudit({ at: now(), actorId: "a", action: "user.created", target: "t", details: { username: "x" } });
      const [entry] = await f.admin.listAudit(undefined, 1);
      assert.equal(entry?.action, "user.created");
      await assert.rejects(f.exec("UPDATE audit_log SET action = 'forged'"), /append-only/);
      await assert.rejects(f.exec("DELETE FROM audit_log"), /append-only/);
      const older = await f.admin.listAudit(entry!.id, 5);
      assert.ok(older.every((e) => e.id < entry!.id));
    });
  });
}
