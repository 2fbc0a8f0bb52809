// The behavioural contract of RetentionStore (docs/protocol.md §6.14), run by each adapter's test on a store of its
// own: the sweep deletes exactly a conversation's expired prefix with its reactions, hidden marks, attachment links
// and search entries, takes the shortest limit, and never deletes or counts twice when sweepers race.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { parseSearchQuery } from "../domain/search-query.js";
import type { ExpiredEntries, MessageDraft, RetentionPolicy } from "./store.js";
import { applyChange } from "./store-fixture.contract.js";
import type { UploadFixture } from "./upload-store.contract.js";
import { toAttachment, type UploadRecord } from "./upload-store.js";

const HOUR = 3_600_000;

export function runRetentionContract(
  name: string,
  open: () => Promise<UploadFixture>,
  cleanup: (f: UploadFixture) => Promise<void> = (f) => f.store.close(),
): void {
  describe(`RetentionStore contract: ${name}`, () => {
    let f: UploadFixture;
    const run = randomUUID().replaceAll("-", "").slice(0, 8);
    let counter = 0;
    const id = (p: string) => `${p}_${run}_${++counter}`;

    before(async () => {
      f = await open();
    });
    after(() => cleanup(f));

    async function user(): Promise<string> {
      const uid = id("u");
      await f.store.createUser({ id: uid, username: uid.toLowerCase(), displayName: uid, passwordHash: "x", createdAt: 1 });
      return uid;
    }

    async function group(ownerId: string, memberIds: string[], at: number): Promise<string> {
      const gid = id("g");
      await f.store.createGroup({ id: gid, title: "G", ownerId, memberIds, createdAt: at, messageId: id("m") });
      return gid;
    }

    function setLimit(conversationId: string, actorId: string, type: "retention" | "disappear", seconds: number, at: number) {
      return applyChange(f.store, { conversationId, actorId, change: { type, seconds }, createdAt: at, messageId: id("m") });
    }

    async function send(conversationId: string, senderId: string, at: number, extra: Partial<MessageDraft> = {}) {
      const [outcome] = await f.store.append([
        { id: id("m"), conversationId, senderId, clientId: id("k"), body: `text ${counter}`, createdAt: at, ...extra },
      ]);
      assert.ok(outcome?.ok, JSON.stringify(outcome));
      return outcome.message;
    }

    async function upload(uploaderId: string): Promise<UploadRecord> {
      const sha256 = (run + String(++counter).padStart(8, "0")).padEnd(64, "b");
      const record: UploadRecord = {
        id: id("up"),
        uploaderId,
        sha256,
        size: 5,
        mimeType: "application/pdf",
        name: "a.pdf",
        width: null,
        height: null,
        thumbSha256: null,
        createdAt: 1,
        scanStatus: "clean",
      };
      assert.equal(await f.uploads.createUpload(record, [{ sha256, size: 5 }], 1), true);
      return record;
    }

    async function seqs(conversationId: string): Promise<number[]> {
      const rows = await f.store.getHistory({ conversationId, minSeq: 0, maxSeq: 1e9, limit: 1000, direction: "asc" });
      return rows.map((m) => m.seq);
    }

    const policy = (now: number, over: Partial<RetentionPolicy> = {}): RetentionPolicy => ({
      now,
      serverMaxAgeSeconds: null,
      conversations: 100,
      batch: 1000,
      ...over,
    });

    /** What a sweep did to `conversationId` (other conversations of the store may be swept by the same call). */
    const of = (results: ExpiredEntries[], conversationId: string) => results.filter((r) => r.conversationId === conversationId);

    it("deletes exactly the expired prefix with its reactions, hidden marks, attachment links and search entries", async () => {
      const T = 1_100_000_000_000;
      const [a, b] = [await user(), await user()];
      const g = await group(a, [b], T);
      const other = await group(a, [b], T);
      await setLimit(g, a, "retention", 3600, T + 1); // seq 2
      const shared = await upload(a);
      const own = await upload(a);
      await send(g, a, T + 2, { attachments: [toAttachment(own), toAttachment(shared)] }); // seq 3
      const old = await send(g, b, T + 3, { body: "zebracorn old words" }); // seq 4
      await f.store.append([
        {
          id: id("m"),
          conversationId: g,
          senderId: a,
          clientId: id("k"),
          body: "",
          createdAt: T + 4,
          action: { type: "reaction", target: old.seq, emoji: "👍", remove: false, maxKinds: 5 },
        },
      ]); // seq 5
      await f.store.hideMessage(b, g, old.seq, T + 5);
      const kept = await send(g, b, T + 2 * HOUR, { body: "zebracorn new words" }); // seq 6
      const keptReply = await send(g, a, T + 2 * HOUR + 1, { replyTo: kept.seq }); // seq 7
      await send(other, a, T + 2, { attachments: [toAttachment(shared)] });
      await f.store.hideMessage(b, g, kept.seq, T + 2 * HOUR + 2);

      const now = T + HOUR + 4;
      const swept = await f.store.expireEntries(policy(now));
      assert.deepEqual(of(swept, g), [
        { conversationId: g, expiredThrough: 5, deleted: 5, uploadIds: of(swept, g)[0]!.uploadIds },
      ]);
      assert.deepEqual([...of(swept, g)[0]!.uploadIds].sort(), [own.id, shared.id].sort());
      assert.deepEqual(of(swept, other), [], "a conversation without limits keeps everything");

      assert.deepEqual(await seqs(g), [kept.seq, keptReply.seq]);
      assert.deepEqual(await seqs(other), [1, 2]);
      const conversation = await f.store.getConversation(g);
      assert.equal(conversation?.expiredSeq, 5);
      assert.equal(conversation?.retentionSeconds, 3600);
      assert.equal(conversation?.disappearSeconds, null);
      assert.equal(conversation?.expiredAt, now);
      assert.equal(conversation?.lastSeq, keptReply.seq, "the sequence goes on where it was");
      assert.deepEqual(await f.store.getReactions(g, [old.seq]), []);
      assert.deepEqual(await f.store.getHiddenSeqs(b, g, [old.seq, kept.seq]), [kept.seq]);
      const hits = await f.store.searchMessages(a, { terms: parseSearchQuery("zebracorn"), limit: 10 });
      assert.deepEqual(
        hits.map((h) => [h.message.conversationId, h.message.seq]),
        [[g, kept.seq]],
      );
      // The links are gone: only the upload no other message shares can go.
      assert.equal(await f.uploads.deleteUnreferencedUploads([own.id, shared.id, id("unknown")]), 1);
      assert.equal(await f.uploads.getUpload(own.id), undefined);
      assert.ok(await f.uploads.getUpload(shared.id));

      assert.deepEqual(of(await f.store.expireEntries(policy(now)), g), [], "a second sweep finds nothing");
    });

    it("drops the pins of expired messages and keeps the others", async () => {
      const T = 1_150_000_000_000;
      const [a, b] = [await user(), await user()];
      const g = await group(a, [b], T);
      await setLimit(g, a, "retention", 3600, T + 1);
      const old = await send(g, b, T + 2);
      const pin = (target: number, at: number) => send(g, a, at, { body: "", action: { type: "pin", target, maxPins: 10 } });
      await pin(old.seq, T + 3);
      const kept = await send(g, b, T + 2 * HOUR);
      await pin(kept.seq, T + 2 * HOUR + 1);
      assert.deepEqual(
        (await f.store.listPins(g)).map((p) => p.seq),
        [kept.seq, old.seq],
      );
      await f.store.expireEntries(policy(T + HOUR + 5));
      assert.deepEqual(
        (await f.store.listPins(g)).map((p) => p.seq),
        [kept.seq],
        "the expired message is no longer pinned",
      );
    });

    it("expires a prefix only: an entry that is not old enough holds back the ones after it", async () => {
      const T = 1_200_000_000_000;
      const a = await user();
      const g = await group(a, [], T);
      await setLimit(g, a, "disappear", 3600, T);
      await send(g, a, T + 2 * HOUR); // seq 3: new (a node whose clock ran ahead)
      await send(g, a, T + 1); // seq 4: old, after a new one
      const swept = of(await f.store.expireEntries(policy(T + HOUR + 10)), g);
      assert.deepEqual(
        swept.map((r) => [r.expiredThrough, r.deleted]),
        [[2, 2]],
      );
      assert.deepEqual(await seqs(g), [3, 4]);
    });

    it("takes the shortest of the disappearing timer, the retention and the server's maximum", async () => {
      const T = 1_300_000_000_000;
      const a = await user();
      const timer = await group(a, [], T);
      await setLimit(timer, a, "retention", 86_400, T);
      await setLimit(timer, a, "disappear", 3600, T);
      const retention = await group(a, [], T);
      await setLimit(retention, a, "retention", 7200, T);
      const server = await group(a, [], T);
      // At T + 1.5 h only the timer's conversation is due; at T + 2.5 h the retention's too.
      const first = await f.store.expireEntries(policy(T + 1.5 * HOUR));
      assert.deepEqual([of(first, timer).length, of(first, retention).length, of(first, server).length], [1, 0, 0]);
      const second = await f.store.expireEntries(policy(T + 2.5 * HOUR));
      assert.deepEqual([of(second, timer).length, of(second, retention).length, of(second, server).length], [0, 1, 0]);
      // A server maximum applies to conversations without limits of their own, and beats a longer one.
      const third = await f.store.expireEntries(policy(T + 2.5 * HOUR, { serverMaxAgeSeconds: 3600 }));
      assert.deepEqual(
        of(third, server).map((r) => r.expiredThrough),
        [1],
      );
      assert.equal((await f.store.getConversation(server))?.expiredSeq, 1);
    });

    it("deletes at most `batch` entries per conversation and step; the next step goes on", async () => {
      const T = 1_400_000_000_000;
      const a = await user();
      const g = await group(a, [], T);
      await setLimit(g, a, "retention", 3600, T);
      for (let i = 0; i < 5; i++) await send(g, a, T + i);
      const now = T + 2 * HOUR;
      assert.deepEqual(
        of(await f.store.expireEntries(policy(now, { batch: 3 })), g).map((r) => [r.expiredThrough, r.deleted]),
        [[3, 3]],
      );
      assert.deepEqual(
        of(await f.store.expireEntries(policy(now, { batch: 3 })), g).map((r) => [r.expiredThrough, r.deleted]),
        [[6, 3]],
      );
      assert.deepEqual(
        of(await f.store.expireEntries(policy(now, { batch: 3 })), g).map((r) => [r.expiredThrough, r.deleted]),
        [[7, 1]],
      );
      assert.deepEqual(await seqs(g), []);
    });

    it("never deletes or counts an entry twice when several sweepers run at once", async () => {
      const T = 1_500_000_000_000;
      const a = await user();
      const conversations: string[] = [];
      for (let c = 0; c < 4; c++) {
        const g = await group(a, [], T);
        await setLimit(g, a, "retention", 3600, T);
        for (let i = 0; i < 6; i++) await send(g, a, T + i);
        conversations.push(g);
      }
      const now = T + 2 * HOUR;
      const racing = await Promise.all([1, 2, 3].map(() => f.store.expireEntries(policy(now, { batch: 4 }))));
      const again = await Promise.all([1, 2, 3].map(() => f.store.expireEntries(policy(now, { batch: 4 }))));
      const all = [...racing.flat(), ...again.flat()].filter((r) => conversations.includes(r.conversationId));
      for (const g of conversations) {
        const mine = all.filter((r) => r.conversationId === g);
        assert.equal(
          mine.reduce((n, r) => n + r.deleted, 0),
          8,
          `conversation ${g}: every entry counted once`,
        );
        assert.deepEqual(await seqs(g), []);
        assert.equal((await f.store.getConversation(g))?.expiredSeq, 8);
      }
    });
  });
}
