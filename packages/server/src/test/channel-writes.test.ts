// Issue 21 (docs/channels.md, "What is measured"): what the store writes per channel message does not grow with the
// channel's member count. Two channels, one of 10 members and one of 100,000 (member rows inserted directly, not
// registered one by one), take the same messages through `Store.append`; on SQLite the rows written are counted
// (`total_changes()`, triggers included), on PostgreSQL the statements sent and the rows they report.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { PostgresStore } from "../adapters/postgres/postgres-store.js";
import { SqliteStore } from "../adapters/sqlite/sqlite-store.js";
import type { MessageDraft, Store } from "../ports/store.js";
import { requireService } from "./services.js";

const DATABASE_URL = process.env["PARLEY_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
const pgAvailable = await requireService("channel write counts on PostgreSQL", async () => {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000 });
  await client.connect();
  await client.end();
});

const BIG = 100_000;
const SMALL = 10;
const MESSAGES = 5;

interface Engine {
  store: Store;
  /** Inserts `n` users `<prefix>0…` and makes them members of the channel, in bulk. */
  addMembers(conversationId: string, prefix: string, n: number): Promise<void>;
  /** Runs `work` and returns what the store wrote meanwhile. */
  writes(work: () => Promise<void>): Promise<{ rows: number; statements?: number }>;
  close(): Promise<void>;
}

async function sqliteEngine(): Promise<Engine> {
  const store = SqliteStore.open(":memory:");
  const db = store.handle.db;
  const totalChanges = db.prepare("SELECT total_changes()").pluck();
  return {
    store,
    async addMembers(conversationId, prefix, n) {
      const user = db.prepare(
        "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, 'x', 0)",
      );
      const member = db.prepare(
        "INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at) VALUES (?, ?, 'member', 1, 0, 0, 0)",
      );
      db.transaction(() => {
        for (let i = 0; i < n; i++) {
          user.run(`${prefix}${i}`, `${prefix}${i}`, `Member ${i}`);
          member.run(conversationId, `${prefix}${i}`);
        }
      })();
    },
    async writes(work) {
      const before = totalChanges.get() as number;
      await work();
      return { rows: (totalChanges.get() as number) - before };
    },
    close: () => store.close(),
  };
}

async function postgresEngine(): Promise<Engine> {
  const schema = `parley_test_${randomBytes(6).toString("hex")}`;
  const store = await PostgresStore.connect(DATABASE_URL, { schema, poolSize: 2 });
  const pool = store.handle.pool;
  const counted = { statements: 0, rows: 0, on: false };
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
        if (["INSERT", "UPDATE", "DELETE"].includes(result.command)) counted.rows += result.rowCount ?? 0;
        return result;
      });
    };
  });
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
    async writes(work) {
      counted.statements = 0;
      counted.rows = 0;
      counted.on = true;
      try {
        await work();
      } finally {
        counted.on = false;
      }
      return { rows: counted.rows, statements: counted.statements };
    },
    async close() {
      await store.close();
      const admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

const engines: [string, () => Promise<Engine>, boolean][] = [
  ["SQLite", sqliteEngine, true],
  ["PostgreSQL", postgresEngine, pgAvailable],
];

for (const [name, open, available] of engines) {
  describe(`channel writes per message: ${name}`, { skip: !available && "PostgreSQL unavailable", timeout: 180_000 }, () => {
    let engine: Engine;
    const author = `author_${randomBytes(4).toString("hex")}`;

    before(async () => {
      engine = await open();
      await engine.store.createUser({ id: author, username: author, displayName: "Author", passwordHash: "x", createdAt: 0 });
    });
    after(() => engine?.close());

    async function channelOf(members: number, prefix: string): Promise<string> {
      const id = `ch_${prefix}`;
      await engine.store.createChannel({
        id,
        title: `Channel ${prefix}`,
        creatorId: author,
        settings: { visibility: "public", posting: "everyone", history: "full" },
        createdAt: Date.now(),
        messageId: `m_${prefix}_created`,
      });
      await engine.addMembers(id, prefix, members);
      assert.equal(await engine.store.countMembers(id), members + 1);
      return id;
    }

    /** The writes of MESSAGES sends (one append each, as one request each would be). */
    async function writesOfSends(conversationId: string): Promise<{ rows: number; statements?: number }> {
      return engine.writes(async () => {
        for (let i = 0; i < MESSAGES; i++) {
          const draft: MessageDraft = {
            id: `m_${conversationId}_${i}`,
            conversationId,
            senderId: author,
            clientId: `c_${conversationId}_${i}`,
            body: `message ${i}`,
            createdAt: Date.now(),
          };
          const [outcome] = await engine.store.append([draft]);
          assert.equal(outcome?.ok, true, JSON.stringify(outcome));
        }
      });
    }

    it(`writes the same per message in a channel of ${SMALL} members as in one of ${BIG}`, async () => {
      const small = await channelOf(SMALL, `s${randomBytes(3).toString("hex")}`);
      const big = await channelOf(BIG, `b${randomBytes(3).toString("hex")}`);
      const atSmall = await writesOfSends(small);
      const atBig = await writesOfSends(big);
      assert.ok(atSmall.rows > 0, "the counter sees the writes (the check can fail)");
      assert.deepEqual(atBig, atSmall, `${MESSAGES} messages at ${BIG} members wrote what they wrote at ${SMALL}`);
      // A message is one row and the conversation's last seq (plus the search index's pending mark on SQLite).
      assert.ok(atSmall.rows / MESSAGES <= 3, `${atSmall.rows / MESSAGES} rows per message`);
    });
  });
}
