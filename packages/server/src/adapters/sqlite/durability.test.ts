// WAL checkpoints in a worker thread and commits whose fsync runs off the event loop (checkpointer.ts, wal-sync.ts),
// plaintext and encrypted at rest, up to a kill -9.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3-multiple-ciphers";
import type { MessageDraft } from "../../ports/store.js";
import { AtRestKey, parseKey } from "../at-rest/at-rest-key.js";
import { Checkpointer } from "./checkpointer.js";
import { SqliteStore } from "./sqlite-store.js";
import { WalSync } from "./wal-sync.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("SQLite durability off the event loop", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "parley-durability-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("checkpoints in a worker: automatic checkpoints off, the WAL stays bounded under continuous writes", async () => {
    const path = join(dir, "bounded.db");
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
    const maxWalFrames = 64;
    const checkpointer = new Checkpointer(db, { intervalMs: 10, maxWalFrames });
    assert.equal(db.pragma("wal_autocheckpoint", { simple: true }), 0);
    const insert = db.prepare("INSERT INTO t (body) VALUES (?)");
    const many = db.transaction((n: number) => {
      for (let i = 0; i < n; i++) insert.run("x".repeat(500));
    });
    let largest = 0;
    for (let round = 0; round < 60; round++) {
      many(40);
      largest = Math.max(largest, statSync(`${path}-wal`).size);
      await sleep(5);
    }
    // Without checkpoints 60 × 40 rows of 500 bytes would leave a WAL of several MB.
    await sleep(100);
    many(1);
    const walBytes = statSync(`${path}-wal`).size;
    assert.ok(walBytes < 2 * 1024 * 1024, `WAL ${walBytes} bytes`);
    assert.ok(largest < 4 * 1024 * 1024, `WAL grew to ${largest} bytes`);
    await checkpointer.close();
    assert.equal(db.prepare("SELECT count(*) FROM t").pluck().get(), 60 * 40 + 1);
    db.close();
    // Everything is readable by a fresh connection (the checkpointed file plus what is left in the WAL).
    const again = new Database(path);
    assert.equal(again.prepare("SELECT count(*) FROM t").pluck().get(), 60 * 40 + 1);
    again.close();
  });

  it("WalSync: commits made while an fsync runs share the next one, every caller resolves", async () => {
    const path = join(dir, "walsync.db");
    const db = new Database(path);
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE t (v INTEGER)");
    const sync = WalSync.open(path);
    assert.ok(sync, "the WAL file exists once the database is in WAL mode");
    assert.equal(WalSync.open(join(dir, "missing.db")), undefined);
    const order: number[] = [];
    const waits = [1, 2, 3, 4].map((i) => {
      db.prepare("INSERT INTO t VALUES (?)").run(i);
      return sync.afterCommit().then(() => order.push(i));
    });
    assert.equal(sync.pending, true);
    await sync.settled();
    await Promise.all(waits);
    assert.deepEqual(order, [1, 2, 3, 4]);
    assert.equal(sync.pending, false);
    sync.close();
    await assert.rejects(sync.afterCommit(), /closed/);
    db.close();
  });

  it("the store keeps synchronous = FULL outside its batches and answers pipelined appends in seq order", async () => {
    const store = SqliteStore.open(join(dir, "pipelined.db"), { asyncFsync: true, backgroundCheckpoints: true });
    assert.equal(store.pipelinedAppends, true);
    for (const id of ["a", "b"]) await store.createUser({ id, username: id, displayName: id, passwordHash: "x", createdAt: 1 });
    const { conversation } = await store.openDirect({ id: "c1", userA: "a", userB: "b", messageId: "m0", createdAt: 1 });
    let n = 0;
    const batch = (): MessageDraft[] =>
      Array.from({ length: 10 }, () => {
        n++;
        return { id: `m${n}`, conversationId: conversation.id, senderId: "a", clientId: `c${n}`, body: `hi ${n}`, createdAt: 2 };
      });
    // Five batches started in one turn, as the send batcher does while earlier fsyncs are in flight.
    const results = await Promise.all([batch(), batch(), batch(), batch(), batch()].map((b) => store.append(b)));
    const seqs = results.flat().map((o) => (o.ok ? o.message.seq : -1));
    assert.deepEqual(
      seqs,
      Array.from({ length: 50 }, (_, i) => i + 2),
    );
    assert.equal(store.db.pragma("synchronous", { simple: true }), 2);
    // A repeat (same sender and client id) is answered with the original and stores nothing.
    const [again] = await store.append([
      { id: "other", conversationId: conversation.id, senderId: "a", clientId: "c7", body: "again", createdAt: 3 },
    ]);
    assert.ok(again?.ok && again.duplicate && again.message.id === "m7" && again.message.seq === 8);
    const next = await store.append(batch());
    assert.equal(next[0]?.ok && next[0].message.seq, 52, "a duplicate does not use up a seq");
    const history = await store.getHistory({
      conversationId: conversation.id,
      minSeq: 1,
      maxSeq: 1000,
      limit: 100,
      direction: "asc",
    });
    assert.equal(history.length, 61);
    await store.close();
  });

  it("encrypted: every message acknowledged before a kill -9 is there after it, and nothing is in plaintext", async () => {
    const path = join(dir, "killed.db");
    const hex = AtRestKey.generate();
    const writer = new URL("../../test/encrypted-writer.js", import.meta.url);
    const child = spawn(process.execPath, [writer.pathname, path, hex], { stdio: ["ignore", "pipe", "pipe"] });
    let acked = 0;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      let rest = "";
      child.stdout.on("data", (chunk: Buffer) => {
        const lines = (rest + chunk.toString()).split("\n");
        rest = lines.pop() ?? "";
        for (const line of lines) acked = Math.max(acked, Number(line));
        // Long enough for the worker to have checkpointed into the file several times (every 100 ms).
        if (acked >= 2000 && Date.now() - started > 1500) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.once("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`the writer exited (${code}): ${stderr}`));
      });
    });
    await exited;
    // The checkpoint worker opened the encrypted file with the key: WAL pages reached the database file.
    assert.ok(statSync(path).size > 256 * 1024, `database file of ${statSync(path).size} bytes: no checkpoint ran`);
    for (const file of [path, `${path}-wal`]) {
      assert.ok(!readFileSync(file).includes(Buffer.from("durable canary")), `${file} holds plaintext`);
    }
    const key = new AtRestKey(parseKey(hex, "key"));
    const store = SqliteStore.open(path, { encryptionKey: key.sqliteKey });
    try {
      const history = await store.getHistory({ conversationId: "c1", minSeq: 1, maxSeq: acked, limit: acked, direction: "asc" });
      assert.deepEqual(
        history.map((m) => m.seq),
        Array.from({ length: acked }, (_, i) => i + 1),
        `all ${acked} acknowledged seqs`,
      );
    } finally {
      await store.close();
    }
  });
});
