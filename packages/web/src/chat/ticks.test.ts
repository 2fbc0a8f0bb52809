import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { receiptLabel, receiptSummary } from "./ticks.js";

const direct = [
  { userId: "ann", joinedSeq: 1 },
  { userId: "bob", joinedSeq: 1 },
];
const group = [
  { userId: "ann", joinedSeq: 1 },
  { userId: "bob", joinedSeq: 1 },
  { userId: "cat", joinedSeq: 1 },
  { userId: "dan", joinedSeq: 9 },
];

describe("receiptSummary", () => {
  it("goes sent → delivered → read in a direct chat", () => {
    assert.equal(receiptSummary(5, "ann", direct, []).state, "sent");
    assert.equal(receiptSummary(5, "ann", direct, [{ userId: "bob", deliveredSeq: 5, readSeq: 4 }]).state, "delivered");
    assert.equal(receiptSummary(5, "ann", direct, [{ userId: "bob", deliveredSeq: 7, readSeq: 6 }]).state, "read");
  });

  it("ignores the sender's own watermarks", () => {
    const s = receiptSummary(5, "ann", direct, [{ userId: "ann", deliveredSeq: 9, readSeq: 9 }]);
    assert.deepEqual(s, { state: "sent", delivered: 0, read: 0, total: 1 });
  });

  it("counts readers in a group and only members who were there when it was sent", () => {
    const receipts = [
      { userId: "bob", deliveredSeq: 5, readSeq: 5 },
      { userId: "cat", deliveredSeq: 5, readSeq: 0 },
      { userId: "dan", deliveredSeq: 0, readSeq: 0 },
    ];
    assert.deepEqual(receiptSummary(5, "ann", group, receipts), { state: "delivered", delivered: 2, read: 1, total: 2 });
    // dan joined at 9: a recipient of seq 10, who has not received it.
    assert.deepEqual(receiptSummary(10, "ann", group, receipts), { state: "sent", delivered: 0, read: 0, total: 3 });
  });

  it("takes the higher of member and receipt watermarks, and read implies delivered", () => {
    const members = [
      { userId: "ann", joinedSeq: 1 },
      { userId: "bob", joinedSeq: 1, deliveredSeq: 3, readSeq: 3 },
    ];
    assert.equal(receiptSummary(3, "ann", members, [{ userId: "bob", deliveredSeq: 1, readSeq: 1 }]).state, "read");
    assert.equal(receiptSummary(4, "ann", members, [{ userId: "bob", deliveredSeq: 0, readSeq: 4 }]).state, "read");
  });

  it("stays 'sent' when nobody else is in the conversation", () => {
    assert.deepEqual(receiptSummary(2, "ann", [{ userId: "ann" }], []), { state: "sent", delivered: 0, read: 0, total: 0 });
  });
});

describe("receiptLabel", () => {
  it("uses plain words in direct chats", () => {
    assert.equal(receiptLabel({ state: "sent", delivered: 0, read: 0, total: 1 }, "direct"), "Sent");
    assert.equal(receiptLabel({ state: "delivered", delivered: 1, read: 0, total: 1 }, "direct"), "Delivered");
    assert.equal(receiptLabel({ state: "read", delivered: 1, read: 1, total: 1 }, "direct"), "Read");
    assert.equal(receiptLabel({ state: "pending", delivered: 0, read: 0, total: 1 }, "direct"), "Waiting to send");
  });

  it("says 'read by k of n' in groups", () => {
    assert.equal(receiptLabel({ state: "delivered", delivered: 2, read: 1, total: 2 }, "group"), "Read by 1 of 2");
    assert.equal(receiptLabel({ state: "sent", delivered: 2, read: 1, total: 3 }, "group"), "Read by 1 of 3");
    assert.equal(receiptLabel({ state: "read", delivered: 2, read: 2, total: 2 }, "group"), "Read by 2 of 2");
    assert.equal(receiptLabel({ state: "sent", delivered: 1, read: 0, total: 3 }, "group"), "Delivered to 1 of 3");
  });
});
