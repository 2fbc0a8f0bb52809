import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff } from "./backoff.js";

describe("Backoff", () => {
  it("doubles the ceiling per attempt up to the cap", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 1000, random: () => 0.999999 });
    const delays = Array.from({ length: 7 }, () => b.next());
    assert.deepEqual(delays, [99, 199, 399, 799, 999, 999, 999]);
  });

  it("keeps every delay within [0, ceiling) (full jitter)", () => {
    const b = new Backoff({ initialMs: 50, maxMs: 5000 });
    for (let i = 0; i < 500; i++) {
      const ceiling = b.ceiling();
      const d = b.next();
      assert.ok(d >= 0 && d < ceiling, `delay ${d} outside [0, ${ceiling})`);
    }
    assert.equal(b.ceiling(), 5000);
  });

  it("spreads delays with jitter rather than a fixed schedule", () => {
    const samples = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const b = new Backoff({ initialMs: 1000, maxMs: 1000 });
      samples.add(b.next());
    }
    assert.ok(samples.size > 10, `only ${samples.size} distinct delays`);
    assert.equal(new Backoff({ random: () => 0 }).next(), 0);
  });

  it("starts over after reset (a connection that stayed up)", () => {
    const b = new Backoff({ initialMs: 100, maxMs: 10_000, random: () => 0.5 });
    b.next();
    b.next();
    b.next();
    assert.equal(b.attempts, 3);
    assert.equal(b.ceiling(), 800);
    b.reset();
    assert.equal(b.attempts, 0);
    assert.equal(b.next(), 50);
  });

  it("never overflows after many attempts", () => {
    const b = new Backoff({ initialMs: 1, maxMs: 60_000, random: () => 0.5 });
    for (let i = 0; i < 5000; i++) assert.ok(Number.isFinite(b.next()));
    assert.equal(b.next(), 30_000);
  });

  it("rejects nonsensical options", () => {
    assert.throws(() => new Backoff({ initialMs: 0 }), RangeError);
    assert.throws(() => new Backoff({ initialMs: 10, maxMs: 5 }), RangeError);
    assert.throws(() => new Backoff({ factor: 0.5 }), RangeError);
  });
});
