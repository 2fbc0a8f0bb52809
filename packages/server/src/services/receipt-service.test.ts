// ReceiptService routing with fake ports: direct vs group, the long-range fallback and a failing author lookup.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ConversationKind, ReceiptState } from "@parley/protocol";
import { createLogger } from "../logger.js";
import { BestEffort } from "../observability/best-effort.js";
import { Metrics } from "../observability/metrics.js";
import type { ConversationRecord, EntryAuthor, ReceiptResult, ReceiptUpdate, SeqRange } from "../ports/store.js";
import type { Delivery } from "./delivery.js";
import type { MemberCache } from "./member-cache.js";
import { ReceiptService } from "./receipt-service.js";

interface Fixture {
  service: ReceiptService;
  /** Recipient → states received, in order. */
  received: Map<string, ReceiptState[]>;
  lookups: SeqRange[][];
  metrics: Metrics;
}

/**
 * One conversation `c` with members a, b, c, d; the entries 1..100 are text messages, seq s sent by a when s is even
 * and by c when odd. Every member starts at watermarks (0, 0).
 */
function fixture(kind: ConversationKind, options: { maxAuthorLookup?: number; failLookup?: boolean } = {}): Fixture {
  const metrics = new Metrics(false);
  const members = ["a", "b", "c", "d"];
  const watermarks = new Map(members.map((m) => [m, { deliveredSeq: 0, readSeq: 0 }]));
  const lookups: SeqRange[][] = [];
  const store = {
    async updateReceipts(updates: readonly ReceiptUpdate[]): Promise<ReceiptResult[]> {
      return updates.map((u) => {
        const previous = { ...watermarks.get(u.userId)! };
        const readSeq = Math.max(previous.readSeq, u.readSeq);
        const deliveredSeq = Math.max(previous.deliveredSeq, u.deliveredSeq, readSeq);
        watermarks.set(u.userId, { deliveredSeq, readSeq });
        const changed = deliveredSeq !== previous.deliveredSeq || readSeq !== previous.readSeq;
        return { conversationId: u.conversationId, state: { userId: u.userId, deliveredSeq, readSeq }, previous, changed };
      });
    },
    async getEntryAuthors(ranges: readonly SeqRange[]): Promise<EntryAuthor[]> {
      lookups.push([...ranges]);
      if (options.failLookup) throw new Error("store down");
      const out: EntryAuthor[] = [];
      for (const r of ranges)
        for (let seq = r.afterSeq + 1; seq <= Math.min(r.maxSeq, 100); seq++)
          out.push({ conversationId: r.conversationId, seq, senderId: seq % 2 === 0 ? "a" : "c" });
      return out;
    },
    async getConversation(id: string): Promise<ConversationRecord | undefined> {
      return { id, kind } as ConversationRecord;
    },
    async getMembership(): Promise<undefined> {
      return undefined;
    },
  };
  const memberCache = {
    get: () => members,
    requireMember: async (_c: string, u: string) => assert.ok(members.includes(u)),
  };
  const received = new Map<string, ReceiptState[]>();
  const delivery = {
    async toUsers(userIds: Iterable<string>, _event: string, data: { receipts: ReceiptState[] }) {
      for (const u of userIds) received.set(u, [...(received.get(u) ?? []), ...data.receipts]);
    },
  };
  const service = new ReceiptService(
    store,
    memberCache as unknown as MemberCache,
    delivery as unknown as Delivery,
    new BestEffort(createLogger({ logLevel: "silent" }), metrics),
    1,
    options.maxAuthorLookup,
  );
  return { service, received, lookups, metrics };
}

const who = (f: Fixture) => Object.fromEntries([...f.received].map(([u, states]) => [u, states.map((s) => s.userId).sort()]));

describe("ReceiptService routing", () => {
  it("groups: the member and the authors newly covered, looked up once per flush", async () => {
    const f = fixture("group");
    await Promise.all([
      f.service.mark("b", { conversationId: "c", delivered: 2 }), // covers 1 (c) and 2 (a)
      f.service.mark("d", { conversationId: "c", delivered: 4, read: 4 }), // covers 1..4 (a, c)
    ]);
    await f.service.drain(); // marks resolve once stored; events follow
    assert.deepEqual(who(f), { a: ["b", "d"], b: ["b"], c: ["b", "d"], d: ["d"] });
    assert.deepEqual(f.lookups, [[{ conversationId: "c", afterSeq: 0, maxSeq: 4 }]], "merged ranges, one call");

    f.received.clear();
    await f.service.mark("b", { conversationId: "c", read: 2 }); // read (0, 2] → a and c again
    await f.service.mark("b", { conversationId: "c", delivered: 4 }); // delivered (2, 4]: 3 (c), 4 (a)
    await f.service.mark("d", { conversationId: "c", delivered: 6 }); // (4, 6]: 5 (c), 6 (a)
    await f.service.drain();
    assert.deepEqual(who(f), { a: ["b", "b", "d"], b: ["b", "b"], c: ["b", "b", "d"], d: ["d"] });
  });

  it("direct conversations: every member gets every change, no lookup", async () => {
    const f = fixture("direct");
    await f.service.mark("b", { conversationId: "c", delivered: 2 });
    await f.service.drain();
    assert.deepEqual(who(f), { a: ["b"], b: ["b"], c: ["b"], d: ["b"] });
    assert.deepEqual(f.lookups, []);
  });

  it("a change covering more than the lookup bound goes to every member, the others are still looked up", async () => {
    const f = fixture("group", { maxAuthorLookup: 10 });
    await Promise.all([
      f.service.mark("b", { conversationId: "c", read: 11 }), // 11 entries: too many to look up
      f.service.mark("d", { conversationId: "c", delivered: 2 }), // 2 entries
    ]);
    await f.service.drain(); // marks resolve once stored; events follow
    assert.deepEqual(who(f), { a: ["b", "d"], b: ["b"], c: ["b", "d"], d: ["b", "d"] });
    assert.deepEqual(f.lookups, [[{ conversationId: "c", afterSeq: 0, maxSeq: 2 }]]);
  });

  it("a failing author lookup still announces every change, to every member", async () => {
    const f = fixture("group", { failLookup: true });
    const state = await f.service.mark("b", { conversationId: "c", delivered: 2 });
    assert.deepEqual(state, { userId: "b", deliveredSeq: 2, readSeq: 0 });
    await f.service.drain();
    assert.deepEqual(who(f), { a: ["b"], b: ["b"], c: ["b"], d: ["b"] });
    const failed = (await f.metrics.bestEffortFailures.get()).values.find((v) => v.labels.where === "receipts.audience");
    assert.equal(failed?.value, 1, "the failed lookup is counted");
  });
});
