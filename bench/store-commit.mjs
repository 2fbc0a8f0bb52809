// Micro-benchmark of the embedded store's commits, in two modes.
//
// Default: how long appendMessages blocks the event loop (the synchronous part: the write, plus the fsync when it
// runs inside the commit), how long until the batch is durable, and how large the WAL grows under continuous writes.
// Compares fsync in the commit with automatic checkpoints (the default) against fsync on the thread pool with
// checkpoints in a worker, alternating runs.
//   node bench/store-commit.mjs [--seconds 10] [--batch 20] [--rounds 2]
//
// --cpu: CPU time (user + system of the whole process, thread pool included) per appended message, default store
// options, one direct conversation, at each batch size of `--batch` (a list). The variants run in one process on their
// own database files and take turns in chunks of `--chunk` messages, so machine noise hits them alike: "index on"
// (this build as it ships), "encrypted" (the same, encrypted at rest: ChaCha20-Poly1305 pages), "index off" (its
// search triggers dropped: the floor, no search bookkeeping at all) and,
// with `--dist <dir>`, "<dir>" (another build's server dist, e.g. a copy made before a change). A build with a
// background indexer (SqliteStore.searchIndexer) runs with its timer held off; its indexing is measured afterwards,
// in its background batch size: "append" is the send path, "index" what the background adds per message.
//   node bench/store-commit.mjs --cpu [--messages 8000] [--chunk 250] [--batch 1,16] [--dist <server dist>]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { appendTo } from "./lib/store-append.mjs";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "10" },
    batch: { type: "string" },
    rounds: { type: "string", default: "2" },
    cpu: { type: "boolean", default: false },
    messages: { type: "string", default: "8000" },
    chunk: { type: "string", default: "250" },
    dist: { type: "string" },
  },
});
const { SqliteStore } = await import("../packages/server/dist/adapters/sqlite/sqlite-store.js");
const { AtRestKey } = await import("../packages/server/dist/adapters/at-rest/at-rest-key.js");
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
    const stored = appendTo(store, drafts);
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

/** One store under test: its own file, conversation and message counter. */
async function cpuVariant(label, Store, dropTriggers, options = {}) {
  const dir = mkdtempSync(join(tmpdir(), "parley-commit-"));
  // The longest interval the store accepts: the timer stays off while the appends are measured.
  const store = Store.open(join(dir, "p.db"), { searchIndexIntervalMs: 60_000, ...options });
  if (dropTriggers) {
    for (const { name } of store.db
      .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'messages_search%'")
      .all())
      store.db.exec(`DROP TRIGGER ${name}`);
  }
  for (const id of ["a", "b"]) await store.createUser({ id, username: id, displayName: id, passwordHash: "x", createdAt: 1 });
  const { conversation } = await store.openDirect({ id: "c1", userA: "a", userB: "b", messageId: "m0", createdAt: 1 });
  let n = 0;
  return {
    label,
    store,
    dir,
    appendCpu: 0,
    appended: 0,
    async append(count, batch) {
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
        await appendTo(store, drafts);
        // A macrotask between sends, as on a server.
        await new Promise((r) => setImmediate(r));
      }
    },
  };
}

async function cpuRound(batch) {
  const encryptionKey = new AtRestKey(Buffer.from(AtRestKey.generate(), "hex")).sqliteKey;
  const variants = [
    await cpuVariant("index on", SqliteStore, false),
    await cpuVariant("encrypted", SqliteStore, false, { encryptionKey }),
    await cpuVariant("index off", SqliteStore, true),
  ];
  if (values.dist !== undefined) {
    const other = await import(pathToFileURL(join(values.dist, "adapters/sqlite/sqlite-store.js")).href);
    variants.push(await cpuVariant(values.dist, other.SqliteStore, false));
  }
  for (const v of variants) {
    await v.append(Math.max(200, batch * 10), batch); // warm-up: statements, page cache
    v.store.searchIndexer?.indexAll();
  }
  const chunk = Math.max(batch, Math.round(Number(values.chunk) / batch) * batch);
  for (let done = 0; done < Number(values.messages); done += chunk) {
    for (const v of variants) {
      const t = process.cpuUsage();
      await v.append(chunk, batch);
      v.appendCpu += cpuSince(t);
      v.appended += chunk;
    }
  }
  const f = (x) => x.toFixed(1).padStart(6);
  for (const v of variants) {
    let indexCpu = 0;
    const indexer = v.store.searchIndexer;
    if (indexer !== undefined && v.label !== "index off") {
      const t = process.cpuUsage();
      let indexed = 0;
      for (let taken = indexer.indexBatch(); taken > 0; taken = indexer.indexBatch()) indexed += taken;
      // A build whose writes merge nothing (automerge 0, migration 26) merges in steps of its own: counted too.
      if (typeof indexer.mergeStep === "function") while (indexer.mergeStep(256) >= 2);
      indexCpu = cpuSince(t);
      if (indexed !== v.appended) throw new Error(`${v.label}: indexed ${indexed} of ${v.appended}`);
    }
    await v.store.close();
    rmSync(v.dir, { recursive: true, force: true });
    const append = v.appendCpu / v.appended;
    const index = indexCpu / v.appended;
    console.log(`| ${String(batch).padStart(5)} | ${v.label} | ${f(append)} | ${f(index)} | ${f(append + index)} |`);
  }
}

if (values.cpu) {
  console.log(`CPU µs per message (process user + system), ${values.messages} messages per variant, file databases\n`);
  console.log("| batch | variant | append | index (background) | total |");
  console.log("| ----: | ------- | -----: | -----------------: | ----: |");
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const batch of batchOption.split(",").map(Number)) await cpuRound(batch);
  }
} else {
  for (let i = 0; i < Number(values.rounds); i++) {
    await run(false);
    await run(true);
  }
}
