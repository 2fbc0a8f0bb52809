// Full-text indexing off the send path (migration 6). A message write only records the message's search row id in
// `search_pending` (a trigger, a few µs); this indexer moves pending rows into the FTS5 index in the background, in
// slices, each slice one transaction, reading every body as it is when indexed. FTS5 writes a new segment per
// transaction, so indexing a few hundred rows at once costs a fraction per message of what indexing each send in its
// own commit did.
//
// No step holds the event loop for long (docs/performance.md, "Search indexing in bounded steps"). FTS5 merges no
// segments inside a write (automerge 0, migration 26): those merges, tens to hundreds of milliseconds at full size,
// ran inside whichever commit crossed a threshold. Instead the indexer alternates two kinds of step, one per
// event-loop turn: an indexing slice of as many pending rows as fit in STEP_BUDGET_MS, and merge steps ('merge' of
// as many pages as fit in the budget), until FTS5 reports no more merge work; how many rows or pages fit is learned
// from the previous steps (step-sizer.ts). A merge step cannot stop inside one word's list, so merging the largest
// segments of a very common word can still take longer than the budget.
//
// When: a timer `intervalMs` after the first write that may have left work (the store calls `schedule()` after its
// appends; rows pending at open are scheduled at once), then step after step, one per event-loop turn, while merges
// are owed or slices come back full, so a backlog drains quickly while the sends' I/O runs between the steps.
// Searches call `indexAll()` first: a search sees every committed write. Pending rows survive a crash (they are
// committed with the message) and are indexed after the next open.

import type Database from "better-sqlite3-multiple-ciphers";
import { StepSizer } from "./step-sizer.js";

export interface SearchIndexerOptions {
  /** Delay between a write and the background batch that indexes it, ms (1…60000; default 200). */
  intervalMs?: number;
  /**
   * Most rows indexed per background transaction (1…100000; default 500). Slices are smaller when fewer rows fit in
   * the step budget.
   */
  batchSize?: number;
  /** How long one background step should hold the event loop, ms (1…1000; default STEP_BUDGET_MS). */
  stepBudgetMs?: number;
  /** The clock steps are timed with, ms (default performance.now). */
  now?: () => number;
  /**
   * Called when indexing fails: the batch rolls back whole, its rows stay pending and are retried after a pause that
   * doubles with each consecutive failure (up to a minute), so a lasting fault is not reported five times a second.
   */
  onError?: (error: unknown) => void;
}

export const DEFAULT_INDEX_INTERVAL_MS = 200;
export const DEFAULT_INDEX_BATCH_SIZE = 500;
/** How long one background step (an indexing slice or a merge step) should hold the event loop, ms. */
export const STEP_BUDGET_MS = 3;
/** Fewest rows per indexing slice and pages per merge step, however slow the steps: progress on any machine. */
const MIN_SLICE_ROWS = 16;
const MIN_MERGE_PAGES = 4;
/**
 * Most pages one merge step writes, and the first step's size before the sizer has learned the rate. (FTS5 ends a
 * merge step only between words, so a step writes at least one word's whole list.)
 */
const MAX_MERGE_PAGES = 256;
const FIRST_MERGE_PAGES = 16;
const FIRST_SLICE_ROWS = 64;
const MAX_INTERVAL_MS = 60_000;
const MAX_BATCH_SIZE = 100_000;
const MAX_STEP_BUDGET_MS = 1000;
// The batch is the `limit` smallest pending keys, bounded by the largest of them. Keys stay in SQLite (BigInt if read:
// search_key << 32 passes 2^53 beyond two million conversations).
const PENDING_BOUND = "(SELECT max(key) FROM (SELECT key FROM search_pending ORDER BY key LIMIT @limit))";

/** One indexing slice's statements (exported for bench/search-index-steps.mjs, which times them apart). */
export const INDEXING_SQL = {
  // A row that is no longer a text with a body (deleted for everyone while pending) is dropped, not indexed.
  insert: `INSERT INTO message_search (rowid, body, conv)
           SELECT p.key, m.body, 'k' || c.search_key
           FROM search_pending AS p
           JOIN conversations AS c ON c.search_key = p.key >> 32
           JOIN messages AS m ON m.conversation_id = c.id AND m.seq = p.key & 4294967295
           WHERE p.key <= ${PENDING_BOUND} AND m.kind = 'text' AND m.body IS NOT NULL
           ORDER BY p.key`,
  take: `DELETE FROM search_pending WHERE key <= ${PENDING_BOUND}`,
} as const;

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
  private readonly mergeTx: (pages: number) => number;
  private readonly slices: StepSizer;
  private readonly merges: StepSizer;
  private readonly now: () => number;
  /** The last indexing slice wrote a segment that may have left merge work. */
  private mergeOwed = false;
  /** The last indexing slice took all it was allowed: more rows are probably pending. */
  private backlog = false;
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
    const budget = checkedInteger("searchIndexStepMs", options.stepBudgetMs, STEP_BUDGET_MS, MAX_STEP_BUDGET_MS);
    const minRows = Math.min(MIN_SLICE_ROWS, this.batchSize);
    this.slices = new StepSizer(budget, minRows, this.batchSize, Math.max(minRows, Math.min(FIRST_SLICE_ROWS, this.batchSize)));
    this.merges = new StepSizer(budget, MIN_MERGE_PAGES, MAX_MERGE_PAGES, FIRST_MERGE_PAGES);
    this.now = options.now ?? (() => performance.now());
    this.anyPending = db.prepare<[], number>("SELECT 1 FROM search_pending LIMIT 1").pluck();
    const insert = db.prepare<{ limit: number }>(INDEXING_SQL.insert);
    const take = db.prepare<{ limit: number }>(INDEXING_SQL.take);
    // IMMEDIATE, like the store's writes (a deferred transaction that reads first can deadlock against a checkpoint).
    this.indexTx = db.transaction((limit: number) => {
      insert.run({ limit });
      return take.run({ limit }).changes;
    }).immediate;
    // FTS5's incremental merge: about `pages` pages of merged segments written, on a level with at least `usermerge`
    // (4, as automerge was) segments or continuing a merge begun before. Returns the rows it changed in the database
    // (pages written, and the merged segments' pages deleted when a merge completes): it did work when 2 or more
    // (FTS5's documented test).
    // (FTS5 takes the page count only as an INTEGER value: bound as a BigInt, since a JS number binds as a REAL.)
    const totalChanges = db.prepare<[], number>("SELECT total_changes()").pluck();
    const merge = db.prepare<[bigint]>("INSERT INTO message_search (message_search, rank) VALUES ('merge', ?)");
    this.mergeTx = db.transaction((pages: number) => {
      const before = totalChanges.get()!;
      merge.run(BigInt(pages));
      return totalChanges.get()! - before;
    }).immediate;
    // A slice or merge step commits without its own fsync (NORMAL in WAL mode): it only moves derived data (index rows
    // and their pending marks, or index segments) in one atomic commit, so losing it to a power cut just leaves its
    // rows pending again (or the segments unmerged), and the next synced commit (every send's) makes it durable
    // anyway, the WAL being written in order. That keeps a disk flush per step off the event loop. Checkpoints still
    // sync under NORMAL.
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
    return this.relaxed(() => this.indexTx(limit));
  }

  /**
   * One incremental FTS5 merge of about `pages` pages in one transaction; returns the database rows it changed,
   * about the pages written (below 2: there was no merge work).
   */
  mergeStep(pages: number): number {
    return this.relaxed(() => this.mergeTx(pages));
  }

  /**
   * One background step, timed to size the next one of its kind: a merge step while the last slice left merge work,
   * else an indexing slice. Returns whether another step should follow on the next turn (merges owed, or a full
   * slice, so probably more pending); otherwise the next send's schedule() starts the timer again.
   */
  step(): boolean {
    if (this.mergeOwed) {
      const pages = this.merges.next();
      const start = this.now();
      const changed = this.mergeStep(pages);
      this.merges.record(changed, this.now() - start);
      this.mergeOwed = changed >= 2;
      return this.mergeOwed || this.backlog;
    }
    const rows = this.slices.next();
    const start = this.now();
    const taken = this.indexBatch(rows);
    this.slices.record(taken, this.now() - start);
    this.backlog = taken === rows;
    this.mergeOwed = taken > 0;
    return this.mergeOwed;
  }

  /** The rows the next indexing slice may take and the pages of the next merge step (what the step sizes learned). */
  nextStepSizes(): { rows: number; pages: number } {
    return { rows: this.slices.next(), pages: this.merges.next() };
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

  /** Runs `work` with the connection's synchronous mode relaxed to NORMAL, when it is FULL or EXTRA (see above). */
  private relaxed<T>(work: () => T): T {
    if (this.relaxSync === undefined || this.restoreSync === undefined) return work();
    this.relaxSync.run();
    try {
      return work();
    } finally {
      this.restoreSync.run();
    }
  }

  private startTimer(ms: number): void {
    this.timer = setTimeout(this.tick, ms);
    // Never what keeps the process alive: close() indexes what is left, and so does the next open.
    this.timer.unref();
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    if (this.closed || !this.db.open) return;
    let more: boolean;
    try {
      more = this.step();
    } catch (error) {
      this.failures++;
      this.onError(error);
      this.schedule();
      return;
    }
    this.failures = 0;
    // Next step on the next turn, after the I/O that queued up meanwhile.
    if (more) this.startTimer(0);
  };
}
