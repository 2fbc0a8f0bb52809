// Opening ioredis connections for the Redis adapters: start-up timeout, reconnect policy, state-change logging.

import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "../../logger.js";
import { BackendUnavailableError } from "../../ports/errors.js";

export interface RedisConnectOptions {
  /** Deployment name: every key and channel is named `parley:<prefix>:…`, so deployments can share one Redis. */
  prefix: string;
  log?: Logger | undefined;
  /** Start-up fails when Redis has not answered within this time. */
  connectTimeoutMs?: number;
  /** A command not answered within this time fails (so a silent network cut cannot stall requests). */
  commandTimeoutMs?: number;
}

/** `parley:<prefix>:` */
export function keyspace(prefix: string): string {
  return `parley:${prefix}:`;
}

/** The URL without its password, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/**
 * Connects and resolves once Redis answers. Commands never wait in an offline queue: while disconnected they fail at
 * once, which the request path turns into `unavailable`; ioredis keeps reconnecting in the background.
 */
export async function openRedis(
  url: string,
  name: string,
  options: RedisConnectOptions,
  extra: Partial<RedisOptions> = {},
): Promise<Redis> {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 2,
    // Commands issued in one event-loop turn (a fan-out's PUBLISHes, a heartbeat's scripts) leave in one write.
    enableAutoPipelining: true,
    commandTimeout: options.commandTimeoutMs ?? 2000,
    connectTimeout: Math.min(connectTimeoutMs, 5000),
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    connectionName: `parley-${options.prefix}-${name.replaceAll(" ", "-")}`,
    ...extra,
  });
  let lastError: unknown;
  const onStartupError = (error: unknown) => {
    lastError = error;
  };
  redis.on("error", onStartupError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(lastError ?? new Error("no answer")), connectTimeoutMs);
      redis.once("ready", () => {
        clearTimeout(timer);
        resolve();
      });
      redis.connect().catch((error: unknown) => {
        lastError = error;
      });
    });
  } catch (error) {
    redis.disconnect();
    throw new BackendUnavailableError(
      name,
      `cannot reach Redis at ${redactUrl(url)} within ${connectTimeoutMs} ms: ${(error as Error).message}`,
      { cause: error },
    );
  } finally {
    redis.off("error", onStartupError);
  }
  // Log state changes only, not every failed reconnect attempt.
  let healthy = true;
  redis.on("error", (error: unknown) => {
    if (!healthy) return;
    healthy = false;
    options.log?.warn({ err: error, connection: name }, "redis connection lost; reconnecting");
  });
  redis.on("ready", () => {
    if (healthy) return;
    healthy = true;
    options.log?.info({ connection: name }, "redis connection restored");
  });
  return redis;
}

/** QUIT politely; a connection that cannot send QUIT is just dropped. */
export async function closeRedis(redis: Redis): Promise<void> {
  try {
    if (redis.status === "ready") await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}
