// Deferred full-text indexing of the embedded store (migration 6, search-indexer.ts): what a send records, when the
// background indexes it, and that edits, deletes, restarts and an upgraded database keep search exact.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3-multiple-ciphers";
import { parseSearchQuery } from "../../domain/search-query.js";
import { applyChange } from "../../ports/store.contract.js";
import type { ActionDraft, MessageDraft } from "../../ports/store.js";
import { MIGRATIONS, migrate, SCHEMA_VERSION } from "./migrations.js";
import { SearchIndexer } from "./search-indexer.js";
import { type SqliteOptions, SqliteStore } from "./sqlite-store.js";

const dir = mkdtempSync(join(tmpdir(), "parley-search-indexer-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newPath = () => join(dir, `s${++files}.db`);

let n = 0;
function text(body: string, extra: Partial<MessageDraft> = {}): MessageDraft {
  n++;
  return { id: `m${n}`, conversationId: "g", senderId: "u", clientId: `c${n}`, body, createdAt: 1000 + n, ...extra };
}
const act = (action: ActionDraft) => text("", { action });

/** A store (timer off unless asked) with user `u` in group `g`. */
async function open(path = ":memory:", options: SqliteOptions = {}): Promise<SqliteStore> {
  const store = SqliteStore.open(path, { searchIndexIntervalMs: 60_000, ...options });
  if ((await store.getUserById("u")) === undefined) {
    await store.createUser({ id: "u", username: "u", displayName: "U", passwordHash: "h", createdAt: 1 });
    await store.createGroup({ id: "g", title: "G", ownerId: "u", memberIds: [], createdAt: 1, messageId: "s1" });
  }
  return store;
}

async function send(store: SqliteStore, draft: MessageDraft): Promise<number> {
  const [outcome] = await store.append([draft]);
  if (!outcome?.ok) assert.fail(`append failed: ${JSON.stringify(outcome)}`);
  return outcome.message.seq;
}

async function found(store: SqliteStore, query: string): Promise<(string | null)[]> {
  const hits = await store.searchMessages("u", { terms: parseSearchQuery(query), limit: 50 });
  return hits.map((h) => h.message.body);
}

/** Rows in the FTS index for `word`, read without the store (so without its flush). */
function indexed(store: SqliteStore, word: string): number {
  return (store.db.prepare("SELECT count(*) AS n FROM message_search WHERE message_search MATCH ?").get(word) as { n: number }).n;
}

function pending(store: SqliteStore): number {
  return (store.db.prepare("SELECT count(*) AS n FROM search_pending").get() as { n: number }).n;
}

describe("FTS5 contentless_delete (what the search triggers rely on)", () => {
  it("ignores the delete of a rowid it never indexed, and indexes that rowid later as usual", () => {
    const db = new Database(":memory:");
    db.exec("CREATE VIRTUAL TABLE t USING fts5(body, content = '', contentless_delete = 1)");
    db.prepare("INSERT INTO t (rowid, body) VALUES (1, 'kept words')").run();
    assert.equal(db.prepare("DELETE FROM t WHERE rowid = 7").run().changes, 0);
    assert.equal(db.prepare("DELETE FROM t WHERE rowid = ?").run(2n ** 40n).changes, 0);
    db.prepare("INSERT INTO t (rowid, body) VALUES (7, 'late words')").run();
    const rows = (q: string) => db.prepare("SELECT rowid FROM t WHERE t MATCH ?").pluck().all(q);
    assert.deepEqual(rows("late"), [7]);
    assert.deepEqual(rows("words"), [1, 7]);
    db.close();
  });
});

describe("SqliteStore deferred search indexing", () => {
  it("records a send as pending instead of indexing it in the send's transaction", async () => {
    const store = await open();
    try {
      await send(store, text("pendingword here"));
      await applyChange(store, {
        conversationId: "g",
        actorId: "u",
        change: { type: "rename", title: "pendingword title" },
        createdAt: 5,
        messageId: "s2",
      });
      assert.equal(pending(store), 1, "only the text message, not the system event");
      assert.equal(indexed(store, "pendingword"), 0);
      assert.equal(store.searchIndexer.indexBatch(), 1);
      assert.equal(pending(store), 0);
      assert.equal(indexed(store, "pendingword"), 1);
    } finally {
      await store.close();
    }
  });

  it("indexes in the background shortly after a send, in bounded batches", async () => {
    const store = await open(":memory:", { searchIndexIntervalMs: 20, searchIndexBatchSize: 3 });
    try {
      await store.append(Array.from({ length: 7 }, (_, i) => text(`batchword number${i}`)));
      assert.equal(indexed(store, "batchword"), 0);
      for (let waited = 0; pending(store) > 0 && waited < 5000; waited += 10) await sleep(10);
      assert.equal(pending(store), 0, "drained in batches of 3");
      assert.equal(indexed(store, "batchword"), 7);
    } finally {
      await store.close();
    }
  });

  it("takes at most the batch size per transaction, lowest keys first", async () => {
    const store = await open(":memory:", { searchIndexBatchSize: 3 });
    try {
      await store.append(Array.from({ length: 7 }, (_, i) => text(`sized number${i}`)));
      assert.deepEqual(
        [1, 2, 3, 4].map(() => store.searchIndexer.indexBatch()),
        [3, 3, 1, 0],
      );
      assert.equal(indexed(store, "sized"), 7);
    } finally {
      await store.close();
    }
  });

  it("sizes background slices to the step budget by their measured time, never one unbounded slice", async () => {
    const store = await open();
    try {
      await store.append(Array.from({ length: 2000 }, (_, i) => text(`slicedword number${i}`)));
      // A clock that advances 0.1 ms per row indexed: a 500-row batch would hold the loop for 50 ms.
      let clock = 0;
      store.db.function("advance_test_clock", () => {
        clock += 0.1;
        return null;
      });
      store.db.exec("CREATE TEMP TRIGGER test_clock AFTER DELETE ON search_pending BEGIN SELECT advance_test_clock(); END");
      const indexer = new SearchIndexer(store.db, { batchSize: 500, stepBudgetMs: 3, now: () => clock });
      const slices: number[] = [];
      for (let guard = 0; guard < 10_000; guard++) {
        const before = pending(store);
        const start = clock;
        const more = indexer.step();
        if (pending(store) < before) slices.push(clock - start);
        if (!more && !indexer.hasPending()) break;
      }
      assert.equal(pending(store), 0);
      assert.equal(indexed(store, "slicedword"), 2000);
      assert.ok(slices.length > 1 + 2000 / 64, `${slices.length} slices`);
      assert.ok(slices[0]! <= 6.4 + 1e-9, `the first slice takes the first size, 64 rows: ${slices[0]} ms`);
      for (const ms of slices.slice(1)) assert.ok(ms <= 3 + 1e-9, `a slice held the loop for ${ms} ms (budget 3)`);
      assert.deepEqual(indexer.nextStepSizes().rows, 30);
    } finally {
      await store.close();
    }
  });

  it("merges the index in steps between slices (FTS5 merges nothing inside a write), keeping every row findable", async () => {
    const store = await open();
    try {
      const automerge = store.db.prepare("SELECT v FROM message_search_config WHERE k = 'automerge'").pluck().get();
      assert.equal(automerge, 0, "migration 26");
      const segments = () => store.db.prepare("SELECT count(DISTINCT segid) FROM message_search_idx").pluck().get() as number;
      // Segments of several pages each (distinct words), so that merging them takes more than one step of 4 pages.
      const words = (i: number, j: number) => Array.from({ length: 20 }, (_, k) => `w${i}x${j}x${k}`).join(" ");
      for (let i = 0; i < 12; i++) {
        await store.append(Array.from({ length: 40 }, (_, j) => text(`mergedword slice${i} row${j} ${words(i, j)}`)));
        store.searchIndexer.indexBatch();
      }
      assert.equal(segments(), 12, "one segment per slice, none merged by the writes");
      let steps = 0;
      while (store.searchIndexer.mergeStep(4) >= 2) steps++;
      assert.ok(steps > 1, `merged in ${steps} steps of about 4 pages`);
      assert.ok(segments() < 4, `${segments()} segments left`);
      assert.equal(indexed(store, "mergedword"), 480);
      assert.equal((await found(store, "slice7 row19")).length, 1);
      assert.equal((await found(store, "w11x39x19")).length, 1);
    } finally {
      await store.close();
    }
  });

  it("finds a message sent just before a search (the search indexes what is pending first)", async () => {
    const store = await open();
    try {
      await send(store, text("immediate words"));
      assert.equal(pending(store), 1);
      assert.deepEqual(await found(store, "immediate"), ["immediate words"]);
      assert.equal(pending(store), 0);
    } finally {
      await store.close();
    }
  });

  it("indexes only the new text of a message edited before it was indexed, once", async () => {
    const store = await open();
    try {
      const seq = await send(store, text("draftword wording"));
      await send(store, act({ type: "edit", target: seq, body: "finalword wording", notBefore: null }));
      assert.equal(pending(store), 1, "the edit leaves one pending row, not two");
      assert.deepEqual(await found(store, "draftword"), []);
      assert.deepEqual(await found(store, "finalword"), ["finalword wording"]);
      assert.equal(indexed(store, "wording"), 1);
    } finally {
      await store.close();
    }
  });

  it("re-indexes an edit of an indexed message, dropping the old words at once", async () => {
    const store = await open();
    try {
      const seq = await send(store, text("firstword wording"));
      store.searchIndexer.indexAll();
      await send(store, act({ type: "edit", target: seq, body: "secondword wording", notBefore: null }));
      assert.equal(indexed(store, "firstword"), 0, "gone before the indexer runs");
      assert.equal(pending(store), 1);
      assert.deepEqual(await found(store, "secondword"), ["secondword wording"]);
      assert.equal(indexed(store, "wording"), 1);
    } finally {
      await store.close();
    }
  });

  it("never indexes a message deleted for everyone before it was indexed", async () => {
    const store = await open();
    try {
      const seq = await send(store, text("doomedword"));
      await send(store, act({ type: "delete", target: seq, notBefore: null }));
      assert.deepEqual(await found(store, "doomedword"), []);
      assert.equal(pending(store), 0, "the pending row is dropped, not kept for ever");
      assert.equal(indexed(store, "doomedword"), 0);
    } finally {
      await store.close();
    }
  });

  it("forgets a pending row whose message row is deleted", async () => {
    const store = await open();
    try {
      const seq = await send(store, text("removedword"));
      store.db.prepare("DELETE FROM messages WHERE conversation_id = 'g' AND seq = ?").run(seq);
      assert.equal(pending(store), 0);
      assert.deepEqual(await found(store, "removedword"), []);
    } finally {
      await store.close();
    }
  });

  it("keeps pending rows across a crash and indexes them after the next open, without a search", async () => {
    const path = newPath();
    const first = await open(path);
    await send(first, text("survivorword"));
    // A crash: the connection goes away without close(), so nothing is indexed on the way out.
    first.db.close();
    const second = await open(path, { searchIndexIntervalMs: 10 });
    try {
      assert.equal(pending(second), 1);
      for (let waited = 0; pending(second) > 0 && waited < 5000; waited += 10) await sleep(10);
      assert.equal(indexed(second, "survivorword"), 1);
      assert.deepEqual(await found(second, "survivorword"), ["survivorword"]);
    } finally {
      await second.close();
    }
  });

  it("indexes what is pending on close(), so a cleanly closed file has nothing left to index", async () => {
    const path = newPath();
    const first = await open(path);
    await send(first, text("closingword"));
    assert.equal(pending(first), 1);
    await first.close();
    const db = new Database(path);
    try {
      assert.equal(db.prepare("SELECT count(*) AS n FROM search_pending").pluck().get(), 0);
      assert.equal(db.prepare("SELECT count(*) FROM message_search WHERE message_search MATCH 'closingword'").pluck().get(), 1);
    } finally {
      db.close();
    }
  });

  it("reports failing indexing, keeps the rows pending, retries, and still answers searches meanwhile", async () => {
    const errors: unknown[] = [];
    const store = await open(":memory:", { searchIndexIntervalMs: 10, onSearchIndexError: (e) => errors.push(e) });
    try {
      await send(store, text("steadyword"));
      store.searchIndexer.indexAll();
      store.db.exec(
        "CREATE TEMP TRIGGER fail_indexing BEFORE DELETE ON search_pending BEGIN SELECT RAISE(ABORT, 'disk trouble'); END",
      );
      await send(store, text("retriedword steadyword"));
      for (let waited = 0; errors.length === 0 && waited < 5000; waited += 10) await sleep(10);
      assert.match(String(errors[0]), /disk trouble/);
      assert.equal(pending(store), 1);
      assert.equal(indexed(store, "retriedword"), 0, "the failed batch rolled back whole");
      const before = errors.length;
      assert.deepEqual(await found(store, "steadyword"), ["steadyword"], "a search runs on what is indexed");
      assert.ok(errors.length > before, "and reports that it could not catch up");
      store.db.exec("DROP TRIGGER fail_indexing");
      for (let waited = 0; pending(store) > 0 && waited < 10_000; waited += 10) await sleep(10);
      assert.equal(indexed(store, "retriedword"), 1, "retried in the background");
    } finally {
      await store.close();
    }
  });

  it("refuses an interval, batch size or step budget out of range", () => {
    const db = new Database(":memory:");
    migrate(db);
    for (const bad of [0, -1, 1.5, 60_001, Number.NaN]) {
      assert.throws(() => new SearchIndexer(db, { intervalMs: bad }), /searchIndexIntervalMs must be an integer from 1 to 60000/);
      assert.throws(() => new SearchIndexer(db, { batchSize: bad === 60_001 ? 100_001 : bad }), /searchIndexBatchSize/);
      assert.throws(() => new SearchIndexer(db, { stepBudgetMs: bad === 60_001 ? 1001 : bad }), /searchIndexStepMs/);
    }
    db.close();
  });

  it("never keeps the process alive: a store with pending rows and no close() lets node exit", () => {
    const script = `
      const { SqliteStore } = await import(${JSON.stringify(new URL("./sqlite-store.js", import.meta.url).href)});
      const store = SqliteStore.open(${JSON.stringify(newPath())});
      await store.createUser({ id: "u", username: "u", displayName: "U", passwordHash: "h", createdAt: 1 });
      await store.createGroup({ id: "g", title: "G", ownerId: "u", memberIds: [], createdAt: 1, messageId: "s1" });
      await store.append([{ id: "m", conversationId: "g", senderId: "u", clientId: "c", body: "x", createdAt: 2 }]);
      console.log("sent");`;
    const child = spawnSync(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000, encoding: "utf8" });
    assert.equal(child.error, undefined, "exited on its own before the timeout");
    assert.equal(child.status, 0, child.stderr);
    assert.equal(child.stdout.trim(), "sent");
  });

  it("upgrades a version-5 database: its indexed messages stay searchable and editable, new ones are deferred", async () => {
    const path = newPath();
    const v5 = new Database(path);
    migrate(
      v5,
      MIGRATIONS.filter((m) => m.version <= 5),
    );
    v5.exec(`INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ('u', 'u', 'U', 'h', 1);
             INSERT INTO conversations (id, kind, title, created_at, last_seq) VALUES ('g', 'group', 'G', 1, 3);
             INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
             VALUES ('g', 'u', 'owner', 1, 0, 0, 1);
             INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at)
             VALUES ('g', 1, 'a', 'u', NULL, 'system', NULL, '{}', 1),
                    ('g', 2, 'b', 'u', 'c-b', 'text', 'legacyword one', NULL, 2),
                    ('g', 3, 'c', 'u', 'c-c', 'text', 'legacyword two', NULL, 3)`);
    assert.equal(v5.prepare("SELECT count(*) FROM message_search WHERE message_search MATCH 'legacyword'").pluck().get(), 2);
    v5.close();
    const store = await open(path);
    try {
      assert.equal(store.db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
      assert.equal(pending(store), 0, "what version 5 indexed is not indexed again");
      assert.deepEqual((await found(store, "legacyword")).sort(), ["legacyword one", "legacyword two"]);
      await send(store, act({ type: "edit", target: 2, body: "renewedword one", notBefore: null }));
      await send(store, act({ type: "delete", target: 3, notBefore: null }));
      await send(store, text("freshword"));
      assert.equal(indexed(store, "legacyword"), 0, "the edit and the delete took the old words out at once");
      assert.deepEqual(await found(store, "legacyword"), []);
      assert.deepEqual(await found(store, "renewedword"), ["renewedword one"]);
      assert.deepEqual(await found(store, "freshword"), ["freshword"]);
      assert.equal(indexed(store, "one"), 1);
    } finally {
      await store.close();
    }
  });

  it("upgrades a version-8 database: migration 9 rebuilds the index with a prefix index, pending rows stay pending", async () => {
    const path = newPath();
    const v8 = new Database(path);
    migrate(
      v8,
      MIGRATIONS.filter((m) => m.version <= 8),
    );
    v8.exec(`INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ('u', 'u', 'U', 'h', 1);
             INSERT INTO conversations (id, kind, title, created_at, last_seq) VALUES ('g', 'group', 'G', 1, 3);
             INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
             VALUES ('g', 'u', 'owner', 1, 0, 0, 1);
             INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at)
             VALUES ('g', 1, 'a', 'u', NULL, 'system', NULL, '{}', 1),
                    ('g', 2, 'b', 'u', 'c-b', 'text', 'deployment one', NULL, 2),
                    ('g', 3, 'c', 'u', 'c-c', 'text', 'deployed two', NULL, 3)`);
    // Version 8 indexed seq 2 at once (a background batch); seq 3 was still pending when it stopped.
    v8.exec(`INSERT INTO message_search (rowid, body, conv)
               SELECT key, 'deployment one', 'k1' FROM search_pending WHERE key & 4294967295 = 2;
             DELETE FROM search_pending WHERE key & 4294967295 = 2;`);
    assert.equal(v8.prepare("SELECT count(*) FROM search_pending").pluck().get(), 1);
    v8.close();
    const store = await open(path);
    try {
      assert.equal(store.db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
      assert.match(
        store.db.prepare("SELECT sql FROM sqlite_master WHERE name = 'message_search'").pluck().get() as string,
        /prefix = '3'/,
      );
      assert.equal(indexed(store, "deployment"), 1, "the indexed row is in the rebuilt index");
      assert.equal(pending(store), 1, "the pending row is still pending, not indexed twice");
      assert.deepEqual((await found(store, "dep*")).sort(), ["deployed two", "deployment one"]);
      assert.deepEqual(await found(store, "deploym*"), ["deployment one"]);
      assert.equal(pending(store), 0);
      await send(store, text("deploying three"));
      assert.deepEqual((await found(store, "deplo*")).length, 3);
    } finally {
      await store.close();
    }
  });
});
