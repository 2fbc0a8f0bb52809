// Micro-benchmark of the embedded store at the realistic 1:1 shape (issue 16): CPU µs and WAL frames (pages written)
// per appended message, with the sends spread over many direct conversations, for Parley's store as it ships, with
// its data-export index or its search bookkeeping dropped (what each costs), and for the plain durable reference's
// table shape (bench/lib/reference-db.mjs: PRIMARY KEY (conversation, seq), UNIQUE (sender, client id), a
// conversations row per send). The variants run in one process and take turns in chunks, so machine noise hits them
// alike.
//   node bench/store-shape.mjs [--users 1000] [--batch 4] [--messages 20000] [--checkpoints]
// --batch: drafts per commit (a server commits one batch per event-loop turn, or per commit window).
// Default: automatic checkpoints off and the WAL emptied before each chunk, so the frames counted are exactly the
// pages each commit wrote. --checkpoints: automatic checkpoints on (every 1,000 pages, SQLite's default, and every
// 10,000, Parley's, against the reference at 1,000): CPU per message and how long one commit holds the event loop
// (p50, p99, p99.9, max), since a checkpoint runs inside the commit that crosses the threshold.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openReferenceDb } from "./lib/reference-db.mjs";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "1000" },
    batch: { type: "string", default: "4" },
    messages: { type: "string", default: "20000" },
    checkpoints: { type: "boolean", default: false },
  },
});
const { SqliteStore } = await import("../packages/server/dist/adapters/sqlite/sqlite-store.js");

const USERS = Number(values.users);
const CONVERSATIONS = USERS / 2;
const BATCH = Number(values.batch);
const MESSAGES = Number(values.messages);
const CHUNK = 500;
const BODY = "x".repeat(100);
const cpuSince = (t) => {
  const d = process.cpuUsage(t);
  return d.user + d.system;
};
/** Conversation of the n-th message: a stride through all of them, so consecutive sends rarely share one. */
const conversationOf = (n) => (n * 7919) % CONVERSATIONS;
const clientId = (n) => `cl${n}-${Math.random().toString(36).slice(2, 12)}`;

async function parleyVariant(label, tweak) {
  const dir = mkdtempSync(join(tmpdir(), "parley-shape-"));
  const store = SqliteStore.open(join(dir, "p.db"), { searchIndexIntervalMs: 60_000 });
  for (let i = 0; i < USERS; i++) {
    await store.createUser({ id: `u${i}`, username: `u${i}`, displayName: `u${i}`, passwordHash: "x", createdAt: 1 });
  }
  for (let c = 0; c < CONVERSATIONS; c++) {
    await store.openDirect({ id: `c${c}`, userA: `u${2 * c}`, userB: `u${2 * c + 1}`, messageId: `m0-${c}`, createdAt: 1 });
  }
  tweak?.(store.db);
  let n = 0;
  return variant(
    label,
    dir,
    store.db,
    () => store.close(),
    async () => {
      const drafts = Array.from({ length: BATCH }, () => {
        const c = conversationOf(++n);
        return {
          id: `m${String(n).padStart(9, "0")}`,
          conversationId: `c${c}`,
          senderId: `u${2 * c + (n & 1)}`,
          clientId: clientId(n),
          body: BODY,
          createdAt: 2,
        };
      });
      await store.append(drafts);
    },
  );
}

function referenceVariant(label) {
  // The reference server's own store (bench/lib/reference-db.mjs), FULL unless SQLITE_SYNCHRONOUS says otherwise.
  const { db, nextSeq, insert } = openReferenceDb("parley-shape-ref");
  const commit = db.transaction((count) => {
    for (let i = 0; i < count; i++) {
      const c = conversationOf(++n);
      insert.run(`c${c}`, nextSeq.get(`c${c}`), `m${n}`, `u${2 * c + (n & 1)}`, clientId(n), BODY, 2);
    }
  });
  let n = 0;
  // The reference removes its temporary directory when the process exits.
  return variant(
    label,
    undefined,
    db,
    () => db.close(),
    async () => commit(BATCH),
  );
}

function variant(label, dir, db, close, commitBatch) {
  return {
    label,
    cpu: 0,
    frames: 0,
    count: 0,
    /** Milliseconds each measured commit took (the event loop is held for all of it). */
    commits: [],
    measuring: false,
    async append(count) {
      for (let done = 0; done < count; done += BATCH) {
        const started = performance.now();
        await commitBatch();
        if (this.measuring) this.commits.push(performance.now() - started);
        // A macrotask between commits, as on a server.
        await new Promise((r) => setImmediate(r));
      }
    },
    async close() {
      await close();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    },
    db,
  };
}

const dropSearchTriggers = (db) => {
  for (const { name } of db
    .prepare("SELECT name FROM sqlite_schema WHERE type = 'trigger' AND name LIKE 'messages_search%'")
    .all())
    db.exec(`DROP TRIGGER ${name}`);
};
const variants = values.checkpoints
  ? [
      await parleyVariant("parley, checkpoint every 1,000 pages", (db) => db.pragma("wal_autocheckpoint = 1000")),
      await parleyVariant("parley, checkpoint every 10,000 pages", (db) => db.pragma("wal_autocheckpoint = 10000")),
      referenceVariant("reference, checkpoint every 1,000 pages"),
    ]
  : [
      await parleyVariant("parley"),
      await parleyVariant("parley without the data-export index", (db) => db.exec("DROP INDEX messages_sender")),
      await parleyVariant("parley without search bookkeeping", dropSearchTriggers),
      await parleyVariant("parley without both", (db) => {
        db.exec("DROP INDEX messages_sender");
        dropSearchTriggers(db);
      }),
      referenceVariant("reference table shape"),
    ];
for (const v of variants) {
  if (!values.checkpoints) v.db.pragma("wal_autocheckpoint = 0");
  await v.append(4000); // warm-up: statements, page cache
}
for (let done = 0; done < MESSAGES; done += CHUNK) {
  for (const v of variants) {
    if (!values.checkpoints) v.db.pragma("wal_checkpoint(TRUNCATE)");
    const t = process.cpuUsage();
    v.measuring = true;
    await v.append(CHUNK);
    v.measuring = false;
    v.cpu += cpuSince(t);
    v.count += CHUNK;
    // A PASSIVE checkpoint reports the frames in the WAL: all written since the TRUNCATE.
    if (!values.checkpoints) v.frames += v.db.pragma("wal_checkpoint(PASSIVE)")[0].log;
  }
}
console.log(`${USERS} users in ${CONVERSATIONS} direct conversations, ${BATCH} messages per commit, ${MESSAGES} per variant\n`);
const q = (sorted, f) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * f))].toFixed(2);
if (values.checkpoints) {
  console.log("| variant | CPU µs per message | one commit, ms: p50 | p99 | p99.9 | max |");
  console.log("| --- | ---: | ---: | ---: | ---: | ---: |");
} else {
  console.log("| variant | CPU µs per message | WAL frames (pages) per message |");
  console.log("| --- | ---: | ---: |");
}
for (const v of variants) {
  const cpu = (v.cpu / v.count).toFixed(1);
  if (values.checkpoints) {
    const c = v.commits.sort((a, b) => a - b);
    console.log(`| ${v.label} | ${cpu} | ${q(c, 0.5)} | ${q(c, 0.99)} | ${q(c, 0.999)} | ${q(c, 1)} |`);
  } else console.log(`| ${v.label} | ${cpu} | ${(v.frames / v.count).toFixed(2)} |`);
  await v.close();
}
