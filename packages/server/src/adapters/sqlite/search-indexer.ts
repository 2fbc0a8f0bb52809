// Full-text indexing off the send path (migration 6). A message write only records the message's search row id in
// `search_pending` (a trigger, a few µs); this indexer moves pending rows into the FTS5 index in batches, each batch
// one transaction, reading every body as it is when indexed. FTS5 writes a new segment per transaction, so indexing
// a few hundred rows at once costs a fraction per message of what indexing each send in its own commit did.
//
// When: a timer `intervalMs` after the first write that may have left work (the store calls `schedule()` after its
// appends; rows pending at open are scheduled at once), then batch after batch, one per event-loop turn, while
// batches come back full, so a backlog drains quickly without holding the loop for more than one batch at a time.
// Searches call `indexAll()` first: a search sees every committed write. Pending rows survive a crash (they are
// committed with the message) and are indexed after the next open.

import type Database from "better-sqlite3-multiple-ciphers";

export interface SearchIndexerOptions {
  /** Delay between a write and the background batch that indexes it, ms (1…60000; default 200). */
  intervalMs?: number;
  /** Most rows indexed per background transaction (1…100000; default 500): bounds how long one batch blocks the loop. */
  batchSize?: number;
  /**
   * Called when indexing fails: the batch rolls back whole, its rows stay pending and are retried after a pause that
   * doubles with each consecutive failure (up to a minute), so a lasting fault is not reported five times a second.
   */
  onError?: (error: unknown) => void;
}

export const DEFAULT_INDEX_INTERVAL_MS = 200;
export const DEFAULT_INDEX_BATCH_SIZE = 500;
const MAX_INTERVAL_MS = 60_000;
const MAX_BATCH_SIZE = 100_000;
/** The whole backlog in one transaction (LIMIT takes a 64-bit integer; this one is exact as a JS number). */
const ALL = Number.MAX_SAFE_INTEGER;

function checkedInteger(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${name} must be an integer from 1 to ${max}, got ${value}`);
  }
  return value;
}

export class SearchIndexer {
  readonly intervalMs: number;
  readonly batchSize: number;
  private readonly onError: (error: unknown) => void;
  private readonly anyPending: Database.Statement<[], number>;
  private readonly indexTx: (limit: number) => number;
  /** `PRAGMA synchronous = NORMAL`, then back to FULL/EXTRA, around batches; absent when the connection is not FULL. */
  private readonly relaxSync: Database.Statement | undefined;
  private readonly restoreSync: Database.Statement | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Background batches failed in a row (0 after a success). */
  private failures = 0;

  constructor(
    private readonly db: Database.Database,
    options: SearchIndexerOptions = {},
  ) {
    this.intervalMs = checkedInteger("searchIndexIntervalMs", options.intervalMs, DEFAULT_INDEX_INTERVAL_MS, MAX_INTERVAL_MS);
    this.batchSize = checkedInteger("searchIndexBatchSize", options.batchSize, DEFAULT_INDEX_BATCH_SIZE, MAX_BATCH_SIZE);
    this.onError =
      options.onError ??
      ((error) => process.emitWarning(`search indexing failed, retrying: ${(error as Error)?.message ?? String(error)}`));
    this.anyPending = db.prepare<[], number>("SELECT 1 FROM search_pending LIMIT 1").pluck();
    // The batch is the `limit` smallest pending keys, bounded by the largest of them. Keys stay in SQLite (BigInt if
    // read: search_key << 32 passes 2^53 beyond two million conversations).
    const bound = "(SELECT max(key) FROM (SELECT key FROM search_pending ORDER BY key LIMIT @limit))";
    // A row that is no longer a text with a body (deleted for everyone while pending) is dropped, not indexed.
    const insert = db.prepare<{ limit: number }>(
      `INSERT INTO message_search (rowid, body, conv)
       SELECT p.key, m.body, 'k' || c.search_key
       FROM search_pending AS p
       JOIN conversations AS c ON c.search_key = p.key >> 32
       JOIN messages AS m ON m.conversation_id = c.id AND m.seq = p.key & 4294967295
       WHERE p.key <= ${bound} AND m.kind = 'text' AND m.body IS NOT NULL
       ORDER BY p.key`,
    );
    const take = db.prepare<{ limit: number }>(`DELETE FROM search_pending WHERE key <= ${bound}`);
    // IMMEDIATE, like the store's writes (a deferred transaction that reads first can deadlock against a checkpoint).
    this.indexTx = db.transaction((limit: number) => {
      insert.run({ limit });
      return take.run({ limit }).changes;
    }).immediate;
    // A batch commits without its own fsync (NORMAL in WAL mode): it only moves derived data (index rows and their
    // pending marks) in one atomic commit, so losing it to a power cut just leaves its rows pending again, and the
    // next synced commit (every send's) makes it durable anyway, the WAL being written in order. That keeps a disk
    // flush per batch off the event loop. Checkpoints still sync under NORMAL.
    const mode = db.pragma("synchronous", { simple: true }) as number;
    if (mode >= 2) {
      // SQLite applies a PRAGMA already when preparing it: the restoring statement is prepared last on purpose.
      this.relaxSync = db.prepare("PRAGMA synchronous = NORMAL");
      this.restoreSync = db.prepare(`PRAGMA synchronous = ${mode === 3 ? "EXTRA" : "FULL"}`);
    }
  }

  /** Starts the background timer unless it runs already; called after every write that may have left rows pending. */
  schedule(): void {
    if (this.timer !== undefined || this.closed) return;
    this.startTimer(Math.min(MAX_INTERVAL_MS, this.intervalMs * 2 ** Math.min(this.failures, 16)));
  }

  /** Whether any message waits to be indexed. */
  hasPending(): boolean {
    return this.anyPending.get() !== undefined;
  }

  /** Indexes up to `limit` pending rows in one transaction; returns how many rows left the queue (0: none pending). */
  indexBatch(limit: number = this.batchSize): number {
    if (!this.hasPending()) return 0;
    if (this.relaxSync === undefined || this.restoreSync === undefined) return this.indexTx(limit);
    this.relaxSync.run();
    try {
      return this.indexTx(limit);
    } finally {
      this.restoreSync.run();
    }
  }

  /** Indexes the whole backlog in one transaction. */
  indexAll(): number {
    return this.indexBatch(ALL);
  }

  /**
   * What a search runs first (read-your-writes): indexAll(), except that a failure is reported to onError instead of
   * failing the search, which then runs on what is indexed (everything but the pending rows).
   */
  catchUp(): void {
    try {
      this.indexAll();
    } catch (error) {
      this.onError(error);
    }
  }

  /**
   * Stops the timer and indexes what is pending, so a cleanly closed database has nothing left to index. A failure
   * goes to onError, not to the caller: the rows stay pending and the next open indexes them.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.db.open) this.catchUp();
  }

  private startTimer(ms: number): void {
    this.timer = setTimeout(this.tick, ms);
    // Never what keeps the process alive: close() indexes what is left, and so does the next open.
    this.timer.unref();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.closed || !this.db.open) return;
    let taken: number;
    try {
      taken = this.indexBatch();
    } catch (error) {
      this.failures++;
      this.onError(error);
      this.schedule();
      return;
    }
    this.failures = 0;
    // Probably more waiting: next batch on the next turn, after the I/O that queued up meanwhile.
    if (taken === this.batchSize) this.startTimer(0);
  };
}
