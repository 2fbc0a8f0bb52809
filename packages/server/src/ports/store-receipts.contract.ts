// The Store contract for receipts (the ReceiptStore port): delivered and read watermarks, their clamping and the authors
// they report. runStoreContract (store.contract.ts) runs it on its shared fixture, on every adapter.

import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import type { StoreFixture } from "./store.contract.js";
import type { Store } from "./store.js";

/** Registers the cases inside the `Store contract` suite, on its store and helpers. */
export function runReceiptStoreContract(fixture: StoreFixture): void {
  const { newId, now, users, group, draft, ok, send, change } = fixture;
  let store: Store;
  before(() => {
    store = fixture.store;
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
}
