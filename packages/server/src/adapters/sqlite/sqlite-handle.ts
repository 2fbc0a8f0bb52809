// The one connection every embedded store role shares: the database and its pragmas, the prepared statements, the
// transactions, the cache of each conversation's last seq, durable commits (wal-sync.ts) and closing.

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3-multiple-ciphers";
import { setNewest } from "../../domain/bounded-map.js";
import { Checkpointer } from "./checkpointer.js";
import { migrate } from "./migrations.js";
import { openDatabase } from "./open-database.js";
import { WalSync } from "./wal-sync.js";

/** How long a statement waits for a lock held by another connection (a backup, the sqlite3 shell) before failing. */
const BUSY_TIMEOUT_MS = 5000;
const DEFAULT_SEQ_CACHE_SIZE = 50_000;

export interface SqliteOptions {
  /** `full` (default): fsync per commit; `normal`: durable against process crashes, not power loss. */
  synchronous?: "full" | "normal";
  /**
   * WAL checkpoints in a worker thread instead of inside commits on the event loop (checkpointer.ts); ignored for
   * in-memory databases. Off by default: on this project's 2-core benchmark machine it cost more CPU per commit than
   * it saved (docs/performance.md, "Off-loop fsync and checkpoints: off by default").
   */
  backgroundCheckpoints?: boolean;
  /** Most conversations whose last seq is cached (default 50,000). */
  seqCacheSize?: number;
  /**
   * With `synchronous: "full"`: message batches commit without the in-commit fsync and are answered
   * after an fsync of the WAL on libuv's thread pool (wal-sync.ts), so the event loop never waits for the disk. Same
   * durability. Off by default for the same reason as `backgroundCheckpoints` (about 70 µs more CPU per commit).
   */
  asyncFsync?: boolean;
  /**
   * Full-text indexing runs in the background (search-indexer.ts): how long after a send its batch is indexed, ms
   * (default 200; searches never wait for it, they index what is pending first).
   */
  searchIndexIntervalMs?: number;
  /** Most messages one background indexing transaction takes (default 500). */
  searchIndexBatchSize?: number;
  /**
   * How long one background indexing or index-merging step should hold the event loop, ms (default 3): fewer rows
   * per step when they take longer (search-indexer.ts).
   */
  searchIndexStepMs?: number;
  /**
   * Told when indexing fails, in the background or before a search (the messages stay pending and are retried; the
   * search answers from what is indexed); default: a process warning.
   */
  onSearchIndexError?: (error: unknown) => void;
  /** The at-rest SQLite key (AtRestKey.sqliteKey): the file is opened, and created, encrypted (open-database.ts). */
  encryptionKey?: Buffer;
}

/** A prepared statement with named (`P` an object) or positional (`P` a tuple) parameters and rows of type `R`. */
export type Prepared<P extends unknown[] | object, R = unknown> = P extends unknown[]
  ? Database.Statement<P, R>
  : Database.Statement<[P], R>;

export function isUniqueViolation(error: unknown, column: string): boolean {
  return error instanceof Database.SqliteError && error.code === "SQLITE_CONSTRAINT_UNIQUE" && error.message.includes(column);
}

/**
 * Writes are synchronous and serialized by the event loop, which is what makes the in-memory last-seq cache safe: the
 * roles over this handle must be the only writers of its file. Should a second writer slip in, the messages primary
 * key (conversation, seq) rejects the colliding insert instead of corrupting the sequence, and the failed call drops
 * the cache entries it touched.
 */
export class SqliteHandle {
  /** Statements by SQL text (plucked ones apart): prepared once, shared by every role that names the same SQL. */
  private readonly statements = new Map<string, Database.Statement>();
  /**
   * conversation id → committed last_seq; saves a SELECT per appended message. Bounded (least recently written
   * out first): a miss only costs that SELECT, and a server that touched every conversation must not keep them all.
   */
  private readonly lastSeqCache = new Map<string, number>();
  private readonly seqCacheSize: number;
  private readonly lastSeq: Database.Statement<[string], number>;
  private readonly ping1: Database.Statement<[], number>;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly walSync: WalSync | undefined;
  /** `PRAGMA synchronous` switches around hot-path commits (only with walSync, whose mode is FULL otherwise). */
  private readonly syncOff: Database.Statement | undefined;
  private readonly syncFull: Database.Statement | undefined;
  /** Run at close after the last commit is durable and before the final checkpoint (the search indexer's flush). */
  private readonly closers: (() => void)[] = [];

  /** Opens (creating if needed, with its parent directory) the database at `path`; ":memory:" works. */
  static openDatabase(path: string, encryptionKey?: Buffer): Database.Database {
    if (path !== ":memory:" && path !== "" && !path.startsWith("file:")) mkdirSync(dirname(resolve(path)), { recursive: true });
    return openDatabase(path, encryptionKey);
  }

  /** Takes ownership of `db`: sets the pragmas and migrates. */
  constructor(
    readonly db: Database.Database,
    options: SqliteOptions = {},
  ) {
    db.pragma("journal_mode = WAL");
    // FULL syncs the WAL on every commit, so an acknowledged message survives power loss; group commit pays that
    // once per batch. NORMAL survives application crashes only and skips the fsync.
    db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
    db.pragma("foreign_keys = ON");
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db);
    this.seqCacheSize = options.seqCacheSize ?? DEFAULT_SEQ_CACHE_SIZE;
    this.lastSeq = this.pluck<[string], number>("SELECT last_seq FROM conversations WHERE id = ?");
    this.ping1 = this.pluck<[], number>("SELECT 1");
    if (options.backgroundCheckpoints && !db.memory) {
      this.checkpointer = new Checkpointer(db, options.encryptionKey ? { key: options.encryptionKey } : {});
    }
    if (options.asyncFsync && options.synchronous !== "normal" && !db.memory) this.walSync = WalSync.open(db.name);
    if (this.walSync) {
      // SQLite applies this pragma when the statement is prepared, too: FULL is prepared last on purpose.
      this.syncOff = db.prepare("PRAGMA synchronous = OFF");
      this.syncFull = db.prepare("PRAGMA synchronous = FULL");
    }
  }

  /** The statement for `sql`, prepared at its first request. Roles ask at construction, never on a hot path. */
  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Prepared<P, R> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as Prepared<P, R>;
  }

  /** Like `prepare`, for a statement that answers its first column only. */
  pluck<P extends unknown[] | object = unknown[], R = unknown>(sql: string): Prepared<P, R> {
    const key = `pluck:${sql}`;
    let statement = this.statements.get(key);
    if (statement === undefined) {
      statement = this.db.prepare(sql).pluck();
      this.statements.set(key, statement);
    }
    return statement as Prepared<P, R>;
  }

  /**
   * `body` as an IMMEDIATE transaction: the write lock is taken at BEGIN, before the transaction's first read. A
   * deferred transaction that read first and then must upgrade deadlocks against the checkpointer's TRUNCATE (which
   * holds the write lock and waits for readers) until one side's busy timeout gives up. A throw rolls back.
   */
  transaction<A extends unknown[], T>(body: (...args: A) => T): (...args: A) => T {
    return this.db.transaction(body).immediate;
  }

  // ── the last-seq cache ────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs a sequence-assigning transaction with a scratch map of the seqs it assigns. The shared cache only learns
   * them after the commit; on failure the touched entries are dropped so the next call re-reads the committed value.
   */
  withSeqs<T>(run: (seqs: Map<string, number>) => T): T {
    const seqs = new Map<string, number>();
    let result: T;
    try {
      result = run(seqs);
    } catch (error) {
      for (const id of seqs.keys()) this.lastSeqCache.delete(id);
      throw error;
    }
    for (const [id, seq] of seqs) this.cacheSeq(id, seq);
    return result;
  }

  /** The conversation's current last seq within the running transaction, or undefined if it does not exist. */
  currentSeq(conversationId: string, seqs: Map<string, number>): number | undefined {
    const pending = seqs.get(conversationId);
    if (pending !== undefined) return pending;
    const cached = this.lastSeqCache.get(conversationId);
    if (cached !== undefined) return cached;
    const stored = this.lastSeq.get(conversationId);
    // Only committed values go into the cache: this read happens before the transaction writes the conversation.
    if (stored !== undefined) this.cacheSeq(conversationId, stored);
    return stored;
  }

  /** Records a committed last seq. */
  cacheSeq(conversationId: string, seq: number): void {
    setNewest(this.lastSeqCache, conversationId, seq, this.seqCacheSize);
  }

  /** How many conversations' last seqs are cached (tests check the bound). */
  get cachedSeqCount(): number {
    return this.lastSeqCache.size;
  }

  // ── durability ──────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Runs a hot-path write transaction. With async fsync, it commits without syncing and resolves after the WAL's
   * fsync (shared by the commits made meanwhile); otherwise it commits the usual way, fsync included.
   */
  async durably<T>(write: () => T): Promise<T> {
    const sync = this.walSync;
    if (!sync || !this.syncOff || !this.syncFull) return write();
    this.syncOff.run();
    let result: T;
    try {
      result = write();
    } finally {
      this.syncFull.run();
    }
    await sync.afterCommit();
    return result;
  }

  /**
   * Reads that return messages, seqs or watermarks wait until what was committed before them is durable. They call
   * `if (handle.unsettled) await handle.settled()`: an `await` of nothing still costs a microtask turn per read, and
   * without async fsync (the default) nothing is ever pending.
   */
  get unsettled(): boolean {
    return this.walSync?.pending === true;
  }

  settled(): Promise<void> | undefined {
    return this.walSync?.settled();
  }

  // ── lifecycle ───────────────────────────────────────────────────────────────────────────────────────────────

  async ping(): Promise<void> {
    this.ping1.get();
  }

  /** `close` runs `closer` once every commit is durable, before the last checkpoint. */
  onClose(closer: () => void): void {
    this.closers.push(closer);
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    await this.walSync?.settled();
    this.walSync?.close();
    await this.checkpointer?.close();
    for (const closer of this.closers) closer();
    // Folding the WAL back leaves a single self-contained file behind (backups, copies).
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.close();
    this.lastSeqCache.clear();
  }
}
