// Redis presence for cluster mode: per user a sorted set of `<nodeId>:<connectionId>` scored by expiry, refreshed by
// each node's heartbeat, so the devices of a node that dies vanish by expiry; an index finds users to announce offline.

import type { Redis, Result } from "ioredis";
import { BackendUnavailableError, isBackendUnavailable } from "../../ports/errors.js";
import type { PresenceStore } from "../../ports/presence-store.js";
import { closeRedis, keyspace, openRedis, type RedisConnectOptions } from "./redis-connection.js";

/** Keys per script call of `online` (one round trip answers this many users). */
const ONLINE_CHUNK = 500;

// Every script reads the clock of Redis itself, so nodes with skewed clocks agree on what has expired.
const NOW = `local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;
// Keeps the key alive exactly as long as its longest-lived device, so abandoned users' keys vanish by themselves.
const EXPIRE_KEY = `local top = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if top[2] then redis.call('PEXPIREAT', KEYS[1], top[2]) end`;

/** KEYS: device set, index. ARGV: member, ttlMs, userId. Returns 1 when no other device of the user was live. */
const CONNECT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local others = redis.call('ZCARD', KEYS[1])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then others = others - 1 end
local exp = now + tonumber(ARGV[2])
redis.call('ZADD', KEYS[1], exp, ARGV[1])
${EXPIRE_KEY}
redis.call('ZADD', KEYS[2], 'GT', exp, ARGV[3])
if others == 0 then return 1 else return 0 end`;

/** KEYS: device set, index. ARGV: member, userId. Returns 1 when no live device is left. */
const DISCONNECT = `${NOW}
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1])
  redis.call('ZREM', KEYS[2], ARGV[2])
  return 1
end
return 0`;

/** KEYS: device set, index. ARGV: ttlMs, userId, members... Returns 1 when the user had no live device before. */
const HEARTBEAT = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local revived = redis.call('ZCARD', KEYS[1]) == 0
local exp = now + tonumber(ARGV[1])
for i = 3, #ARGV do redis.call('ZADD', KEYS[1], exp, ARGV[i]) end
${EXPIRE_KEY}
redis.call('ZADD', KEYS[2], 'GT', exp, ARGV[2])
if revived then return 1 else return 0 end`;

/** KEYS: device sets. Returns, per key, the number of live devices. */
const ONLINE = `${NOW}
local out = {}
for i, key in ipairs(KEYS) do out[i] = redis.call('ZCOUNT', key, '(' .. now, '+inf') end
return out`;

/**
 * KEYS: index. ARGV: device-set key prefix, limit. Claims users whose index score (latest device expiry) has passed
 * and who really have no live device left; users that still have one get their index score corrected instead.
 * The claim (ZREM from the index) is atomic, so each expired user is returned to one caller only.
 */
const EXPIRED = `${NOW}
local users = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
local gone = {}
for _, user in ipairs(users) do
  local key = ARGV[1] .. user
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if top[2] then
    redis.call('ZADD', KEYS[1], top[2], user)
  else
    redis.call('ZREM', KEYS[1], user)
    gone[#gone + 1] = user
  end
end
return gone`;

declare module "ioredis" {
  interface RedisCommander<Context> {
    parleyPresenceConnect(user: string, index: string, member: string, ttlMs: number, userId: string): Result<number, Context>;
    parleyPresenceDisconnect(user: string, index: string, member: string, userId: string): Result<number, Context>;
    parleyPresenceHeartbeat(
      user: string,
      index: string,
      ttlMs: number,
      userId: string,
      ...members: string[]
    ): Result<number, Context>;
    parleyPresenceOnline(numKeys: number, ...keys: string[]): Result<number[], Context>;
    parleyPresenceExpired(index: string, userPrefix: string, limit: number): Result<string[], Context>;
  }
}

export interface RedisPresenceOptions extends RedisConnectOptions {
  /** Identifies this node's entries (`<nodeId>:<connectionId>`). */
  nodeId: string;
  /** A device not refreshed by its node's heartbeat for this long no longer counts. */
  ttlMs: number;
}

export class RedisPresenceStore implements PresenceStore {
  private readonly userPrefix: string;
  private readonly index: string;
  private closed = false;

  private constructor(
    private readonly redis: Redis,
    private readonly options: RedisPresenceOptions,
  ) {
    const ns = `${keyspace(options.prefix)}presence:`;
    this.userPrefix = `${ns}user:`;
    this.index = `${ns}index`;
  }

  static async connect(url: string, options: RedisPresenceOptions): Promise<RedisPresenceStore> {
    const redis = await openRedis(url, "presence", options);
    redis.defineCommand("parleyPresenceConnect", { numberOfKeys: 2, lua: CONNECT });
    redis.defineCommand("parleyPresenceDisconnect", { numberOfKeys: 2, lua: DISCONNECT });
    redis.defineCommand("parleyPresenceHeartbeat", { numberOfKeys: 2, lua: HEARTBEAT });
    redis.defineCommand("parleyPresenceOnline", { lua: ONLINE });
    redis.defineCommand("parleyPresenceExpired", { numberOfKeys: 1, lua: EXPIRED });
    return new RedisPresenceStore(redis, options);
  }

  async connect(userId: string, connectionId: string): Promise<boolean> {
    const first = await this.call(() =>
      this.redis.parleyPresenceConnect(this.key(userId), this.index, this.member(connectionId), this.options.ttlMs, userId),
    );
    return first === 1;
  }

  async disconnect(userId: string, connectionId: string): Promise<boolean> {
    const last = await this.call(() =>
      this.redis.parleyPresenceDisconnect(this.key(userId), this.index, this.member(connectionId), userId),
    );
    return last === 1;
  }

  async heartbeat(connections: readonly { userId: string; connectionId: string }[]): Promise<string[]> {
    const byUser = new Map<string, string[]>();
    for (const { userId, connectionId } of connections) {
      const list = byUser.get(userId);
      if (list) list.push(this.member(connectionId));
      else byUser.set(userId, [this.member(connectionId)]);
    }
    // One script call per user, all written in this tick: they reach Redis before any later disconnect of this node.
    const calls = [...byUser].map(([userId, members]) =>
      this.redis
        .parleyPresenceHeartbeat(this.key(userId), this.index, this.options.ttlMs, userId, ...members)
        .then((revived) => (revived === 1 ? userId : undefined)),
    );
    const results = await this.call(() => Promise.all(calls));
    return results.filter((u): u is string => u !== undefined);
  }

  async online(userIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < userIds.length; i += ONLINE_CHUNK) {
      const chunk = userIds.slice(i, i + ONLINE_CHUNK);
      const counts = await this.call(() => this.redis.parleyPresenceOnline(chunk.length, ...chunk.map((id) => this.key(id))));
      chunk.forEach((id, k) => {
        if (Number(counts[k]) > 0) out.add(id);
      });
    }
    return out;
  }

  async expired(limit: number): Promise<string[]> {
    return this.call(() => this.redis.parleyPresenceExpired(this.index, this.userPrefix, limit));
  }

  async ping(): Promise<void> {
    await this.call(() => this.redis.ping());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeRedis(this.redis);
  }

  private key(userId: string): string {
    return this.userPrefix + userId;
  }

  private member(connectionId: string): string {
    return `${this.options.nodeId}:${connectionId}`;
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw unavailable(error);
    }
  }
}

/** Connection failures become BackendUnavailableError; anything else (a script bug) stays what it is. */
function unavailable(error: unknown): unknown {
  return isBackendUnavailable(error)
    ? new BackendUnavailableError("presence", (error as Error).message, { cause: error })
    : error;
}
