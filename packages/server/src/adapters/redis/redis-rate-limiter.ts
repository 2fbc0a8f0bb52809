// Redis rate limiter for cluster mode: buckets and lockouts shared by every node, each update one atomic Lua script.

import type { Redis } from "ioredis";
import type { LockoutPolicy, RateDecision, RateLimiter, RateRule } from "../../ports/rate-limiter.js";
import { closeRedis, keyspace, openRedis, type RedisConnectOptions } from "./redis-connection.js";

/**
 * Token bucket in a hash {t: tokens, at: ms}. Time comes from Redis (TIME), so nodes whose clocks differ still agree.
 * The key expires once the bucket would be full again: an idle bucket costs no memory.
 * Returns {allowed 0|1, retryAfterMs}.
 */
const TAKE = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local capacity = tonumber(ARGV[1])
local rate = capacity / tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 't', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
else
  tokens = math.min(capacity, tokens + math.max(0, now - at) * rate)
end
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = math.max(1, math.ceil((1 - tokens) / rate))
end
redis.call('HSET', KEYS[1], 't', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate) + 1000)
return {allowed, retry}
`;

/**
 * One more failure in a hash {n: failures, until: ms}. From `threshold` failures on, locks for base·2^(n−threshold),
 * capped (the same formula as `lockoutMs`). ARGV: threshold, baseMs, maxMs, memoryMs. Returns the lockout in ms.
 */
const FAIL = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local threshold = tonumber(ARGV[1])
local n = redis.call('HINCRBY', KEYS[1], 'n', 1)
local lock = 0
if n >= threshold then
  lock = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ math.min(n - threshold, 30))
  redis.call('HSET', KEYS[1], 'until', now + lock)
end
redis.call('PEXPIRE', KEYS[1], math.max(tonumber(ARGV[4]), lock))
return lock
`;

/** Remaining lockout in ms, 0 when none. */
const LOCKED_FOR = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local untilMs = tonumber(redis.call('HGET', KEYS[1], 'until'))
if untilMs == nil or untilMs <= now then return 0 end
return untilMs - now
`;

type Scripted = Redis & {
  parleyTake(key: string, capacity: number, windowMs: number): Promise<[number, number]>;
  parleyFail(key: string, threshold: number, baseMs: number, maxMs: number, memoryMs: number): Promise<number>;
  parleyLockedFor(key: string): Promise<number>;
};

export class RedisRateLimiter implements RateLimiter {
  private readonly prefix: string;

  private constructor(
    private readonly redis: Scripted,
    prefix: string,
  ) {
    this.prefix = `${keyspace(prefix)}rl:`;
  }

  static async connect(url: string, options: RedisConnectOptions): Promise<RedisRateLimiter> {
    const redis = await openRedis(url, "rate limiter", options);
    // defineCommand sends EVALSHA and falls back to EVAL once per connection when the script is not cached.
    redis.defineCommand("parleyTake", { numberOfKeys: 1, lua: TAKE });
    redis.defineCommand("parleyFail", { numberOfKeys: 1, lua: FAIL });
    redis.defineCommand("parleyLockedFor", { numberOfKeys: 1, lua: LOCKED_FOR });
    return new RedisRateLimiter(redis as Scripted, options.prefix);
  }

  async take(key: string, rule: RateRule): Promise<RateDecision> {
    const [allowed, retry] = await this.redis.parleyTake(this.prefix + key, rule.capacity, rule.windowMs);
    return { ok: allowed === 1, retryAfterMs: Number(retry) };
  }

  async fail(key: string, policy: LockoutPolicy): Promise<number> {
    const { threshold, baseMs, maxMs, memoryMs } = policy;
    return Number(await this.redis.parleyFail(`${this.prefix}lock:${key}`, threshold, baseMs, maxMs, memoryMs));
  }

  async lockedFor(key: string): Promise<number> {
    return Number(await this.redis.parleyLockedFor(`${this.prefix}lock:${key}`));
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(`${this.prefix}lock:${key}`);
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }
}
