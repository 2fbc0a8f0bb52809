// The behavioural contract every PushStore adapter must pass, run from each adapter's test (SQLite and PostgreSQL).

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { FOREVER, type PushStore, type VapidKeys } from "./push-store.js";
import type { Store } from "./store.js";

export interface PushStoreFixture {
  /** The Store whose database the push store shares (users, sessions and conversations are created through it). */
  store: Store;
  push: PushStore;
}

export function runPushStoreContract(
  name: string,
  open: () => Promise<PushStoreFixture>,
  cleanup: (f: PushStoreFixture) => Promise<void>,
  options: { sharedVapidKeys: boolean } = { sharedVapidKeys: false },
): void {
  describe(`PushStore contract: ${name}`, () => {
    let f: PushStoreFixture;
    const run = randomUUID().replaceAll("-", "").slice(0, 8);
    let counter = 0;
    const id = (prefix: string) => `${prefix}_${run}_${++counter}`;
    let clock = 1_700_000_000_000;
    const now = () => ++clock;

    before(async () => {
      f = await open();
    });
    after(async () => {
      await cleanup(f);
    });

    /** A user with one device session. */
    async function device(): Promise<{ userId: string; sessionId: string }> {
      const userId = id("u");
      await f.store.createUser({
        id: userId,
        username: `p${run}${counter}`.toLowerCase(),
        displayName: userId,
        passwordHash: "x",
        createdAt: now(),
      });
      return { userId, sessionId: await session(userId) };
    }
    async function session(userId: string): Promise<string> {
      const sessionId = id("s");
      await f.store.createSession({
        id: sessionId,
        userId,
        deviceName: "test",
        refreshHash: "h",
        createdAt: now(),
        expiresAt: now() + 1e9,
      });
      return sessionId;
    }
    const sub = (d: { userId: string; sessionId: string }, endpoint = `https://push.example/${id("e")}`) => ({
      endpoint,
      kind: "webpush",
      userId: d.userId,
      sessionId: d.sessionId,
      p256dh: `p-${endpoint}`,
      auth: `a-${endpoint}`,
      createdAt: now(),
    });

    it("saves, lists oldest first and deletes subscriptions; an endpoint is unique", async () => {
      const d = await device();
      const a = sub(d);
      const b = sub(d);
      await f.push.saveSubscription(a, 10);
      await f.push.saveSubscription(b, 10);
      const listed = await f.push.listSubscriptions([d.userId]);
      assert.deepEqual(
        listed.map((s) => s.endpoint),
        [a.endpoint, b.endpoint],
      );
      assert.deepEqual(listed[0], { ...a, lastSuccessAt: null, lastFailureAt: null, failures: 0 });
      // The same endpoint again (new keys): replaced, not duplicated.
      await f.push.saveSubscription({ ...a, p256dh: "new", createdAt: now() }, 10);
      const again = await f.push.listSubscriptions([d.userId]);
      assert.equal(again.length, 2);
      assert.equal(again.find((s) => s.endpoint === a.endpoint)?.p256dh, "new");
      assert.equal(await f.push.deleteSubscription(b.endpoint), true);
      assert.equal(await f.push.deleteSubscription(b.endpoint), false);
      assert.deepEqual(
        (await f.push.listSubscriptions([d.userId])).map((s) => s.endpoint),
        [a.endpoint],
      );
    });

    it("an endpoint registered by another user moves to that user; delete with a user only deletes that user's", async () => {
      const d1 = await device();
      const d2 = await device();
      const s = sub(d1);
      await f.push.saveSubscription(s, 10);
      await f.push.saveSubscription({ ...s, userId: d2.userId, sessionId: d2.sessionId, createdAt: now() }, 10);
      assert.equal((await f.push.listSubscriptions([d1.userId])).length, 0);
      assert.equal((await f.push.listSubscriptions([d2.userId]))[0]?.sessionId, d2.sessionId);
      assert.equal(await f.push.deleteSubscription(s.endpoint, d1.userId), false, "not d1's any more");
      assert.equal(await f.push.deleteSubscription(s.endpoint, d2.userId), true);
    });

    it("lists the subscriptions of several users at once", async () => {
      const d1 = await device();
      const d2 = await device();
      const d3 = await device();
      const s1 = sub(d1);
      const s2 = sub(d2);
      const s3 = sub(d3);
      for (const s of [s1, s2, s3]) await f.push.saveSubscription(s, 10);
      const listed = await f.push.listSubscriptions([d1.userId, d3.userId, "nobody"]);
      assert.deepEqual(listed.map((s) => s.endpoint).sort(), [s1.endpoint, s3.endpoint].sort());
      assert.deepEqual(await f.push.listSubscriptions([]), []);
    });

    it("keeps at most maxPerUser subscriptions per user, dropping the oldest", async () => {
      const d = await device();
      const subs = [sub(d), sub(d), sub(d), sub(d)];
      for (const s of subs) await f.push.saveSubscription(s, 3);
      assert.deepEqual(
        (await f.push.listSubscriptions([d.userId])).map((s) => s.endpoint),
        subs.slice(1).map((s) => s.endpoint),
      );
    });

    it("deletes a device session's subscriptions only", async () => {
      const d = await device();
      const other = { userId: d.userId, sessionId: await session(d.userId) };
      await f.push.saveSubscription(sub(d), 10);
      await f.push.saveSubscription(sub(d), 10);
      const kept = sub(other);
      await f.push.saveSubscription(kept, 10);
      assert.equal(await f.push.deleteSessionSubscriptions(d.sessionId), 2);
      assert.deepEqual(
        (await f.push.listSubscriptions([d.userId])).map((s) => s.endpoint),
        [kept.endpoint],
      );
    });

    it("records delivery outcomes: failures count up, a success resets them", async () => {
      const d = await device();
      const s = sub(d);
      await f.push.saveSubscription(s, 10);
      await f.push.recordDelivery(s.endpoint, false, 100);
      await f.push.recordDelivery(s.endpoint, false, 200);
      let row = (await f.push.listSubscriptions([d.userId]))[0]!;
      assert.equal(row.failures, 2);
      assert.equal(row.lastFailureAt, 200);
      await f.push.recordDelivery(s.endpoint, true, 300);
      row = (await f.push.listSubscriptions([d.userId]))[0]!;
      assert.equal(row.failures, 0);
      assert.equal(row.lastSuccessAt, 300);
      await f.push.recordDelivery("https://push.example/unknown", true, 1); // no-op
    });

    it("notification settings default to no DND, no previews, mentions muted; updates apply only the fields given", async () => {
      const d = await device();
      const settings = (dndUntil: number | null, previews: boolean, mentionsInMuted: boolean) => ({
        dndUntil,
        previews,
        mentionsInMuted,
      });
      assert.deepEqual(await f.push.getNotificationSettings(d.userId), settings(null, false, false));
      assert.deepEqual(await f.push.updateNotificationSettings(d.userId, { previews: true }), settings(null, true, false));
      assert.deepEqual(await f.push.updateNotificationSettings(d.userId, { dndUntil: FOREVER }), settings(FOREVER, true, false));
      assert.deepEqual(
        await f.push.updateNotificationSettings(d.userId, { mentionsInMuted: true }),
        settings(FOREVER, true, true),
      );
      assert.deepEqual(await f.push.updateNotificationSettings(d.userId, { dndUntil: null }), settings(null, true, true));
      assert.deepEqual(await f.push.getNotificationSettings(d.userId), settings(null, true, true));
    });

    it("mutes until a time or forever; expired mutes do not count; null unmutes", async () => {
      const d = await device();
      const owner = await device();
      const convs: string[] = [];
      for (let i = 0; i < 2; i++) {
        const { conversation } = await f.store.createGroup({
          id: id("c"),
          title: "g",
          ownerId: owner.userId,
          memberIds: [d.userId],
          createdAt: now(),
          messageId: id("m"),
        });
        convs.push(conversation.id);
      }
      const [c1, c2] = convs as [string, string];
      await f.push.setMute(d.userId, c1, 5000);
      await f.push.setMute(d.userId, c2, FOREVER);
      assert.equal(await f.push.getMute(d.userId, c1, 4999), 5000);
      assert.equal(await f.push.getMute(d.userId, c1, 5000), null, "expired");
      assert.equal(await f.push.getMute(d.userId, c2, 1e13), FOREVER);
      assert.equal(await f.push.getMute(owner.userId, c2, 0), null, "mutes are per user");
      assert.deepEqual(
        (await f.push.listMutes(d.userId, 6000)).map((m) => m.conversationId),
        [c2],
      );
      await f.push.setMute(d.userId, c1, 9000); // replaces
      assert.equal((await f.push.listMutes(d.userId, 6000)).length, 2);
      await f.push.setMute(d.userId, c2, null);
      await f.push.setMute(d.userId, c2, null); // idempotent
      assert.equal(await f.push.getMute(d.userId, c2, 0), null);
    });

    it("VAPID keys: the first claim wins and every later claim returns it", {
      skip: options.sharedVapidKeys ? false : "this adapter keeps no shared keys (the data directory does)",
    }, async () => {
      const first: VapidKeys = { publicKey: "pub-1", privateKey: "priv-1" };
      const second: VapidKeys = { publicKey: "pub-2", privateKey: "priv-2" };
      const [a, b] = await Promise.all([f.push.claimVapidKeys!(first, 1), f.push.claimVapidKeys!(second, 2)]);
      assert.deepEqual(a, b, "concurrent claims agree");
      assert.deepEqual(await f.push.claimVapidKeys!({ publicKey: "x", privateKey: "y" }, 3), a);
    });
  });
}
