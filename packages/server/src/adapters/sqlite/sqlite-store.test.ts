// Runs the Store contract against SqliteStore, plus what only a file-backed SQLite store can get wrong.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3-multiple-ciphers";
import { parseSearchQuery } from "../../domain/search-query.js";
import { runMessageActionsContract } from "../../ports/message-actions.contract.js";
import { runRetentionContract } from "../../ports/retention.contract.js";
import { runSearchContract } from "../../ports/search.contract.js";
import { applyChange, runStoreContract } from "../../ports/store.contract.js";
import type { MessageDraft, Store } from "../../ports/store.js";
import { runUploadStoreContract } from "../../ports/upload-store.contract.js";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "./migrations.js";
import { SqliteStore } from "./sqlite-store.js";
import { SqliteUploadStore } from "./sqlite-upload-store.js";

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "parley-sqlite-"));
}

{
  let dir = "";
  runStoreContract(
    "SqliteStore",
    async () => {
      dir = tempDir();
      return SqliteStore.open(join(dir, "store.db"));
    },
    async (store) => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
}

runStoreContract("SqliteStore (:memory:)", async () => SqliteStore.open(":memory:"));
runMessageActionsContract("SqliteStore (:memory:)", async () => SqliteStore.open(":memory:"));

runUploadStoreContract("SqliteUploadStore", async () => {
  const store = SqliteStore.open(":memory:");
  return { store, uploads: new SqliteUploadStore(store.handle) };
});

runRetentionContract("SqliteStore", async () => {
  const store = SqliteStore.open(":memory:");
  return { store, uploads: new SqliteUploadStore(store.handle) };
});

describe("SqliteStore on disk", () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  const draft = (conversationId: string, senderId: string): MessageDraft => ({
    id: `m${++n}`,
    conversationId,
    senderId,
    clientId: `c${n}`,
    body: `hello ${n}`,
    createdAt: 1_700_000_000_000 + n,
  });

  async function seed(store: SqliteStore): Promise<void> {
    for (const id of ["alice", "bob"]) {
      await store.createUser({ id, username: id, displayName: id, passwordHash: "h", createdAt: 1 });
    }
    await store.createGroup({ id: "g", title: "G", ownerId: "alice", memberIds: ["bob"], createdAt: 2, messageId: "m0" });
  }

  it("creates the parent directory and keeps data across close and reopen, seqs continuing", async () => {
    const path = join(dir, "nested", "deeper", "parley.db");
    const first = SqliteStore.open(path);
    await seed(first);
    const appended = await first.append([draft("g", "alice"), draft("g", "bob"), draft("g", "alice")]);
    assert.deepEqual(
      appended.map((o) => o.ok && o.message.seq),
      [2, 3, 4],
    );
    await first.close();
    await first.close(); // idempotent
    assert.ok(existsSync(path));

    const second = SqliteStore.open(path);
    assert.equal((await second.getConversation("g"))?.lastSeq, 4);
    assert.equal((await second.getUserByUsername("bob"))?.id, "bob");
    const [next] = await second.append([draft("g", "bob")]);
    assert.equal(next?.ok && next.message.seq, 5);
    // The idempotency key survives the restart too.
    const resend = { ...draft("g", "alice"), clientId: "c1" };
    const [dup] = await second.append([resend]);
    assert.equal(dup?.ok && dup.duplicate, true);
    assert.equal(dup?.ok && dup.message.seq, 2);
    const history = await second.getHistory({ conversationId: "g", minSeq: 1, maxSeq: 100, limit: 100, direction: "asc" });
    assert.deepEqual(
      history.map((m) => m.seq),
      [1, 2, 3, 4, 5],
    );
    await second.close();
  });

  it("uses WAL with foreign keys on", async () => {
    const store = SqliteStore.open(join(dir, "pragmas.db"));
    assert.equal(store.db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(store.db.pragma("foreign_keys", { simple: true }), 1);
    assert.equal(store.db.pragma("synchronous", { simple: true }), 2, "FULL by default: acks survive power loss");
    await store.close();
    const relaxed = SqliteStore.open(join(dir, "pragmas-normal.db"), { synchronous: "normal" });
    assert.equal(relaxed.db.pragma("synchronous", { simple: true }), 1);
    await relaxed.close();
  });

  it("applies migrations once and refuses a schema newer than the build", () => {
    const path = join(dir, "migrations.db");
    const db = new Database(path);
    assert.equal(migrate(db), MIGRATIONS.length);
    assert.equal(migrate(db), 0);
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    db.close();

    // Opening an already migrated file runs nothing and keeps the version.
    const store = new SqliteStore(new Database(path));
    assert.equal(store.db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    store.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    store.db.close();
    assert.throws(() => SqliteStore.open(path), /newer than this build/);
  });

  it("resumes an interrupted upgrade from the last applied version", () => {
    const db = new Database(":memory:");
    const extra = { version: SCHEMA_VERSION + 1, name: "test", sql: "CREATE TABLE extra (x INTEGER) STRICT;" };
    assert.equal(migrate(db), MIGRATIONS.length);
    assert.equal(migrate(db, [...MIGRATIONS, extra]), 1);
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION + 1);
    const broken = { version: SCHEMA_VERSION + 2, name: "broken", sql: "CREATE TABLE extra (x INTEGER);" };
    assert.throws(() => migrate(db, [...MIGRATIONS, extra, broken]));
    // The failed migration rolled back with its version bump.
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION + 1);
    db.close();
  });

  it("applies migrations in version order, whatever their order in the list, and tolerates gaps", () => {
    const db = new Database(":memory:");
    const [first, ...rest] = MIGRATIONS;
    const a = { version: SCHEMA_VERSION + 3, name: "a", sql: "CREATE TABLE a (x INTEGER) STRICT;" };
    const b = { version: SCHEMA_VERSION + 7, name: "b", sql: "ALTER TABLE a ADD COLUMN y INTEGER;" };
    assert.equal(migrate(db, [b, ...rest, a, first!]), MIGRATIONS.length + 2);
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION + 7);
    assert.equal(migrate(db, [first!, ...rest, a, b]), 0);
    db.close();
  });

  it("leaves the seq cache consistent when a batch rolls back", async () => {
    const store = SqliteStore.open(":memory:");
    await seed(store);
    // A trigger makes the third insert of the batch fail after two have been assigned seqs.
    store.db.exec("CREATE TRIGGER boom BEFORE INSERT ON messages WHEN NEW.body = 'boom' BEGIN SELECT RAISE(ABORT, 'boom'); END");
    await assert.rejects(
      store.append([draft("g", "alice"), draft("g", "bob"), { ...draft("g", "alice"), body: "boom" }]),
      /boom/,
    );
    assert.equal((await store.getConversation("g"))?.lastSeq, 1);
    const [next] = await store.append([draft("g", "alice")]);
    assert.equal(next?.ok && next.message.seq, 2);

    // The same for a membership change whose system message cannot be stored.
    store.db.exec(
      "CREATE TRIGGER boom2 BEFORE INSERT ON messages WHEN NEW.kind = 'system' BEGIN SELECT RAISE(ABORT, 'boom2'); END",
    );
    await assert.rejects(
      applyChange(store, {
        conversationId: "g",
        actorId: "alice",
        change: { type: "rename", title: "X" },
        createdAt: 3,
        messageId: "sys",
      }),
      /boom2/,
    );
    assert.equal((await store.getConversation("g"))?.title, "G");
    const [later] = await store.append([draft("g", "bob")]);
    assert.equal(later?.ok && later.message.seq, 3);
    await store.close();
  });

  it("recovers from a second writer instead of reusing a seq", async () => {
    const path = join(dir, "two-writers.db");
    const a = SqliteStore.open(path);
    await seed(a);
    await a.append([draft("g", "alice")]);
    const b = SqliteStore.open(path);
    await b.append([draft("g", "bob")]);
    // a's cache still says 2: the colliding insert must fail, and the retry must see the committed 3.
    await assert.rejects(a.append([draft("g", "alice")]), /UNIQUE|PRIMARY/);
    const [retry] = await a.append([draft("g", "alice")]);
    assert.equal(retry?.ok && retry.message.seq, 4);
    await b.close();
    await a.close();
  });
});

{
  const setBody = async (store: Store, conversationId: string, seq: number, body: string | null) => {
    (store as SqliteStore).db
      .prepare("UPDATE messages SET body = ? WHERE conversation_id = ? AND seq = ?")
      .run(body, conversationId, seq);
  };
  runSearchContract("SqliteStore", async () => SqliteStore.open(":memory:"), setBody);

  describe("SqliteStore search", () => {
    it("folds accents like the query parser (unicode61 remove_diacritics 2)", async () => {
      const store = SqliteStore.open(":memory:");
      try {
        await store.createUser({ id: "u1", username: "u1", displayName: "U", passwordHash: "h", createdAt: 1 });
        await store.createGroup({ id: "g1", title: "G", ownerId: "u1", memberIds: [], createdAt: 1, messageId: "s1" });
        await store.append([
          { id: "m1", conversationId: "g1", senderId: "u1", clientId: "c1", body: "Crème brûlée at the Café", createdAt: 2 },
        ]);
        for (const query of ["creme brulee", "CAFÉ", "café", "cafe"]) {
          const hits = await store.searchMessages("u1", { terms: parseSearchQuery(query), limit: 10 });
          assert.equal(hits.length, 1, query);
        }
      } finally {
        await store.close();
      }
    });

    it("migration 8 records the creator of existing groups from their creation entry, not of direct chats", () => {
      const db = new Database(":memory:");
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version < 8),
      );
      db.exec(`INSERT INTO conversations (id, kind, title, created_at, last_seq) VALUES ('g', 'group', 't', 1, 1);
               INSERT INTO conversations (id, kind, title, direct_key, created_at, last_seq) VALUES ('d', 'direct', NULL, 'a:b', 1, 1);
               INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at)
               VALUES ('g', 1, 'a', 'creator', NULL, 'system', NULL, '{}', 1), ('d', 1, 'b', 'a', NULL, 'system', NULL, '{}', 1)`);
      migrate(db);
      assert.deepEqual(db.prepare("SELECT id, created_by AS createdBy FROM conversations ORDER BY id").all(), [
        { id: "d", createdBy: null },
        { id: "g", createdBy: "creator" },
      ]);
      db.close();
    });

    it("indexes the text messages that existed before the migration, and only those", () => {
      const db = new Database(":memory:");
      migrate(db, MIGRATIONS.slice(0, 1));
      db.exec(`INSERT INTO conversations (id, kind, title, created_at, last_seq) VALUES ('g', 'group', 't', 1, 2);
               INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at)
               VALUES ('g', 1, 'a', 'u', NULL, 'system', NULL, '{}', 1), ('g', 2, 'b', 'u', 'c', 'text', 'old words', NULL, 2)`);
      migrate(db);
      const rows = db
        .prepare("SELECT rowid & 4294967295 AS seq, rowid >> 32 AS k FROM message_search WHERE message_search MATCH 'old'")
        .all();
      assert.deepEqual(rows, [{ seq: 2, k: 1 }]);
      db.prepare("INSERT INTO conversations (id, kind, title, created_at) VALUES ('h', 'group', 't', 3)").run();
      assert.deepEqual(db.prepare("SELECT id, search_key FROM conversations ORDER BY id").all(), [
        { id: "g", search_key: 1 },
        { id: "h", search_key: 2 },
      ]);
      db.close();
    });
  });
}
