// The contract every RateLimiter adapter must pass: token buckets, exponential lockouts, and sharing between nodes.

import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { sleep } from "../test/wait.js";
import type { LockoutPolicy, RateLimiter } from "./rate-limiter.js";

/** `make` returns two limiters standing for two nodes of one deployment (the same object for in-process adapters). */
export function runRateLimiterContract(name: string, make: () => Promise<[RateLimiter, RateLimiter]>): void {
  describe(`RateLimiter contract: ${name}`, () => {
    let a: RateLimiter;
    let b: RateLimiter;
    // Keys unique per run: adapters backed by a shared service may hold keys from earlier runs.
    const key = (k: string) => `${k}:${randomUUID()}`;
    before(async () => {
      [a, b] = await make();
    });
    after(async () => {
      await a.close();
      if (b !== a) await b.close();
    });

    it("allows a burst of `capacity`, then refuses with the time until the next token", async () => {
      const k = key("burst");
      const rule = { capacity: 3, windowMs: 3000 };
      for (let i = 0; i < 3; i++) assert.equal((await a.take(k, rule)).ok, true, `token ${i + 1}`);
      const refused = await a.take(k, rule);
      assert.equal(refused.ok, false);
      // One token per second: the next one is at most a second away (and not much less, little time passed).
      assert.ok(refused.retryAfterMs > 500 && refused.retryAfterMs <= 1000, `retryAfterMs ${refused.retryAfterMs}`);
    });

    it("refills continuously", async () => {
      const k = key("refill");
      const rule = { capacity: 2, windowMs: 200 };
      await a.take(k, rule);
      await a.take(k, rule);
      assert.equal((await a.take(k, rule)).ok, false);
      await sleep(150); // the time under test: one token per 100 ms, so one is back after 150 ms (before the 200 ms window)
      assert.equal((await a.take(k, rule)).ok, true, "a token came back after 100 ms");
    });

    it("keeps keys apart", async () => {
      const rule = { capacity: 1, windowMs: 60_000 };
      const [k1, k2] = [key("apart"), key("apart")];
      assert.equal((await a.take(k1, rule)).ok, true);
      assert.equal((await a.take(k1, rule)).ok, false);
      assert.equal((await a.take(k2, rule)).ok, true);
    });

    it("shares buckets and lockouts between the nodes of a deployment", async () => {
      const k = key("shared");
      const rule = { capacity: 2, windowMs: 60_000 };
      assert.equal((await a.take(k, rule)).ok, true);
      assert.equal((await b.take(k, rule)).ok, true);
      assert.equal((await a.take(k, rule)).ok, false);
      assert.equal((await b.take(k, rule)).ok, false);
      const lk = key("shared-lock");
      const policy: LockoutPolicy = { threshold: 1, baseMs: 60_000, maxMs: 60_000, memoryMs: 60_000 };
      await a.fail(lk, policy);
      assert.ok((await b.lockedFor(lk)) > 0);
    });

    it("locks out after `threshold` failures, doubling with each further failure, up to the maximum", async () => {
      const k = key("lock");
      const policy: LockoutPolicy = { threshold: 2, baseMs: 100, maxMs: 250, memoryMs: 60_000 };
      assert.equal(await a.fail(k, policy), 0);
      assert.equal(await a.lockedFor(k), 0);
      assert.equal(await a.fail(k, policy), 100);
      const locked = await a.lockedFor(k);
      assert.ok(locked > 50 && locked <= 100, `locked for ${locked}`);
      await sleep(120); // the time under test: the 100 ms lockout is over 120 ms later
      assert.equal(await a.lockedFor(k), 0, "the lockout ends by itself");
      assert.equal(await a.fail(k, policy), 200, "doubled");
      assert.equal(await a.fail(k, policy), 250, "capped");
    });

    it("forgets failures on reset and after the memory period", async () => {
      const k = key("reset");
      const policy: LockoutPolicy = { threshold: 2, baseMs: 10_000, maxMs: 10_000, memoryMs: 100 };
      await a.fail(k, policy);
      await a.fail(k, policy);
      assert.ok((await a.lockedFor(k)) > 0);
      await a.reset(k);
      assert.equal(await a.lockedFor(k), 0);
      assert.equal(await a.fail(k, policy), 0, "counting starts again");
      await sleep(150); // the time under test: past the 100 ms memory period
      assert.equal(await a.fail(k, policy), 0, "the earlier failure was forgotten");
    });
  });
}
