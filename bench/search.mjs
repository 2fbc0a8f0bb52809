#!/usr/bin/env node
// Message search on a large history: seeds N messages (default 1,000,000) straight into a fresh store with direct
// SQL in large transactions (the search index maintained by its triggers / generated column, as in production), then
// measures `messages.search` as the server runs it (SearchService over the store: query parsing, the engine's ranked
// query, snippets) for a mix of queries, plus the index size and the search index's cost per appended message.
// Usage: node bench/search.mjs [--messages 1000000] [--engine sqlite|postgres|both] [--runs 40]
//                              [--database-url postgres://postgres@127.0.0.1:5432/test] [--no-write-cost]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pg from "pg";
import { PostgresStore } from "../packages/server/dist/adapters/postgres/postgres-store.js";
import { SqliteStore } from "../packages/server/dist/adapters/sqlite/sqlite-store.js";
import { SearchService } from "../packages/server/dist/services/search-service.js";
import { appendTo } from "./lib/store-append.mjs";
import { percentiles, table } from "./stats.mjs";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "1000000" },
    engine: { type: "string", default: "sqlite" },
    runs: { type: "string", default: "40" },
    "database-url": { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
    "no-write-cost": { type: "boolean", default: false },
  },
});
const MESSAGES = Number(values.messages);
const RUNS = Number(values.runs);
const ENGINES = values.engine === "both" ? ["sqlite", "postgres"] : [values.engine];
const USERS = 5000;
const CONVERSATIONS = 20_000;
/** The searching user is a member of this many conversations (2% of them, ~50k messages). */
const MY_CONVERSATIONS = 400;
const ME = "me";
const log = (msg) => console.error(`[search-bench] ${msg}`);

// ── deterministic data ─────────────────────────────────────────────────────────────────────────────────────────
let state = 0x2545f491;
const random = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
};
const pick = (array) => array[Math.floor(random() * array.length)];

const COMMON = (
  "the be to of and a in that have it for not on with he as you do at this but his by from they we say her she or an " +
  "will my one all would there their what so up out if about who get which go me when make can like time no just him " +
  "know take people into year your good some could them see other than then now look only come its over think also " +
  "back after use two how our work first well way even new want because any these give day most us meeting launch " +
  "deploy server release budget coffee lunch tomorrow friday weekend project client design review ticket bug fix"
).split(" ");
const SYLLABLES = "ka lo mi ne su ta ri po ve da zu fi go ha je ku ma no pe ra se ti vo wa xe yo ze bo ci du".split(" ");
const VOCABULARY = [...new Set(COMMON)];
while (VOCABULARY.length < 40_000) {
  const n = 2 + Math.floor(random() * 3);
  let word = "";
  for (let i = 0; i < n; i++) word += pick(SYLLABLES);
  VOCABULARY.push(word);
}
// Zipf (s = 1) over the vocabulary: the first words are in most messages, the last in a handful.
const CUMULATIVE = new Float64Array(VOCABULARY.length);
{
  let sum = 0;
  for (let r = 0; r < VOCABULARY.length; r++) CUMULATIVE[r] = sum += 1 / (r + 1);
  for (let r = 0; r < VOCABULARY.length; r++) CUMULATIVE[r] /= sum;
}
function zipfWord() {
  const x = random();
  let lo = 0;
  let hi = CUMULATIVE.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (CUMULATIVE[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return VOCABULARY[lo];
}
function body() {
  const n = 3 + Math.floor(random() * 22);
  const words = [];
  for (let i = 0; i < n; i++) words.push(zipfWord());
  words[0] = words[0][0].toUpperCase() + words[0].slice(1);
  return `${words.join(" ")}${pick([".", "!", "?", "", "", ","])}`;
}

function dataset() {
  const conversations = [];
  for (let c = 0; c < CONVERSATIONS; c++) {
    const size = 2 + Math.floor(random() * 5);
    const members = new Set();
    if (c < MY_CONVERSATIONS) members.add(ME);
    while (members.size < size) members.add(`u${Math.floor(random() * USERS)}`);
    conversations.push({ id: `c${c}`, members: [...members], lastSeq: 0 });
  }
  return conversations;
}

/** Yields message rows in chunks: conversation chosen uniformly, seq per conversation, time over one year. */
function* messageChunks(conversations, total, chunk) {
  const start = Date.UTC(2025, 0, 1);
  const step = (365 * 86_400_000) / total;
  let rows = [];
  for (let i = 0; i < total; i++) {
    const conv = conversations[Math.floor(random() * conversations.length)];
    const seq = ++conv.lastSeq;
    rows.push({
      conversationId: conv.id,
      seq,
      id: `m${i}`,
      senderId: pick(conv.members),
      clientId: `k${i}`,
      body: body(),
      createdAt: Math.floor(start + i * step),
    });
    if (rows.length === chunk) {
      yield rows;
      rows = [];
    }
  }
  if (rows.length) yield rows;
}

// ── engines ────────────────────────────────────────────────────────────────────────────────────────────────────
async function seedSqlite(dir) {
  const path = join(dir, "search.db");
  const store = SqliteStore.open(path, { synchronous: "normal" });
  const db = store.db;
  db.pragma("synchronous = OFF");
  const conversations = dataset();
  const t0 = performance.now();
  db.transaction(() => {
    const user = db.prepare("INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, 'x', 0)");
    user.run(ME, ME, "Me");
    for (let u = 0; u < USERS; u++) user.run(`u${u}`, `u${u}`, `User ${u}`);
    const conv = db.prepare("INSERT INTO conversations (id, kind, title, created_at, last_seq) VALUES (?, 'group', ?, 0, 0)");
    const member = db.prepare(
      "INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at) VALUES (?, ?, 'member', 0, 0, 0, 0)",
    );
    for (const c of conversations) {
      conv.run(c.id, `Group ${c.id}`);
      for (const m of c.members) member.run(c.id, m);
    }
  })();
  // Bulk load as an import would: the message triggers are dropped, the index is built in one pass afterwards (the
  // migration's own backfill statement), then the triggers are put back. Same index, far fewer segment merges.
  const triggers = db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'messages'").all();
  for (const t of triggers) db.exec(`DROP TRIGGER ${t.name}`);
  const insert = db.prepare(
    "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, created_at) VALUES (?, ?, ?, ?, ?, 'text', ?, ?)",
  );
  const insertAll = db.transaction((rows) => {
    for (const r of rows) insert.run(r.conversationId, r.seq, r.id, r.senderId, r.clientId, r.body, r.createdAt);
  });
  let done = 0;
  for (const rows of messageChunks(conversations, MESSAGES, 50_000)) {
    insertAll(rows);
    done += rows.length;
    if (done % 200_000 === 0) log(`sqlite: ${done} messages (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const setLast = db.prepare("UPDATE conversations SET last_seq = ? WHERE id = ?");
  db.transaction(() => {
    for (const c of conversations) setLast.run(c.lastSeq, c.id);
  })();
  const seedSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  db.exec(`INSERT INTO message_search (rowid, body, conv)
           SELECT (c.search_key << 32) | m.seq, m.body, 'k' || c.search_key
           FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.kind = 'text' AND m.body IS NOT NULL`);
  for (const t of triggers) db.exec(t.sql);
  // What an operator's maintenance would do after an import; queries work without it, on more segments.
  db.exec("INSERT INTO message_search (message_search) VALUES ('optimize')");
  const optimizeSeconds = (performance.now() - t1) / 1000;
  db.pragma("wal_checkpoint(TRUNCATE)");
  const sizes = Object.fromEntries(
    db
      .prepare(
        "SELECT CASE WHEN name LIKE 'message_search%' THEN 'search' WHEN name LIKE 'messages%' OR name = 'sqlite_autoindex_messages_1' THEN 'messages' ELSE 'other' END AS part, sum(pgsize) AS bytes FROM dbstat GROUP BY part",
      )
      .all()
      .map((r) => [r.part, r.bytes]),
  );
  sizes.file = statSync(path).size;
  return { store, conversations, seedSeconds, optimizeSeconds, sizes, close: () => store.close() };
}

async function seedPostgres(url) {
  const schema = `parley_bench_search_${process.pid}`;
  const store = await PostgresStore.connect(url, { schema, poolSize: 4 });
  // Bulk statements run on a connection of their own, without the store's statement timeout.
  const pool = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
  await pool.connect();
  const conversations = dataset();
  const t0 = performance.now();
  // Bulk load without the GIN index (built once at the end, as one would for an import); the generated column is
  // computed row by row as in production.
  await pool.query("DROP INDEX messages_search");
  await pool.query(
    "INSERT INTO users (id, username, display_name, password_hash, created_at) SELECT id, id, id, 'x', 0 FROM unnest($1::text[]) id",
    [[ME, ...Array.from({ length: USERS }, (_, u) => `u${u}`)]],
  );
  await pool.query(
    "INSERT INTO conversations (id, kind, title, created_at, last_seq) SELECT id, 'group', id, 0, 0 FROM unnest($1::text[]) id",
    [conversations.map((c) => c.id)],
  );
  const mc = [];
  const mu = [];
  for (const c of conversations)
    for (const m of c.members) {
      mc.push(c.id);
      mu.push(m);
    }
  await pool.query(
    `INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
     SELECT c, u, 'member', 0, 0, 0, 0 FROM unnest($1::text[], $2::text[]) AS t(c, u)`,
    [mc, mu],
  );
  let done = 0;
  for (const rows of messageChunks(conversations, MESSAGES, 20_000)) {
    await pool.query(
      `INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, created_at)
       SELECT c, s, i, u, k, 'text', b, t FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[])
       AS x(c, s, i, u, k, b, t)`,
      [
        rows.map((r) => r.conversationId),
        rows.map((r) => r.seq),
        rows.map((r) => r.id),
        rows.map((r) => r.senderId),
        rows.map((r) => r.clientId),
        rows.map((r) => r.body),
        rows.map((r) => r.createdAt),
      ],
    );
    done += rows.length;
    if (done % 200_000 === 0) log(`postgres: ${done} messages (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  await pool.query(
    "UPDATE conversations c SET last_seq = x.s FROM unnest($1::text[], $2::bigint[]) AS x(id, s) WHERE c.id = x.id",
    [conversations.map((c) => c.id), conversations.map((c) => c.lastSeq)],
  );
  const seedSeconds = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await pool.query("SET maintenance_work_mem = '256MB'");
  await pool.query("CREATE INDEX messages_search ON messages USING gin (search_vector)");
  await pool.query("VACUUM ANALYZE messages");
  await pool.query("ANALYZE members");
  const optimizeSeconds = (performance.now() - t1) / 1000;
  const { rows } = await pool.query(
    `SELECT pg_relation_size('messages_search') AS search, pg_table_size('messages') AS messages,
            (SELECT sum(pg_column_size(search_vector))::bigint FROM messages) AS vectors`,
  );
  const sizes = { search: Number(rows[0].search) + Number(rows[0].vectors), messages: Number(rows[0].messages) };
  return {
    store,
    conversations,
    seedSeconds,
    optimizeSeconds,
    sizes,
    close: async () => {
      await store.close();
      await pool.query(`DROP SCHEMA ${schema} CASCADE`);
      await pool.end();
    },
  };
}

// ── queries ────────────────────────────────────────────────────────────────────────────────────────────────────
function querySets(conversations) {
  const mine = conversations.slice(0, MY_CONVERSATIONS);
  const rank = (from, to) => VOCABULARY[from + Math.floor(random() * (to - from))];
  const sets = [
    ["very common word (top 5)", () => ({ query: rank(0, 5) })],
    ["common word (rank 20-100)", () => ({ query: rank(20, 100) })],
    ["rare word (rank 10k-40k)", () => ({ query: rank(10_000, 40_000) })],
    ["two words", () => ({ query: `${rank(20, 200)} ${rank(100, 2000)}` })],
    ["phrase", () => ({ query: `"${rank(0, 30)} ${rank(0, 30)}"` })],
    ["prefix (3 letters*)", () => ({ query: `${rank(200, 5000).slice(0, 3)}*` })],
    ["common word + conversation", () => ({ query: rank(20, 100), conversationId: pick(mine).id })],
    ["common word + sender", () => ({ query: rank(20, 100), senderId: pick(pick(mine).members.filter((m) => m !== ME)) })],
    ["common word + last 30 days", () => ({ query: rank(20, 100), after: Date.UTC(2025, 11, 1) })],
  ];
  return sets;
}

async function measure(service, make, runs, pages = 1) {
  const times = [];
  let hits = 0;
  for (let i = 0; i < runs + 3; i++) {
    const args = make();
    let cursor;
    let elapsed = 0;
    for (let p = 0; p < pages; p++) {
      const t = performance.now();
      const result = await service.search(ME, { ...args, limit: 20, ...(cursor ? { cursor } : {}) });
      elapsed = performance.now() - t;
      if (p === 0) hits += result.results.length;
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    if (i >= 3) times.push(elapsed); // the first three warm the caches
  }
  return { ...percentiles(times), hits: hits / (runs + 3) };
}

async function benchEngine(engine) {
  const dir = mkdtempSync(join(tmpdir(), "parley-bench-search-"));
  try {
    log(`${engine}: seeding ${MESSAGES} messages`);
    const seeded = engine === "sqlite" ? await seedSqlite(dir) : await seedPostgres(values["database-url"]);
    log(
      `${engine}: seeded in ${seeded.seedSeconds.toFixed(1)} s (${Math.round(MESSAGES / seeded.seedSeconds)} msg/s), ` +
        `${engine === "sqlite" ? "FTS build + optimize" : "GIN build + vacuum"} ${seeded.optimizeSeconds.toFixed(1)} s`,
    );
    const service = new SearchService(seeded.store);
    const rows = [];
    for (const [name, make] of querySets(seeded.conversations)) {
      const r = await measure(service, make, RUNS);
      rows.push({ engine, query: name, "p50 ms": r.p50, "p95 ms": r.p95, "p99 ms": r.p99, "max ms": r.max, "hits/page": r.hits });
    }
    const deep = await measure(service, () => ({ query: VOCABULARY[20 + Math.floor(random() * 80)] }), RUNS, 3);
    rows.push({
      engine,
      query: "common word, page 3",
      "p50 ms": deep.p50,
      "p95 ms": deep.p95,
      "p99 ms": deep.p99,
      "max ms": deep.max,
      "hits/page": deep.hits,
    });
    const mb = (b) => (b / 1048576).toFixed(1);
    const size = {
      engine,
      messages: MESSAGES,
      "load s": Number(seeded.seedSeconds.toFixed(1)),
      "index build s": Number(seeded.optimizeSeconds.toFixed(1)),
      "messages MB": mb(seeded.sizes.messages ?? 0),
      "search index MB": mb(seeded.sizes.search ?? 0),
      "file MB": seeded.sizes.file ? mb(seeded.sizes.file) : "—",
    };
    await seeded.close();
    return { rows, size };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * µs of appendMessages per message with and without the search triggers, on the same fresh database. Since schema
 * version 6 the triggers only mark a message as pending; the background indexing that follows is not in these numbers
 * (`node bench/store-commit.mjs --cpu` measures both).
 */
async function writeCost() {
  const dir = mkdtempSync(join(tmpdir(), "parley-bench-write-"));
  const rows = [];
  try {
    for (const triggers of [false, true, false, true]) {
      const store = SqliteStore.open(join(dir, `w${rows.length}.db`), { synchronous: "normal" });
      if (!triggers)
        store.db.exec(
          "DROP TRIGGER messages_search_insert; DROP TRIGGER messages_search_update; DROP TRIGGER messages_search_delete",
        );
      await store.createUser({ id: "a", username: "a", displayName: "A", passwordHash: "x", createdAt: 0 });
      for (let g = 0; g < 50; g++)
        await store.createGroup({ id: `g${g}`, title: "g", ownerId: "a", memberIds: [], createdAt: 0, messageId: `s${g}` });
      for (const batch of [1, 32]) {
        const total = batch === 1 ? 5000 : 40_000;
        let n = 0;
        const t = performance.now();
        while (n < total) {
          const drafts = [];
          for (let i = 0; i < batch; i++, n++)
            drafts.push({
              id: `m${batch}-${n}`,
              conversationId: `g${n % 50}`,
              senderId: "a",
              clientId: `c${batch}-${n}`,
              body: body(),
              createdAt: n,
            });
          await appendTo(store, drafts);
        }
        const us = ((performance.now() - t) * 1000) / total;
        rows.push({ "search index": triggers ? "on" : "off", "batch size": batch, messages: total, "µs/message": us });
      }
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

for (const engine of ENGINES) {
  const { rows, size } = await benchEngine(engine);
  console.log(
    `\nmessages.search latency, ${engine} (SearchService over the store; ${RUNS} queries per row, limit 20, user in ${MY_CONVERSATIONS} of ${CONVERSATIONS} conversations)\n`,
  );
  console.log(table(rows));
  console.log("\nSize\n");
  console.log(table([size]));
}
if (!values["no-write-cost"]) {
  console.log(
    "\nSQLite appendMessages cost with and without the search triggers (synchronous=NORMAL, 50 groups; two rounds; background indexing not included)\n",
  );
  console.log(table(await writeCost()));
}
