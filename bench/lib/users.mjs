// The user pool: registering users costs an argon2 hash each (~25 ms here), far too slow to repeat for every run.
// The pool is registered once per suite run through the public HTTP API on a throw-away Parley node (unpinned, both
// cores) with a fixed token secret and a one-day access-token lifetime; every later Parley node starts on a copy of
// that database with the same secret, so the pool's access tokens (and their device sessions) are valid there. No
// server code is involved beyond its normal configuration. Many connections may share one user's access token: each
// is then one more connection of that device session, which the protocol allows (§2.1).
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { api } from "./parley-client.mjs";
import { startParley } from "./procs.mjs";

export async function seedUserPool(count, log) {
  const secret = randomBytes(32).toString("base64url");
  const started = performance.now();
  const server = await startParley({ cpu: undefined, name: "parley-seed", pool: undefined, env: { PARLEY_JWT_SECRET: secret } });
  const users = new Array(count);
  try {
    let next = 0;
    let done = 0;
    const tag = randomBytes(3).toString("hex");
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < count) {
          const i = next++;
          const r = await api(server.url, "POST", "/v1/auth/register", {
            username: `b${tag}_${i}`,
            password: "benchmark-password",
            deviceName: "bench",
          });
          users[i] = { id: r.user.id, username: r.user.username, token: r.accessToken };
          if (++done % 250 === 0) log?.(`  user pool: ${done}/${count} registered`);
        }
      }),
    );
    // A graceful stop checkpoints the WAL into parley.db, so copying that one file is enough.
    const dir = mkdtempSync(join(tmpdir(), "parley-pool-"));
    await server.halt(20_000);
    copyFileSync(join(server.dataDir, "parley.db"), join(dir, "parley.db"));
    return { secret, users, dir, dbFile: join(dir, "parley.db"), seconds: (performance.now() - started) / 1000 };
  } finally {
    await server.stop();
  }
}

/** The pool's tables a signed-in connection needs: its users and their device sessions (the access tokens' subjects). */
const POOL_TABLES = {
  users: ["id", "username", "display_name", "password_hash", "created_at"],
  sessions: ["id", "user_id", "device_name", "refresh_hash", "created_at", "expires_at", "revoked_at"],
};

/**
 * Copies the pool's users and sessions into a migrated PostgreSQL schema (a cluster's), so that the pool's access
 * tokens are valid on nodes started with `pool.secret` as their token secret: the same rows registration wrote, moved
 * between engines instead of hashing 10,000 passwords again.
 */
export async function copyPoolToPostgres(pool, databaseUrl, schema) {
  const require = createRequire(new URL("../../packages/server/package.json", import.meta.url));
  const Database = require("better-sqlite3-multiple-ciphers");
  const db = new Database(pool.dbFile, { readonly: true });
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    for (const [table, cols] of Object.entries(POOL_TABLES)) {
      const rows = db.prepare(`SELECT ${cols.join(", ")} FROM ${table}`).all();
      for (let i = 0; i < rows.length; i += 5000) {
        const chunk = rows.slice(i, i + 5000);
        await client.query(
          `INSERT INTO ${schema}.${table} (${cols.join(", ")})
           SELECT * FROM unnest(${cols.map((_, k) => `$${k + 1}::${cols[k].endsWith("_at") ? "bigint" : "text"}[]`).join(", ")})`,
          cols.map((c) => chunk.map((r) => r[c])),
        );
      }
    }
  } finally {
    db.close();
    await client.end();
  }
}
