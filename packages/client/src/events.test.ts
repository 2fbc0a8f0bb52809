import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Emitter } from "./events.js";

describe("Emitter", () => {
  it("calls listeners with typed payloads and removes them", () => {
    const e = new Emitter<{ a: number; b: string }>();
    const got: unknown[] = [];
    const off = e.on("a", (n) => got.push(n));
    e.once("b", (s) => got.push(s));
    e.emit("a", 1);
    e.emit("b", "x");
    e.emit("b", "y");
    off();
    e.emit("a", 2);
    assert.deepEqual(got, [1, "x"]);
    assert.equal(e.listenerCount("a"), 0);
  });

  it("keeps calling other listeners when one throws, and rethrows the error asynchronously", () => {
    const e = new Emitter<{ a: number }>();
    const got: number[] = [];
    e.on("a", () => {
      throw new Error("boom");
    });
    e.on("a", (n) => got.push(n));
    const deferred: (() => void)[] = [];
    const original = globalThis.queueMicrotask;
    globalThis.queueMicrotask = (fn) => deferred.push(fn);
    try {
      e.emit("a", 7);
    } finally {
      globalThis.queueMicrotask = original;
    }
    assert.deepEqual(got, [7]);
    assert.equal(deferred.length, 1);
    assert.throws(() => deferred[0]!(), /boom/);
  });
});
