// What the shared engines did during a measurement: PostgreSQL's WAL bytes written, Redis's commands and network
// bytes, read before and after from the servers themselves (pg_current_wal_lsn, INFO stats).
import { Redis } from "ioredis";
import pg from "pg";

const DATABASE_URL = process.env.PARLEY_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";
const REDIS_URL = process.env.PARLEY_TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

export async function engineCounters() {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    const { rows } = await client.query("SELECT pg_current_wal_lsn()::text AS lsn");
    await redis.connect();
    const info = Object.fromEntries(
      (await redis.info("stats"))
        .split("\r\n")
        .filter((l) => l.includes(":"))
        .map((l) => l.split(":")),
    );
    return {
      lsn: rows[0].lsn,
      redisCommands: Number(info.total_commands_processed),
      redisIn: Number(info.total_net_input_bytes),
      redisOut: Number(info.total_net_output_bytes),
    };
  } finally {
    await client.end();
    redis.disconnect();
  }
}

/** Differences between two readings; WAL bytes computed by PostgreSQL (pg_wal_lsn_diff). */
export async function engineDelta(a, b) {
  const client = new pg.Client({ connectionString: DATABASE_URL });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::float8 AS bytes", [b.lsn, a.lsn]);
    return {
      walBytes: rows[0].bytes,
      // The two INFO calls themselves are counted: negligible against thousands of publishes.
      redisCommands: b.redisCommands - a.redisCommands,
      redisBytes: b.redisIn - a.redisIn + (b.redisOut - a.redisOut),
    };
  } finally {
    await client.end();
  }
}
