// Micro-benchmark of the embedded store's commits, in two modes.
//
// Default: how long appendMessages blocks the event loop (the synchronous part: the write, plus the fsync when it
// runs inside the commit), how long until the batch is durable, and how large the WAL grows under continuous writes.
// Compares fsync in the commit with automatic checkpoints (the default) against fsync on the thread pool with
// checkpoints in a worker, alternating runs.
//   node bench/store-commit.mjs [--seconds 10] [--batch 20] [--rounds 2]
//
// --cpu: CPU time (user + system of the whole process, thread pool included) per appended message, default options,
// one conversation, `--messages` messages per run at each batch size of `--batch` (a list), alternating with a
// variant whose search triggers are dropped (the floor: no search bookkeeping at all). When the build indexes search
// in the background (SqliteStore.searchIndexer), appends are measured with the timer held off and the indexer's own
// cost is measured afterwards, in its background batch size: "append" is the send path, "index" what the background
// adds per message, "total" both.
//   node bench/store-commit.mjs --cpu [--messages 4000] [--batch 1,16] [--rounds 2] [--dist <server dist of another build>]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    batch: { type: "string" },
    rounds: { type: "string", default: "2" },
    cpu: { type: "boolean", default: false },
    messages: { type: "string", default: "4000" },
    // Another build's server dist (e.g. a copy made before a change), to compare builds run by run.
    dist: { type: "string" },
  },
});
const { SqliteStore } = await import(
  values.dist === undefined
    ? "../packages/server/dist/adapters/sqlite/sqlite-store.js"
    : pathToFileURL(join(values.dist, "adapters/sqlite/sqlite-store.js")).href
);
const batchOption = values.batch ?? (values.cpu ? "1,16" : "20");
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
    const drafts = Array.from({ length: Number(batchOption) }, () => {
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
    `${offLoop ? "fsync off the loop" : "fsync in the commit"}: ${blocked.length} batches of ${batchOption}; event loop blocked ` +
      `p50 ${f(q(blocked, 0.5))} p99 ${f(q(blocked, 0.99))} max ${f(q(blocked, 1))} ms; until durable p50 ${f(q(durable, 0.5))} ` +
      `p99 ${f(q(durable, 0.99))} ms; largest WAL ${(maxWal / 1048576).toFixed(1)} MiB`,
  );
}

/** µs of process CPU (user + system) since `start` (a process.cpuUsage() value). */
function cpuSince(start) {
  const d = process.cpuUsage(start);
  return d.user + d.system;
}

async function cpuRun(batch, withIndex) {
  const dir = mkdtempSync(join(tmpdir(), "parley-commit-"));
  // The longest interval the store accepts: the timer stays off while the appends are measured.
  const store = SqliteStore.open(join(dir, "p.db"), { searchIndexIntervalMs: 60_000 });
  if (!withIndex) {
    for (const { name } of store.db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'messages_search%'")
      .all())
      store.db.exec(`DROP TRIGGER ${name}`);
  }
  for (const id of ["a", "b"]) await store.createUser({ id, username: id, displayName: id, passwordHash: "x", createdAt: 1 });
  const { conversation } = await store.openDirect({ id: "c1", userA: "a", userB: "b", messageId: "m0", createdAt: 1 });
  let n = 0;
  const append = async (count) => {
    for (let done = 0; done < count; done += batch) {
      const drafts = Array.from({ length: batch }, () => {
        n++;
        return {
          id: `m${String(n).padStart(9, "0")}`,
          conversationId: conversation.id,
          senderId: n % 2 ? "a" : "b",
          clientId: `c${n}`,
          body: `hello there ${n} `.repeat(6),
          createdAt: 2,
        };
      });
      await store.appendMessages(drafts);
      // A macrotask between sends, as on a server (and so that a background timer could run).
      await new Promise((r) => setImmediate(r));
    }
  };
  await append(Math.max(200, batch * 10)); // warm-up: statements, page cache
  store.searchIndexer?.indexAll();
  const messages = Number(values.messages);
  const t = process.cpuUsage();
  await append(messages);
  const appendUs = cpuSince(t) / messages;
  let indexUs = 0;
  if (store.searchIndexer && withIndex) {
    const t2 = process.cpuUsage();
    let indexed = 0;
    let taken = store.searchIndexer.indexBatch();
    while (taken > 0) {
      indexed += taken;
      taken = store.searchIndexer.indexBatch();
    }
    indexUs = cpuSince(t2) / messages;
    if (indexed !== messages) throw new Error(`indexed ${indexed} of ${messages}`);
  }
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return { appendUs, indexUs };
}

if (values.cpu) {
  const batches = batchOption.split(",").map(Number);
  console.log("CPU µs per message (process user + system), default options, file database");
  console.log("round | batch | search bookkeeping | append | index (background) | total");
  for (let round = 1; round <= Number(values.rounds); round++) {
    for (const batch of batches) {
      for (const withIndex of [true, false]) {
        const { appendUs, indexUs } = await cpuRun(batch, withIndex);
        const f = (x) => x.toFixed(1).padStart(6);
        console.log(
          `${round} | ${String(batch).padStart(3)} | ${withIndex ? "on " : "off"} | ${f(appendUs)} | ${f(indexUs)} | ${f(appendUs + indexUs)}`,
        );
      }
    }
  }
} else {
  for (let i = 0; i < Number(values.rounds); i++) {
    await run(false);
    await run(true);
  }
}
