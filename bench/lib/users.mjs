// The user pool: registering users costs an argon2 hash each (~25 ms here), far too slow to repeat for every run.
// The pool is registered once per suite run through the public HTTP API on a throw-away Parley node (unpinned, both
// cores) with a fixed token secret and a one-day access-token lifetime; every later Parley node starts on a copy of
// that database with the same secret, so the pool's access tokens (and their device sessions) are valid there. No
// server code is involved beyond its normal configuration. Many connections may share one user's access token: each
// is then one more connection of that device session, which the protocol allows (§2.1).
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
