// In-process rate limiter: token buckets and lockouts in bounded maps, answered synchronously.

import { setNewest } from "../../domain/bounded-map.js";
import { type LockoutPolicy, lockoutMs, type RateDecision, type RateLimiter, type RateRule } from "../../ports/rate-limiter.js";

interface Bucket {
  tokens: number;
  at: number;
}

interface Failures {
  count: number;
  lockedUntil: number;
  forgetAt: number;
}

const OK: RateDecision = Object.freeze({ ok: true, retryAfterMs: 0 });

export class MemoryRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly failures = new Map<string, Failures>();

  constructor(
    /**
     * Most keys kept per map. Past it the least recently used key is dropped, which only ever forgives (a dropped
     * bucket is full again): memory stays bounded when an attacker sprays keys (usernames, addresses).
     */
    private readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  take(key: string, rule: RateRule): RateDecision {
    const now = this.now();
    const rate = rule.capacity / rule.windowMs;
    let bucket = this.buckets.get(key);
    if (bucket) {
      bucket.tokens = Math.min(rule.capacity, bucket.tokens + (now - bucket.at) * rate);
      bucket.at = now;
    } else {
      bucket = { tokens: rule.capacity, at: now };
    }
    // Re-inserted on every use: Map order is then least recently used first.
    setNewest(this.buckets, key, bucket, this.maxKeys);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return OK;
    }
    return { ok: false, retryAfterMs: Math.max(1, Math.ceil((1 - bucket.tokens) / rate)) };
  }

  async fail(key: string, policy: LockoutPolicy): Promise<number> {
    const now = this.now();
    let entry = this.failures.get(key);
    if (!entry || entry.forgetAt <= now) entry = { count: 0, lockedUntil: 0, forgetAt: 0 };
    entry.count += 1;
    const lock = lockoutMs(entry.count, policy);
    if (lock > 0) entry.lockedUntil = now + lock;
    entry.forgetAt = now + Math.max(policy.memoryMs, lock);
    setNewest(this.failures, key, entry, this.maxKeys);
    return lock;
  }

  async lockedFor(key: string): Promise<number> {
    const entry = this.failures.get(key);
    if (!entry) return 0;
    return Math.max(0, entry.lockedUntil - this.now());
  }

  async reset(key: string): Promise<void> {
    this.failures.delete(key);
  }

  async close(): Promise<void> {
    this.buckets.clear();
    this.failures.clear();
  }
}
