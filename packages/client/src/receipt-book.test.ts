import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ReceiptBook } from "./receipt-book.js";

describe("ReceiptBook", () => {
  it("derives per-message state from watermarks, excluding the sender", () => {
    const book = new ReceiptBook();
    book.setMembers("g", [
      { userId: "me", deliveredSeq: 10, readSeq: 10 },
      { userId: "a", deliveredSeq: 10, readSeq: 8 },
      { userId: "b", deliveredSeq: 9, readSeq: 9 },
      { userId: "c", deliveredSeq: 5, readSeq: 0 },
    ]);
    assert.deepEqual(book.status("g", 9, "me"), { delivered: 2, read: 1, total: 3 });
    assert.deepEqual(book.status("g", 10, "me"), { delivered: 1, read: 0, total: 3 });
  });

  it("only moves watermarks forward and reports what changed", () => {
    const book = new ReceiptBook();
    book.setMembers("d", [{ userId: "a", deliveredSeq: 5, readSeq: 3 }]);
    assert.deepEqual(book.apply("d", [{ userId: "a", deliveredSeq: 4, readSeq: 2 }]), []);
    assert.deepEqual(book.apply("d", [{ userId: "a", deliveredSeq: 5, readSeq: 6 }]), [
      { userId: "a", deliveredSeq: 6, readSeq: 6 },
    ]);
    const changed = book.setMembers("d", [{ userId: "b", deliveredSeq: 1, readSeq: 0 }]);
    assert.deepEqual(changed, [{ userId: "b", deliveredSeq: 1, readSeq: 0 }]);
    assert.deepEqual(
      book.get("d").map((r) => r.userId),
      ["b"],
      "a full member list replaces the old one",
    );
  });
});
