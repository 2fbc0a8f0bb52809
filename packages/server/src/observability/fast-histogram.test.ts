// FastHistogram renders exactly what prom-client's Histogram renders for the same observations.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Histogram, Registry } from "prom-client";
import { FastHistogram } from "./fast-histogram.js";

describe("FastHistogram", () => {
  it("matches prom-client's text exposition, with and without labels", async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const values = [0.0005, 0.001, 0.002, 0.05, 0.05, 0.5, 3, 0.01];
    const theirs = new Registry();
    const ours = new Registry();
    const ref = new Histogram({ name: "x_seconds", help: "h", labelNames: ["op"] as const, buckets, registers: [theirs] });
    const fast = new FastHistogram({ name: "x_seconds", help: "h", labelNames: ["op"] as const, buckets, registers: [ours] });
    const refPlain = new Histogram({ name: "y_seconds", help: "h", buckets, registers: [theirs] });
    const fastPlain = new FastHistogram({ name: "y_seconds", help: "h", buckets, registers: [ours] });
    for (const [i, v] of values.entries()) {
      ref.labels(i % 2 ? "a" : "b").observe(v);
      fast.labels(i % 2 ? "a" : "b").observe(v);
      refPlain.observe(v);
      fastPlain.observe(v);
    }
    const sorted = (text: string) => text.trim().split("\n").sort();
    assert.deepEqual(sorted(await ours.metrics()), sorted(await theirs.metrics()));
    fast.observe(Number.NaN);
    assert.equal(fast.labels("a").count, 4, "non-finite values are ignored");
    fast.reset();
    assert.equal((await fast.get()).values.length, 0);
  });
});
