// The sizing of background steps by time (step-sizer.ts), as the search indexer uses it.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StepSizer } from "./step-sizer.js";

describe("StepSizer", () => {
  it("shrinks the next step in proportion after a step over budget", () => {
    const sizer = new StepSizer(3, 16, 500, 64);
    sizer.record(64, 6.4);
    assert.equal(sizer.next(), 30);
  });

  it("grows towards the budget at most twofold per step, up to max", () => {
    const sizer = new StepSizer(3, 16, 500, 64);
    sizer.record(64, 0.5);
    assert.equal(sizer.next(), 128);
    sizer.record(128, 1);
    assert.equal(sizer.next(), 256);
    sizer.record(256, 1);
    assert.equal(sizer.next(), 500);
    sizer.record(500, 2.9);
    assert.equal(sizer.next(), 500);
  });

  it("never goes below min, however slow a step was", () => {
    const sizer = new StepSizer(3, 16, 500, 64);
    sizer.record(64, 1000);
    assert.equal(sizer.next(), 16);
  });

  it("keeps its size after a short step that ran out of work, and learns nothing from an empty one", () => {
    const sizer = new StepSizer(3, 16, 500, 100);
    sizer.record(5, 1);
    assert.equal(sizer.next(), 100, "5 rows in 1 ms would say 15 per step, but only 5 were there");
    sizer.record(0, 50);
    assert.equal(sizer.next(), 100);
    sizer.record(5, 10);
    assert.equal(sizer.next(), 16, "a short step over budget still shrinks it");
  });

  it("refuses a budget or bounds that cannot work", () => {
    assert.throws(() => new StepSizer(0, 1, 10), /StepSizer needs budgetMs > 0/);
    assert.throws(() => new StepSizer(3, 0, 10), /integers 1 <= min <= max/);
    assert.throws(() => new StepSizer(3, 10, 5), /integers 1 <= min <= max/);
  });
});
