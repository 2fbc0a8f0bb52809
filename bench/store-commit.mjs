// Micro-benchmark of the embedded store's commits: how long appendMessages blocks the event loop (the synchronous
// part: the write, plus the fsync when it runs inside the commit), how long until the batch is durable, and how large
// the WAL grows under continuous writes. Compares the default (fsync on the thread pool, checkpoints in a worker)
// with the previous behaviour (fsync inside the commit, automatic checkpoints), alternating runs.
//   node bench/store-commit.mjs [--seconds 10] [--batch 20] [--rounds 2]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { SqliteStore } from "../packages/server/dist/adapters/sqlite/sqlite-store.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    batch: { type: "string", default: "20" },
    rounds: { type: "string", default: "2" },
  },
});
const q = (a, f) => [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * f))];

async function run(offLoop) {
  const dir = mkdtempSync(join(tmpdir(), "parley-commit-"));
  const store = SqliteStore.open(join(dir, "p.db"), { asyncFsync: offLoop, backgroundCheckpoints: offLoop });
  for (const id of ["a", "b"]) await store.createUser({ id, username: id, displayName: id, passwordHash: "x", createdAt: 1 });
  const { conversation } = await store.openDirect({ id: "c1", userA: "a", userB: "b", messageId: "m0", createdAt: 1 });
  const blocked = [];
  const durable = [];
  let n = 0;
  let maxWal = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < Number(values.seconds) * 1000) {
    const drafts = Array.from({ length: Number(values.batch) }, () => {
      n++;
      const id = `m${String(n).padStart(9, "0")}`;
      return {
        id,
        conversationId: conversation.id,
        senderId: "a",
        clientId: `c${n}`,
        body: "hello there ".repeat(10),
        createdAt: 2,
      };
    });
    const a = performance.now();
    const stored = store.appendMessages(drafts);
    const b = performance.now();
    await stored;
    blocked.push(b - a);
    durable.push(performance.now() - a);
    maxWal = Math.max(maxWal, statSync(join(dir, "p.db-wal")).size);
    await new Promise((r) => setTimeout(r, 2));
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  const f = (x) => x.toFixed(2);
  console.log(
    `${offLoop ? "fsync off the loop" : "fsync in the commit"}: ${blocked.length} batches of ${values.batch}; event loop blocked ` +
      `p50 ${f(q(blocked, 0.5))} p99 ${f(q(blocked, 0.99))} max ${f(q(blocked, 1))} ms; until durable p50 ${f(q(durable, 0.5))} ` +
      `p99 ${f(q(durable, 0.99))} ms; largest WAL ${(maxWal / 1048576).toFixed(1)} MiB`,
  );
}

for (let i = 0; i < Number(values.rounds); i++) {
  await run(false);
  await run(true);
}
