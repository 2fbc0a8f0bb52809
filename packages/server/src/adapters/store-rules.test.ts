// The pure rules both SQL stores call, checked directly; the store contract suites check them through each engine.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { directCreation, directKey, groupCreation } from "./conversation-rules.js";
import { historyBounds } from "./history-rules.js";
import { admissions, membershipEvent, ownerSuccessor, readmission } from "./membership-rules.js";
import { advanceReceipt } from "./receipt-rules.js";

describe("store rules", () => {
  it("receipts only move forward, never past the last seq, and read lifts delivered", () => {
    assert.deepEqual(advanceReceipt({ deliveredSeq: 5, readSeq: 3 }, { deliveredSeq: 4, readSeq: 2 }, 10), {
      deliveredSeq: 5,
      readSeq: 3,
      changed: false,
    });
    assert.deepEqual(advanceReceipt({ deliveredSeq: 5, readSeq: 3 }, { deliveredSeq: 0, readSeq: 99 }, 10), {
      deliveredSeq: 10,
      readSeq: 10,
      changed: true,
    });
  });

  it("admits new and past members once each, in request order, and skips current ones", () => {
    const leftSeq = new Map<string, number | null>([
      ["current", null],
      ["past", 4],
    ]);
    const admitted = admissions(["new", "current", "past", "new"], (id) => leftSeq.get(id));
    assert.deepEqual(admitted, { fresh: ["new"], past: ["past"], admitted: ["new", "past"] });
    assert.deepEqual(membershipEvent({ type: "add", userIds: [], maxMembers: 9 }, "a", admitted.admitted), {
      type: "member.added",
      actorId: "a",
      userIds: ["new", "past"],
    });
  });

  it("lifts a returning member's watermarks to just before the re-join, never lowering them", () => {
    assert.deepEqual(readmission({ deliveredSeq: 2, readSeq: 1, receiptAt: 7 }, 10, 50), {
      deliveredSeq: 9,
      readSeq: 9,
      receiptAt: 50,
    });
    assert.deepEqual(readmission({ deliveredSeq: 12, readSeq: 11, receiptAt: 7 }, 10, 50), {
      deliveredSeq: 12,
      readSeq: 11,
      receiptAt: 7,
    });
  });

  it("hands ownership to the longest-standing admin, else member, only when no owner remains", () => {
    const member = (userId: string, role: "owner" | "admin" | "member", joinedSeq: number) => ({ userId, role, joinedSeq });
    assert.equal(ownerSuccessor([member("m1", "member", 1), member("a2", "admin", 5), member("a1", "admin", 5)]), "a1");
    assert.equal(ownerSuccessor([member("m2", "member", 4), member("m1", "member", 2)]), "m1");
    assert.equal(ownerSuccessor([member("m1", "member", 1), member("o", "owner", 9)]), undefined);
    assert.equal(ownerSuccessor([]), undefined);
  });

  it("keys a direct pair the same way from both sides; a note to self has one member", () => {
    assert.equal(directKey("b", "a"), directKey("a", "b"));
    assert.deepEqual(directCreation("a", "a").userIds, ["a"]);
    assert.deepEqual(groupCreation("o", ["x", "o", "x"], "t").userIds, ["o", "x"]);
  });

  it("narrows the history window by the cursor and reads nothing when it is empty", () => {
    const query = { conversationId: "c", minSeq: 3, maxSeq: 20, limit: 10, direction: "asc" as const };
    assert.deepEqual(historyBounds({ ...query, afterSeq: 5, beforeSeq: 30 }), { from: 6, to: 20 });
    assert.equal(historyBounds({ ...query, afterSeq: 19, beforeSeq: 20 }), undefined);
    assert.equal(historyBounds({ ...query, limit: 0 }), undefined);
  });
});
