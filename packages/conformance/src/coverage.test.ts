// The suite covers every operation, error code and close code the protocol package defines (or says why it cannot).

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CASES, NOT_PROVOKABLE_CLOSES, NOT_PROVOKABLE_ERRORS, PENDING_SERVER_FIXES, uncovered } from "./registry.js";

describe("conformance suite coverage", () => {
  it("has a case for every operation, every provokable error code and every provokable close code", () => {
    assert.deepEqual(uncovered(), { ops: [], errors: [], closes: [] });
  });

  it("detects a missing case (the check itself can fail)", () => {
    const withoutPing = CASES.filter((c) => !c.covers.ops?.includes("ping"));
    assert.deepEqual(uncovered(withoutPing).ops, ["ping"]);
  });

  it("keeps the not-provokable lists short, with a reason each", () => {
    for (const reason of [...Object.values(NOT_PROVOKABLE_ERRORS), ...Object.values(NOT_PROVOKABLE_CLOSES)])
      assert.ok(reason && reason.length > 20);
    assert.ok(Object.keys(NOT_PROVOKABLE_ERRORS).length + Object.keys(NOT_PROVOKABLE_CLOSES).length <= 3);
  });

  it("has unique case ids, and the pending list names existing cases", () => {
    const ids = CASES.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length, "duplicate case ids");
    for (const id of PENDING_SERVER_FIXES) assert.ok(ids.includes(id), `pending case ${id} does not exist`);
  });
});
