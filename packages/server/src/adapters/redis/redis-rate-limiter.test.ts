// Runs the rate-limiter contract against Redis: two limiters on two connections stand for two nodes.

import { randomUUID } from "node:crypto";
import { after } from "node:test";
import { Redis } from "ioredis";
import { runRateLimiterContract } from "../../ports/rate-limiter.contract.js";
import { requireService } from "../../test/services.js";
import { keyspace } from "./redis-connection.js";
import { RedisRateLimiter } from "./redis-rate-limiter.js";

const REDIS_URL = process.env["PARLEY_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";
const prefix = `test-${randomUUID().slice(0, 8)}-rl`;

const available = await requireService(`Redis at ${REDIS_URL}`, async () => {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
  } finally {
    probe.disconnect();
  }
});

if (available) {
  runRateLimiterContract("RedisRateLimiter", async () =>
    Promise.all([RedisRateLimiter.connect(REDIS_URL, { prefix }), RedisRateLimiter.connect(REDIS_URL, { prefix })]),
  );

  after(async () => {
    const redis = new Redis(REDIS_URL);
    try {
      const keys = await redis.keys(`${keyspace(prefix)}*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      redis.disconnect();
    }
  });
}
