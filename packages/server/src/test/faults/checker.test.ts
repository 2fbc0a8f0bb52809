// The fault checker on hand-made histories: a clean one passes, and each kind of broken promise (lost, duplicated,
// reordered, phantom, a failed send stored twice, receipts going down) is caught and named.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type ClientHistory, check, type Reference, type StoredEntry, violations } from "./checker.js";

const C = "C_1";

function entry(seq: number, sender: string, clientId: string | null, id = `M_${seq}`): StoredEntry {
  return { seq, id, senderId: sender, clientId };
}

/** ann sent a-1 (seq 2) and a-2 (seq 3); bob saw seq 1–3; seq 1 is the system entry of the creation. */
function clean(): { histories: ClientHistory[]; reference: Reference } {
  const reference: Reference = {
    conversations: { [C]: [entry(1, "ann", null), entry(2, "ann", "a-1"), entry(3, "ann", "a-2")] },
    watermarks: { [C]: { ann: { deliveredSeq: 3, readSeq: 3 }, bob: { deliveredSeq: 3, readSeq: 2 } } },
  };
  const ann: ClientHistory = {
    user: "ann",
    conversations: [C],
    sends: [
      { user: "ann", conversationId: C, clientId: "a-1", attempts: 1, outcome: { kind: "acked", id: "M_2", seq: 2 } },
      { user: "ann", conversationId: C, clientId: "a-2", attempts: 2, outcome: { kind: "acked", id: "M_3", seq: 3 } },
    ],
    observations: [
      { conversationId: C, seq: 1, id: "M_1", via: "sync" },
      { conversationId: C, seq: 2, id: "M_2", via: "ack" },
      { conversationId: C, seq: 3, id: "M_3", via: "ack" },
    ],
    receipts: [{ conversationId: C, deliveredSeq: 3, readSeq: 3 }],
  };
  const bob: ClientHistory = {
    user: "bob",
    conversations: [C],
    sends: [],
    observations: [
      { conversationId: C, seq: 1, id: "M_1", via: "sync" },
      { conversationId: C, seq: 3, id: "M_3", via: "event" },
      { conversationId: C, seq: 2, id: "M_2", via: "sync" },
      { conversationId: C, seq: 3, id: "M_3", via: "sync" }, // seen twice at the same seq: one entry, shown once
    ],
    receipts: [
      { conversationId: C, deliveredSeq: 1, readSeq: 1 },
      { conversationId: C, deliveredSeq: 3, readSeq: 2 },
    ],
  };
  return { histories: [ann, bob], reference };
}

describe("fault checker", () => {
  it("passes a history that kept every promise", () => {
    const { histories, reference } = clean();
    const v = check(histories, reference);
    assert.equal(violations(v), 0, v.problems.join("\n"));
    assert.equal(v.acked, 2);
  });

  it("catches an acknowledged message that the store does not hold", () => {
    const { histories, reference } = clean();
    reference.conversations[C] = reference.conversations[C]!.slice(0, 2);
    const v = check(histories, reference);
    assert.equal(v.lost >= 1, true);
    assert.match(v.problems.join("\n"), /lost: ann a-2: acked as M_3 at seq 3/);
  });

  it("catches a stored message that a member never got, even after resync", () => {
    const { histories, reference } = clean();
    histories[1]!.observations = histories[1]!.observations.filter((o) => o.seq !== 2);
    const v = check(histories, reference);
    assert.equal(v.lost, 1);
    assert.match(v.problems.join("\n"), /bob never got M_2/);
  });

  it("catches a message stored twice (the retry of an acked send stored again)", () => {
    const { histories, reference } = clean();
    reference.conversations[C]!.push(entry(4, "ann", "a-2", "M_4"));
    histories[1]!.observations.push({ conversationId: C, seq: 4, id: "M_4", via: "event" });
    histories[0]!.observations.push({ conversationId: C, seq: 4, id: "M_4", via: "sync" });
    const v = check(histories, reference);
    assert.equal(v.duplicated, 1);
    assert.match(v.problems.join("\n"), /ann\/a-2 stored 2 times/);
  });

  it("catches one id shown at two positions", () => {
    const { histories, reference } = clean();
    histories[1]!.observations.push({ conversationId: C, seq: 4, id: "M_3", via: "event" });
    const v = check(histories, reference);
    assert.equal(v.duplicated, 1);
    assert.ok(v.reordered >= 1, "seq 4 holds nothing in the store");
  });

  it("catches a member that saw a different order than the store", () => {
    const { histories, reference } = clean();
    histories[1]!.observations = [
      { conversationId: C, seq: 1, id: "M_1", via: "sync" },
      { conversationId: C, seq: 2, id: "M_3", via: "event" },
      { conversationId: C, seq: 3, id: "M_2", via: "event" },
    ];
    const v = check(histories, reference);
    assert.equal(v.reordered, 2);
    assert.match(v.problems.join("\n"), /bob saw M_3 at C_1#2 by event; the store has M_2/);
  });

  it("catches a gap in the stored sequence", () => {
    const { histories, reference } = clean();
    reference.conversations[C]![2]!.seq = 4;
    assert.ok(check(histories, reference).reordered >= 1);
  });

  it("catches a phantom: a stored message that no client sent", () => {
    const { histories, reference } = clean();
    reference.conversations[C]!.push(entry(4, "bob", "b-9", "M_4"));
    for (const h of histories) h.observations.push({ conversationId: C, seq: 4, id: "M_4", via: "sync" });
    const v = check(histories, reference);
    assert.equal(v.phantom, 1);
    assert.match(v.problems.join("\n"), /phantom: bob\/b-9 is stored/);
  });

  it("allows a failed send to be absent or stored once, and catches it stored twice", () => {
    const { histories, reference } = clean();
    histories[1]!.sends.push(
      { user: "bob", conversationId: C, clientId: "b-1", attempts: 1, outcome: { kind: "error", code: "unavailable" } },
      { user: "bob", conversationId: C, clientId: "b-2", attempts: 3, outcome: { kind: "unknown" } },
    );
    reference.conversations[C]!.push(entry(4, "bob", "b-2", "M_4"));
    for (const h of histories) h.observations.push({ conversationId: C, seq: 4, id: "M_4", via: "sync" });
    const once = check(histories, reference);
    assert.equal(violations(once), 0, once.problems.join("\n"));
    assert.deepEqual([once.failed, once.failedButStored], [2, 1]);

    reference.conversations[C]!.push(entry(5, "bob", "b-2", "M_5"));
    for (const h of histories) h.observations.push({ conversationId: C, seq: 5, id: "M_5", via: "sync" });
    assert.equal(check(histories, reference).duplicated, 1);
  });

  it("catches a display that shows an entry twice or out of order", () => {
    const { histories, reference } = clean();
    const shown = (seqs: number[]) => seqs.map((seq) => ({ conversationId: C, seq, id: `M_${seq}`, via: "event" as const }));
    histories[1]!.shown = shown([1, 2, 3]);
    assert.equal(violations(check(histories, reference)), 0);
    histories[1]!.shown = shown([1, 2, 3, 3]);
    assert.equal(check(histories, reference).duplicated, 1);
    histories[1]!.shown = shown([1, 3, 2]);
    const v = check(histories, reference);
    assert.equal(v.reordered, 1);
    assert.match(v.problems.join("\n"), /bob showed C_1#2 after #3/);
  });

  it("catches receipts that go down, between results and in the store", () => {
    const { histories, reference } = clean();
    histories[1]!.receipts.push({ conversationId: C, deliveredSeq: 2, readSeq: 2 });
    assert.equal(check(histories, reference).receiptRegressions, 1);

    const again = clean();
    again.reference.watermarks[C]!["bob"] = { deliveredSeq: 2, readSeq: 2 };
    const v = check(again.histories, again.reference);
    assert.equal(v.receiptRegressions, 1);
    assert.match(v.problems.join("\n"), /bob in C_1: acknowledged 3\/2, stored 2\/2/);
  });
});
