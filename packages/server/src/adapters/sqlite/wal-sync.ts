// Durable group commit without blocking the event loop. With `synchronous = FULL`, SQLite fsyncs the WAL inside every
// COMMIT, and better-sqlite3 commits on the event loop: every batch of messages stalls every socket for the length of
// an fsync (milliseconds, tens of them on a busy disk). The hot write path (append) instead
// commit with `synchronous = OFF` (the frames reach the OS, unsynced) and then fsync the WAL file on libuv's thread
// pool; their callers (acks, fan-out, receipt events) are answered only once that fsync has returned. The guarantee
// is the same as FULL's, an acknowledged write survives power loss, but the event loop keeps serving meanwhile, and
// commits that land while one fsync runs share the next one.
//
// Between the commit and its fsync the rows are visible to this connection's reads; the store makes the reads that
// return messages, sequence numbers and watermarks wait for `settled()`, so nothing is shown before it is durable.

import { closeSync, fdatasync, openSync } from "node:fs";

export class WalSync {
  private fd: number | undefined;
  /** The fsync running now, and the one queued behind it for commits made while it runs. */
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Opens the WAL file of the database at `path` (in WAL mode); undefined if it cannot be opened. */
  static open(path: string): WalSync | undefined {
    try {
      return new WalSync(openSync(`${path}-wal`, "r+"));
    } catch {
      return undefined;
    }
  }

  /** Resolves once everything committed before this call is on stable storage. */
  afterCommit(): Promise<void> {
    if (!this.running) return this.start();
    // The running fsync may have started before this commit's frames were written: wait for the next one.
    this.queued ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.queued;
  }

  /**
   * Resolves once every commit made before this call is durable (or its fsync failed: its callers got the error).
   * Waits for one fsync at most, however many commits follow, so readers are never starved by a stream of writes.
   */
  async settled(): Promise<void> {
    // A failed fsync was reported to the commits that waited for it; here only the waiting matters.
    await Promise.allSettled([this.queued ?? this.running]);
  }

  /** True while a commit waits for its fsync. */
  get pending(): boolean {
    return this.running !== undefined || this.queued !== undefined;
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private startQueued(): Promise<void> {
    this.queued = undefined;
    return this.start();
  }

  private start(): Promise<void> {
    const fd = this.fd;
    const run = new Promise<void>((resolve, reject) => {
      if (fd === undefined) return reject(new Error("the WAL file is closed"));
      fdatasync(fd, (error) => (error ? reject(error) : resolve()));
    });
    this.running = run;
    const clear = () => {
      if (this.running === run) this.running = undefined;
    };
    run.then(clear, clear);
    return run;
  }
}
