// Runs the rate-limiter contract against the in-process adapter, plus its memory bound.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runRateLimiterContract } from "../../ports/rate-limiter.contract.js";
import { formatRateRule, parseRateRule } from "../../ports/rate-limiter.js";
import { MemoryRateLimiter } from "./memory-rate-limiter.js";

runRateLimiterContract("MemoryRateLimiter", async () => {
  const limiter = new MemoryRateLimiter();
  return [limiter, limiter];
});

describe("MemoryRateLimiter", () => {
  it("answers synchronously and keeps at most maxKeys buckets, forgetting the least recently used", () => {
    const limiter = new MemoryRateLimiter(2);
    const rule = { capacity: 1, windowMs: 60_000 };
    const first = limiter.take("a", rule);
    assert.equal(first instanceof Promise, false);
    assert.equal(limiter.take("a", rule).ok, false);
    limiter.take("b", rule);
    limiter.take("c", rule);
    assert.equal(limiter.take("a", rule).ok, true, "a was evicted, its bucket is full again");
  });
});

describe("rate rules", () => {
  it("parses <count>/<window> and off", () => {
    assert.deepEqual(parseRateRule("30/m"), { capacity: 30, windowMs: 60_000 });
    assert.deepEqual(parseRateRule("200/20s"), { capacity: 200, windowMs: 20_000 });
    assert.deepEqual(parseRateRule(" 10 / 1h "), { capacity: 10, windowMs: 3_600_000 });
    assert.deepEqual(parseRateRule("5/500ms"), { capacity: 5, windowMs: 500 });
    assert.equal(parseRateRule("off"), null);
    for (const bad of ["", "30", "x/m", "30/d", "0/s", "-1/s", "30/0s"]) assert.throws(() => parseRateRule(bad), bad);
  });

  it("formats what it parses", () => {
    for (const text of ["30/m", "200/20s", "10/h", "5/500ms", "off"]) assert.equal(formatRateRule(parseRateRule(text)), text);
  });
});
