// The one behavioural contract every Store adapter must pass (SQLite and PostgreSQL), run from each adapter's test: the
// log's own cases (appending, history, concurrency) over the shared fixture (store-fixture.contract.ts: one store,
// unique ids, helpers); the other roles' cases live beside it, one file per port (store-accounts,
// store-conversations, store-receipts .contract.ts).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Message, SystemEvent } from "@parley/protocol";
import type { MembershipChange, MessageDraft, Store } from "./store.js";
import { runAccountStoreContract } from "./store-accounts.contract.js";
import { runConversationStoreContract } from "./store-conversations.contract.js";
import { storeFixture } from "./store-fixture.contract.js";
import { runReceiptStoreContract } from "./store-receipts.contract.js";

export { applyChange, type StoreFixture } from "./store-fixture.contract.js";

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
    const fixture = storeFixture(() => store);
    const { newId, now, users, group, draft, ok, send, change, lastSeq, allSeqs, range } = fixture;

    before(async () => {
      store = await makeStore();
    });
    after(async () => {
      await cleanup(store);
    });

    it("answers ping", async () => {
      await store.ping();
    });

    runAccountStoreContract(fixture);

    runConversationStoreContract(fixture);

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

      it("counts unread messages whose body contains a mention token, of others only", async () => {
        const [a, b] = (await users(2)) as [string, string];
        const g = await group(a, [b]);
        const token = `<@${b}>`;
        const bodies: [string, string][] = [
          [a, `hi ${token}`],
          [a, "no mention"],
          [a, `<@${b}x> is someone else`],
          [b, `${token} myself`],
          [a, `${token}${token} twice counts once`],
        ];
        await store.append(bodies.map(([from, body]) => draft(g, from, newId("c"), body)));
        // Seq 1 is the creation; the bodies are seqs 2..6.
        assert.equal(await store.countUnreadMentions(g, b, 0, 6, token), 2);
        assert.equal(await store.countUnreadMentions(g, b, 2, 6, token), 1);
        assert.equal(await store.countUnreadMentions(g, b, 6, 6, token), 0);
        assert.equal(await store.countUnreadMentions(g, a, 0, 6, `<@${a}>`), 0);
        // `_` and `%` are literal characters, not patterns.
        assert.equal(await store.countUnreadMentions(g, b, 0, 6, "<@%>"), 0);
      });
    });

    runReceiptStoreContract(fixture);

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
