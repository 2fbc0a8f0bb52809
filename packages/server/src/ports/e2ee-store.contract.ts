// The behavioural contract of end-to-end encryption's storage, run from each engine's test (SQLite and PostgreSQL): the
// E2eeStore directories and the MLS rules of the conversation log (commits by compare-and-set, Welcome recipients,
// MLS messages only in encrypted conversations).

import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import type { E2eeStore } from "./e2ee-store.js";
import type { AppendOutcome, CommitDraft, MessageDraft, Store } from "./store.js";

export interface E2eeStoreFixture {
  /** The Store whose database the E2EE store shares (users, sessions and conversations are made through it). */
  store: Store;
  e2ee: E2eeStore;
}

export function runE2eeStoreContract(
  name: string,
  open: () => Promise<E2eeStoreFixture>,
  cleanup: (f: E2eeStoreFixture) => Promise<void>,
): void {
  describe(`E2eeStore contract: ${name}`, () => {
    let f: E2eeStoreFixture;
    const run = randomUUID().replaceAll("-", "").slice(0, 8);
    let counter = 0;
    const id = (prefix: string) => `${prefix}${run}${++counter}`;
    const NOW = Date.now();
    const DAY = 86_400_000;
    const bytes = (n = 32) => new Uint8Array(randomBytes(n));

    before(async () => {
      f = await open();
    });
    after(async () => {
      await cleanup(f);
    });

    async function user(): Promise<string> {
      const userId = id("u");
      await f.store.createUser({ id: userId, username: userId, displayName: userId, passwordHash: "x", createdAt: NOW });
      return userId;
    }

    /** A session of `userId` registered as an MLS device. */
    async function device(userId: string, expiresAt = NOW + 30 * DAY): Promise<string> {
      const deviceId = id("s");
      await f.store.createSession({
        id: deviceId,
        userId,
        deviceName: "test",
        refreshHash: deviceId,
        createdAt: NOW - DAY,
        expiresAt,
      });
      assert.equal((await f.e2ee.registerDevice({ userId, deviceId, signatureKey: bytes(), now: NOW })).outcome, "registered");
      return deviceId;
    }

    async function group(ownerId: string, memberIds: string[], encrypted: boolean): Promise<string> {
      const conversationId = id("C");
      await f.store.createGroup({
        id: conversationId,
        title: "g",
        ownerId,
        memberIds,
        createdAt: NOW,
        messageId: id("M"),
        encrypted,
      });
      return conversationId;
    }

    function commit(senderId: string, conversationId: string, deviceId: string, epoch: number, welcomeTo?: string[]) {
      const draft: CommitDraft = {
        id: id("M"),
        conversationId,
        senderId,
        createdAt: NOW,
        mls: { epoch, deviceId, data: bytes(64) },
        groupInfo: bytes(48),
        ...(welcomeTo === undefined ? {} : { welcome: { id: id("W"), data: bytes(80), deviceIds: welcomeTo } }),
      };
      return draft;
    }

    function send(senderId: string, conversationId: string, mls?: { epoch: number; deviceId: string }): MessageDraft {
      return {
        id: id("M"),
        conversationId,
        senderId,
        clientId: id("c"),
        body: mls === undefined ? "plain text" : "",
        createdAt: NOW,
        ...(mls === undefined ? {} : { mls: { ...mls, data: bytes(100) } }),
      };
    }

    const one = async (draft: MessageDraft | CommitDraft): Promise<AppendOutcome> => (await f.store.append([draft]))[0]!;

    it("binds one signature key per device; lists only live sessions' devices", async () => {
      const a = await user();
      const d1 = await device(a);
      const d2 = await device(a);
      const key = (await f.e2ee.listDevices([a], NOW)).find((d) => d.deviceId === d1)!.signatureKey;
      assert.equal((await f.e2ee.registerDevice({ userId: a, deviceId: d1, signatureKey: key, now: NOW })).outcome, "unchanged");
      const other = await f.e2ee.registerDevice({ userId: a, deviceId: d1, signatureKey: bytes(), now: NOW });
      assert.equal(other.outcome, "conflict");
      assert.deepEqual(Buffer.from(other.device.signatureKey), Buffer.from(key), "the first key stays");
      assert.deepEqual((await f.e2ee.listDevices([a], NOW)).map((d) => d.deviceId).sort(), [d1, d2].sort());
      await f.store.revokeSession(d2, NOW);
      assert.deepEqual(
        (await f.e2ee.listDevices([a], NOW)).map((d) => d.deviceId),
        [d1],
        "a revoked session drops out",
      );
      assert.deepEqual(await f.e2ee.listDevices([a], NOW + 31 * DAY), [], "so does an expired one");
      assert.deepEqual(await f.e2ee.deviceOwners([d1, d2, "nobody"]), [a]);
    });

    it("hands each device whose session expired to one claim, and forgets it; live and revoked ones stay", async () => {
      const a = await user();
      const expired = await device(a, NOW - 1);
      const live = await device(a);
      const revoked = await device(a, NOW - 1);
      await f.store.revokeSession(revoked, NOW - 2);
      const claims = await Promise.all([f.e2ee.claimExpiredDevices(NOW, 100), f.e2ee.claimExpiredDevices(NOW, 100)]);
      const mine = claims.flat().filter((d) => [expired, live, revoked].includes(d.deviceId));
      assert.deepEqual(mine, [{ deviceId: expired, userId: a }], "claimed once, by one of two concurrent sweeps");
      assert.deepEqual(await f.e2ee.deviceOwners([expired, live, revoked]), [a]);
      assert.deepEqual(
        (await f.e2ee.claimExpiredDevices(NOW, 100)).filter((d) => d.userId === a),
        [],
      );
      assert.deepEqual(
        (await f.e2ee.listDevices([a], NOW)).map((d) => d.deviceId),
        [live],
      );
    });

    it("keeps single-use KeyPackages up to the limit and one last-resort package, counting what is left", async () => {
      const a = await user();
      const d = await device(a);
      const pkg = () => ({ data: bytes(300), expiresAt: NOW + DAY });
      assert.deepEqual(await f.e2ee.uploadKeyPackages(d, [pkg(), pkg(), pkg()], pkg(), 4, NOW), {
        ok: true,
        count: 3,
        lastResort: true,
      });
      assert.deepEqual(await f.e2ee.uploadKeyPackages(d, [pkg(), pkg()], undefined, 4, NOW), {
        ok: false,
        count: 3,
        lastResort: true,
      });
      assert.deepEqual(await f.e2ee.countKeyPackages(d, NOW), { count: 3, lastResort: true }, "a refused upload stores nothing");
      assert.deepEqual(await f.e2ee.uploadKeyPackages(d, [pkg()], pkg(), 4, NOW), { ok: true, count: 4, lastResort: true });
      assert.deepEqual(await f.e2ee.countKeyPackages(d, NOW + 2 * DAY), { count: 0, lastResort: false }, "expired ones");
    });

    it("claims one package per live device atomically, single-use first, then the last-resort one", async () => {
      const a = await user();
      const b = await user();
      const a1 = await device(a);
      const a2 = await device(a);
      const b1 = await device(b);
      const single = { data: bytes(300), expiresAt: NOW + DAY };
      const last = { data: bytes(300), expiresAt: NOW + DAY };
      await f.e2ee.uploadKeyPackages(a1, [single], last, 100, NOW);
      await f.e2ee.uploadKeyPackages(b1, [], { data: bytes(300), expiresAt: NOW + DAY }, 100, NOW);
      // a2 has no package: it is left out.
      const [first, second] = await Promise.all([f.e2ee.claimKeyPackages([a, b], NOW), f.e2ee.claimKeyPackages([a], NOW)]);
      const fromA1 = [...first, ...second].filter((c) => c.deviceId === a1);
      assert.equal(fromA1.length, 2);
      assert.deepEqual(
        fromA1.map((c) => c.lastResort).sort(),
        [false, true],
        "two concurrent claims never get the same single-use package",
      );
      assert.deepEqual(Buffer.from(fromA1.find((c) => !c.lastResort)!.data), Buffer.from(single.data));
      assert.ok(!first.some((c) => c.deviceId === a2));
      assert.deepEqual(
        first.filter((c) => c.deviceId === b1).map((c) => c.lastResort),
        [true],
      );
      assert.deepEqual(await f.e2ee.countKeyPackages(a1, NOW), { count: 0, lastResort: true }, "the last-resort one stays");
      assert.deepEqual(await f.e2ee.claimKeyPackages([a], NOW + 2 * DAY), [], "nothing past its expiry");
    });

    it("accepts the first commit of an epoch, refuses the others with the current epoch, keeps GroupInfo and Welcomes", async () => {
      const a = await user();
      const b = await user();
      const outsider = await user();
      const a1 = await device(a);
      const b1 = await device(b);
      const o1 = await device(outsider);
      const c = await group(a, [b], true);
      assert.deepEqual(await f.e2ee.getGroupInfo(c), { epoch: 0, groupInfo: null });
      const refusedWelcome = await one(commit(a, c, a1, 0, [b1, o1]));
      assert.equal(refusedWelcome.ok, false);
      assert.ok(!refusedWelcome.ok && refusedWelcome.code === "device_not_registered");
      assert.ok(!refusedWelcome.ok && refusedWelcome.details?.deviceId === o1, "the outsider's device is named");
      const winner = commit(a, c, a1, 0, [b1]);
      const [won, lost] = await f.store.append([winner, commit(b, c, b1, 0)]);
      assert.ok(won?.ok && won.message.kind === "system" && won.message.seq === 2);
      assert.deepEqual(won.ok && won.message.event, { type: "mls.commit", actorId: a, epoch: 0 });
      assert.equal(won.ok && won.message.mls?.data, Buffer.from(winner.mls.data).toString("base64url"));
      assert.ok(lost && !lost.ok && lost.code === "stale_epoch" && lost.details?.epoch === 1, "the loser learns epoch 1");
      const info = await f.e2ee.getGroupInfo(c);
      assert.equal(info?.epoch, 1);
      assert.deepEqual(Buffer.from(info!.groupInfo!), Buffer.from(winner.groupInfo));
      const [history] = [await f.store.getHistory({ conversationId: c, minSeq: 1, maxSeq: 99, limit: 10, direction: "asc" })];
      assert.deepEqual(
        history.map((m) => m.mls?.epoch ?? null),
        [null, 0],
        "the stream holds the creation and the winning commit only",
      );
      const welcomes = await f.e2ee.listWelcomes(b1);
      assert.equal(welcomes.length, 1);
      assert.equal(welcomes[0]!.epoch, 1);
      assert.deepEqual(Buffer.from(welcomes[0]!.data), Buffer.from(winner.welcome!.data));
      assert.equal(await f.e2ee.ackWelcomes(b1, [welcomes[0]!.id, "W_unknown"]), 1);
      assert.deepEqual(await f.e2ee.listWelcomes(b1), []);
      const notMember = await one(commit(outsider, c, o1, 1));
      assert.ok(!notMember.ok && notMember.code === "not_member");
    });

    it("takes MLS messages only in encrypted conversations and plaintext only in plain ones", async () => {
      const a = await user();
      const b = await user();
      const a1 = await device(a);
      const secret = await group(a, [b], true);
      const plain = await group(a, [b], false);
      const refusedPlain = await one(send(a, secret));
      assert.ok(!refusedPlain.ok && refusedPlain.code === "encryption_required");
      const refusedMls = await one(send(a, plain, { epoch: 0, deviceId: a1 }));
      assert.ok(!refusedMls.ok && refusedMls.code === "not_encrypted");
      const future = await one(send(a, secret, { epoch: 1, deviceId: a1 }));
      assert.ok(!future.ok && future.code === "stale_epoch" && future.details?.epoch === 0);
      const draft = send(a, secret, { epoch: 0, deviceId: a1 });
      const sent = await one(draft);
      assert.ok(sent.ok && sent.message.kind === "text" && sent.message.body === "");
      assert.deepEqual(sent.ok && sent.message.mls, {
        epoch: 0,
        deviceId: a1,
        data: Buffer.from(draft.mls!.data).toString("base64url"),
      });
      const [stored] = await f.store.getMessagesBySeq(secret, [2]);
      assert.deepEqual(stored?.mls, sent.ok ? sent.message.mls : undefined, "read back as sent");
      assert.equal((await f.store.getConversation(secret))?.encrypted, true);
      assert.equal((await f.store.getConversation(plain))?.encrypted, false);
    });

    it("keeps a pair's encrypted direct conversation apart from their plain one", async () => {
      const a = await user();
      const b = await user();
      const plain = await f.store.openDirect({ id: id("C"), userA: a, userB: b, createdAt: NOW, messageId: id("M") });
      const secret = await f.store.openDirect({
        id: id("C"),
        userA: b,
        userB: a,
        createdAt: NOW,
        messageId: id("M"),
        encrypted: true,
      });
      assert.notEqual(plain.conversation.id, secret.conversation.id);
      assert.equal(secret.conversation.encrypted, true);
      const again = await f.store.openDirect({
        id: id("C"),
        userA: a,
        userB: b,
        createdAt: NOW,
        messageId: id("M"),
        encrypted: true,
      });
      assert.deepEqual(again, { created: false, conversation: secret.conversation });
    });
  });
}
