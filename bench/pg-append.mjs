// Micro-benchmark of the cluster store's append (issue 17): CPU of this process (the node's share) and of the
// PostgreSQL processes serving it (its pool's backends, WAL writer, checkpointer, background writer), and wall time, per appended message, at given batch sizes, with the sends spread over many
// direct conversations (the realistic 1:1 shape). Batches run one after another, as a node's group commit does.
//   node bench/pg-append.mjs [--users 1000] [--batches 1,4,16] [--messages 4000] [--dist packages/server/dist]
//                            [--drop-search]
// --drop-search: the search vector column and its GIN index dropped first, to see what search costs each append.
// --dist: another build's dist directory (A/B of two builds: run each, alternate).
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { cpuSecondsOf } from "./lib/procs.mjs";

const { values } = parseArgs({
  options: {
    users: { type: "string", default: "1000" },
    batches: { type: "string", default: "1,4,16" },
    messages: { type: "string", default: "4000" },
    dist: { type: "string", default: "packages/server/dist" },
    "drop-search": { type: "boolean", default: false },
    "gin-fastupdate": { type: "string" },
    url: { type: "string", default: process.env.PARLEY_TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test" },
  },
});
const dist = resolve(values.dist);
const { PostgresStore } = await import(`${dist}/adapters/postgres/postgres-store.js`);
const USERS = Number(values.users);
const CONVERSATIONS = USERS / 2;
const MESSAGES = Number(values.messages);
const BODY = "x".repeat(100);
const schema = `bench_append_${Math.random().toString(36).slice(2, 8)}`;
const POOL = 4;
const store = await PostgresStore.connect(values.url, { schema, poolSize: POOL });
/** The benchmark's schema goes when it ends, whatever happened. */
async function dropSchema(url, name) {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`DROP SCHEMA IF EXISTS ${name} CASCADE`);
  await client.end();
}
/** The PostgreSQL processes that serve this benchmark: its pool's backends, the WAL writer and the checkpointer. */
async function servingPids() {
  const clients = await Promise.all(Array.from({ length: POOL }, () => store.pool.connect()));
  const pids = await Promise.all(clients.map(async (c) => (await c.query("SELECT pg_backend_pid() AS pid")).rows[0].pid));
  for (const c of clients) c.release();
  const { rows } = await store.pool.query(
    "SELECT pid FROM pg_stat_activity WHERE backend_type IN ('walwriter', 'checkpointer', 'background writer')",
  );
  return [...pids, ...rows.map((r) => r.pid)];
}
let pids = [];
const pgCpu = () => pids.reduce((s, pid) => s + (cpuSecondsOf(pid) || 0), 0);
const selfCpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
try {
  for (let i = 0; i < USERS; i++) {
    await store.createUser({ id: `u${i}`, username: `u${i}`, displayName: `u${i}`, passwordHash: "x", createdAt: 1 });
  }
  for (let c = 0; c < CONVERSATIONS; c++) {
    await store.openDirect({ id: `c${c}`, userA: `u${2 * c}`, userB: `u${2 * c + 1}`, messageId: `m0-${c}`, createdAt: 1 });
  }
  // What message search costs each append: the generated tsvector column and its GIN index dropped (measurement only).
  if (values["drop-search"]) await store.pool.query("DROP INDEX messages_search; ALTER TABLE messages DROP COLUMN search_vector");
  if (values["gin-fastupdate"] !== undefined) {
    await store.pool.query(`ALTER INDEX messages_search SET (fastupdate = ${values["gin-fastupdate"] === "on" ? "on" : "off"})`);
  }
  pids = await servingPids();
  let n = 0;
  const draft = () => {
    const c = (++n * 7919) % CONVERSATIONS;
    return {
      id: `m${n}`,
      conversationId: `c${c}`,
      senderId: `u${2 * c + (n & 1)}`,
      clientId: `cl${n}`,
      body: BODY,
      createdAt: 2,
    };
  };
  const rows = [];
  for (const batch of values.batches.split(",").map(Number)) {
    for (let i = 0; i < 200; i += batch) await store.append(Array.from({ length: batch }, draft)); // warm-up
    const [cpu0, pg0, t0] = [selfCpu(), pgCpu(), performance.now()];
    let longest = 0;
    for (let sent = 0; sent < MESSAGES; sent += batch) {
      const started = performance.now();
      const outcomes = await store.append(Array.from({ length: batch }, draft));
      longest = Math.max(longest, performance.now() - started);
      if (!outcomes.every((o) => o.ok)) throw new Error(`refused: ${JSON.stringify(outcomes.find((o) => !o.ok))}`);
    }
    const us = (x) => ((x * 1e6) / MESSAGES).toFixed(1);
    rows.push({
      batch,
      nodeUs: us(selfCpu() - cpu0),
      pgUs: us(pgCpu() - pg0),
      wallUs: us((performance.now() - t0) / 1000),
      longestMs: longest.toFixed(1),
    });
  }
  console.log(`dist ${values.dist}: µs per message (node CPU, PostgreSQL CPU, wall), longest append`);
  for (const r of rows) {
    console.log(
      `batch ${String(r.batch).padStart(3)}: node ${r.nodeUs}  pg ${r.pgUs}  wall ${r.wallUs}  longest ${r.longestMs} ms`,
    );
  }
} finally {
  await dropSchema(values.url, schema);
  await store.close();
}
