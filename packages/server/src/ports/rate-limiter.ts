// The rate-limiter port: token buckets and failure lockouts keyed by strings, shareable between nodes.

/**
 * A token bucket: at most `capacity` requests in a burst, refilled continuously at `capacity` per `windowMs`.
 * Written `<capacity>/<window>` in configuration, e.g. `200/20s` (bursts of 200, 10 per second sustained).
 */
export interface RateRule {
  capacity: number;
  windowMs: number;
}

/** Exponential lockout after repeated failures: `threshold` failures lock for `baseMs`, each further one doubles it. */
export interface LockoutPolicy {
  threshold: number;
  baseMs: number;
  maxMs: number;
  /** Failures are forgotten this long after the last one. */
  memoryMs: number;
}

export interface RateDecision {
  ok: boolean;
  /** When refused: how long until one token is available again. 0 when `ok`. */
  retryAfterMs: number;
}

/**
 * Buckets and lockouts by key. `take` may answer synchronously (the in-process adapter does, so the request hot
 * path costs no extra tick); callers must accept both forms.
 */
export interface RateLimiter {
  /** Takes one token from bucket `key` governed by `rule`. */
  take(key: string, rule: RateRule): RateDecision | Promise<RateDecision>;
  /** Records a failure on `key`; resolves with the lockout (ms) now in force, 0 when under the threshold. */
  fail(key: string, policy: LockoutPolicy): Promise<number>;
  /** Remaining lockout of `key` in ms; 0 when not locked. */
  lockedFor(key: string): Promise<number>;
  /** Forgets the failures of `key` (after a success). */
  reset(key: string): Promise<void>;
  close(): Promise<void>;
}

/** The lockout that `failures` failures earn under `policy`. */
export function lockoutMs(failures: number, policy: LockoutPolicy): number {
  if (failures < policy.threshold) return 0;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(failures - policy.threshold, 30));
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses `<capacity>/<window>` (`30/m`, `200/20s`, `10/1h`, `5/500ms`); `off` disables the limit (null). */
export function parseRateRule(text: string): RateRule | null {
  const v = text.trim().toLowerCase();
  if (v === "off" || v === "none" || v === "0") return null;
  const match = /^(\d+)\s*\/\s*(\d*)\s*(ms|s|m|h)$/.exec(v);
  if (!match) throw new Error(`expected <count>/<window> such as 30/m or 200/20s, or off; got "${text}"`);
  const capacity = Number(match[1]);
  const windowMs = Number(match[2] || "1") * UNITS[match[3]!]!;
  if (capacity < 1 || capacity > 1_000_000) throw new Error(`count must be between 1 and 1000000, got ${capacity}`);
  if (windowMs < 1 || windowMs > 86_400_000) throw new Error("window must be between 1ms and 24h");
  return { capacity, windowMs };
}

/** The inverse of `parseRateRule`, for documentation and logs. */
export function formatRateRule(rule: RateRule | null): string {
  if (!rule) return "off";
  for (const [unit, ms] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1000],
  ] as const) {
    if (rule.windowMs % ms === 0) {
      const n = rule.windowMs / ms;
      return `${rule.capacity}/${n === 1 ? "" : n}${unit}`;
    }
  }
  return `${rule.capacity}/${rule.windowMs}ms`;
}
