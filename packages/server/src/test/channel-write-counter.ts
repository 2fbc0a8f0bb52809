// What the store writes per channel message, on either engine (issue 21, docs/channels.md "What is measured"):
// channels of any size made by inserting member rows in bulk (not registering users one by one), and a counter of the
// writes a piece of work makes. Used by channel-writes.test.ts (equal at 10 and 100,000 members) and by the `channel`
// benchmark scenario (bench/scenarios/channel.mjs), which also fills a benchmark node's database with it.

import pg from "pg";
import { PostgresStore } from "../adapters/postgres/postgres-store.js";
import { SqliteStore } from "../adapters/sqlite/sqlite-store.js";
import type { MessageDraft, Store } from "../ports/store.js";

export interface Writes {
  /** Rows inserted, updated or deleted (SQLite: `total_changes()`, triggers included; PostgreSQL: as reported). */
  rows: number;
  /** PostgreSQL: statements sent. */
  statements?: number;
  /** SQLite on a file: WAL frames (pages) appended. */
  walFrames?: number;
}

export interface WriteCounter {
  store: Store;
  /** Inserts `n` users `<prefix>0…` and makes them members of the channel, in bulk. */
  addMembers(conversationId: string, prefix: string, n: number): Promise<void>;
  /** Makes existing users members of the channel, in bulk. */
  addUsersAsMembers(conversationId: string, userIds: readonly string[]): Promise<void>;
  /** Runs `work` and returns what the store wrote meanwhile. */
  writes(work: () => Promise<void>): Promise<Writes>;
  close(): Promise<void>;
}

/** A SQLite store at `path` (":memory:" by default; a file also counts WAL frames). */
export function sqliteCounter(path = ":memory:"): WriteCounter {
  const store = SqliteStore.open(path);
  const db = store.handle.db;
  const totalChanges = db.prepare("SELECT total_changes()").pluck();
  const onFile = path !== ":memory:";
  const user = db.prepare("INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, 'x', 0)");
  const member = db.prepare(
    "INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at) VALUES (?, ?, 'member', 1, 0, 0, 0)",
  );
  /** Frames in the WAL since its last reset (the `log` column of a passive checkpoint). */
  const walFrames = () => (db.pragma("wal_checkpoint(PASSIVE)") as { log: number }[])[0]?.log ?? 0;
  return {
    store,
    async addMembers(conversationId, prefix, n) {
      db.transaction(() => {
        for (let i = 0; i < n; i++) {
          user.run(`${prefix}${i}`, `${prefix}${i}`, `Member ${i}`);
          member.run(conversationId, `${prefix}${i}`);
        }
      })();
    },
    async addUsersAsMembers(conversationId, userIds) {
      db.transaction(() => {
        for (const id of userIds) member.run(conversationId, id);
      })();
    },
    async writes(work) {
      if (onFile) db.pragma("wal_checkpoint(TRUNCATE)");
      const before = totalChanges.get() as number;
      await work();
      const rows = (totalChanges.get() as number) - before;
      return onFile ? { rows, walFrames: walFrames() } : { rows };
    },
    close: () => store.close(),
  };
}

/** A PostgreSQL store in `schema` (created and migrated if new); `dropSchema` removes it at close. */
export async function postgresCounter(url: string, schema: string, { dropSchema = true } = {}): Promise<WriteCounter> {
  const store = await PostgresStore.connect(url, { schema, poolSize: 2 });
  const pool = store.handle.pool;
  const counted = { statements: 0, on: false };
  const wrapped = new WeakSet<object>();
  // Every statement goes through a pooled client, which the pool announces as it hands it out.
  pool.on("acquire", (client) => {
    if (wrapped.has(client)) return;
    wrapped.add(client);
    const target = client as unknown as { query: (...args: unknown[]) => Promise<pg.QueryResult> | undefined };
    const query = target.query.bind(target);
    target.query = (...args: unknown[]) => {
      const pending = query(...args);
      if (!counted.on || !(pending instanceof Promise)) return pending;
      return pending.then((result) => {
        counted.statements++;
        return result;
      });
    };
  });
  // Rows written, as PostgreSQL counts them per table: whatever wrote them (a statement, a database function such as
  // append_plain, a trigger). Each backend publishes its counts when idle, at most once a second: read until stable.
  const rowsWritten = async (): Promise<number> => {
    let last = -1;
    for (let attempt = 0; attempt < 40; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const { rows } = await pool.query<{ n: string }>(
        "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) AS n FROM pg_stat_user_tables WHERE schemaname = $1",
        [schema],
      );
      const n = Number(rows[0]!.n);
      if (n === last && attempt >= 3) return n;
      last = n;
    }
    throw new Error("PostgreSQL's table statistics did not settle");
  };
  return {
    store,
    async addMembers(conversationId, prefix, n) {
      await pool.query(
        `INSERT INTO users (id, username, display_name, password_hash, created_at)
         SELECT $1 || i, $1 || i, 'Member ' || i, 'x', 0 FROM generate_series(0, $2 - 1) AS i`,
        [prefix, n],
      );
      await pool.query(
        `INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
         SELECT $1, $2 || i, 'member', 1, 0, 0, 0 FROM generate_series(0, $3 - 1) AS i`,
        [conversationId, prefix, n],
      );
    },
    async addUsersAsMembers(conversationId, userIds) {
      await pool.query(
        `INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
         SELECT $1, u, 'member', 1, 0, 0, 0 FROM unnest($2::text[]) AS u`,
        [conversationId, userIds],
      );
    },
    async writes(work) {
      const before = await rowsWritten();
      counted.statements = 0;
      counted.on = true;
      try {
        await work();
      } finally {
        counted.on = false;
      }
      return { rows: (await rowsWritten()) - before, statements: counted.statements };
    },
    async close() {
      await store.close();
      if (!dropSchema) return;
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

/** A public channel `id` whose one admin is `creatorId` (members are added with the counter). */
export async function createChannel(store: Store, id: string, creatorId: string): Promise<void> {
  await store.createChannel({
    id,
    title: `Channel ${id}`,
    creatorId,
    settings: { visibility: "public", posting: "everyone", history: "full" },
    createdAt: Date.now(),
    messageId: `m_${id}_created`,
  });
}

/** The writes of `messages` sends by `authorId` (one append each, as one request each would be). */
export function writesOfSends(
  counter: WriteCounter,
  conversationId: string,
  authorId: string,
  messages: number,
): Promise<Writes> {
  return counter.writes(async () => {
    for (let i = 0; i < messages; i++) {
      const draft: MessageDraft = {
        id: `m_${conversationId}_${i}`,
        conversationId,
        senderId: authorId,
        clientId: `c_${conversationId}_${i}`,
        body: `message ${i}`,
        createdAt: Date.now(),
      };
      const [outcome] = await counter.store.append([draft]);
      if (!outcome?.ok) throw new Error(`append refused: ${JSON.stringify(outcome)}`);
    }
  });
}
