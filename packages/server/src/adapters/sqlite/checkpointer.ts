// WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside the commit that crosses the WAL
// threshold, on the thread that commits: with better-sqlite3 that is the event loop, which then stalls for the page
// copy and its fsync. Instead the main connection turns automatic checkpoints off and a worker thread with its own
// connection checkpoints: PASSIVE every interval (never blocks the writer; once it has caught up, the next commit
// starts the WAL over from its beginning), and TRUNCATE when the WAL has grown past a bound anyway (readers kept it
// from resetting), so the file stays bounded.

import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3-multiple-ciphers";
import type { CheckpointReply, CheckpointRequest } from "./checkpoint-worker.js";

export interface CheckpointerOptions {
  /** How often to checkpoint, ms. */
  intervalMs?: number;
  /** WAL size (frames, one page each) above which a TRUNCATE checkpoint resets the file. */
  maxWalFrames?: number;
  /** How long the worker's TRUNCATE waits for the writer lock and readers before trying again next round. */
  busyTimeoutMs?: number;
  /** The database's at-rest key, when it is encrypted: the worker's connection needs it too. */
  key?: Buffer;
}

const DEFAULT_INTERVAL_MS = 100;
/** 4,096 pages of 4 KiB: a 16 MiB WAL. */
const DEFAULT_MAX_WAL_FRAMES = 4096;

export class Checkpointer {
  private readonly worker: Worker;
  private readonly timer: NodeJS.Timeout;
  private inFlight: Promise<CheckpointReply> | undefined;
  private closed = false;
  private readonly maxWalFrames: number;

  /** Starts checkpointing `db` (a file database in WAL mode); turns its automatic checkpoints off. */
  constructor(db: Database.Database, options: CheckpointerOptions = {}) {
    this.maxWalFrames = options.maxWalFrames ?? DEFAULT_MAX_WAL_FRAMES;
    db.pragma("wal_autocheckpoint = 0");
    // When a checkpoint has caught up and the WAL restarts, a WAL file larger than this is truncated back to it.
    db.pragma(`journal_size_limit = ${this.maxWalFrames * 4096}`);
    this.worker = new Worker(new URL("./checkpoint-worker.js", import.meta.url), {
      workerData: { path: db.name, busyTimeoutMs: options.busyTimeoutMs ?? 200, key: options.key },
    });
    this.worker.unref();
    this.worker.on("error", () => {});
    this.timer = setInterval(() => void this.tick(), options.intervalMs ?? DEFAULT_INTERVAL_MS);
    this.timer.unref();
  }

  private request(mode: CheckpointRequest["mode"]): Promise<CheckpointReply> {
    return new Promise((resolve) => {
      const onMessage = (reply: CheckpointReply) => {
        this.worker.off("exit", onExit);
        resolve(reply);
      };
      const onExit = () => {
        this.worker.off("message", onMessage);
        resolve({ busy: 1, log: 0, checkpointed: 0, error: "checkpoint worker exited" });
      };
      this.worker.once("message", onMessage);
      this.worker.once("exit", onExit);
      this.worker.postMessage({ mode } satisfies CheckpointRequest);
    });
  }

  /** One round: PASSIVE, then TRUNCATE if the WAL is still over its bound. One request at a time. */
  private async tick(): Promise<void> {
    if (this.inFlight || this.closed) return;
    try {
      this.inFlight = this.request("PASSIVE");
      const passive = await this.inFlight;
      if (!this.closed && passive.log > this.maxWalFrames) {
        this.inFlight = this.request("TRUNCATE");
        await this.inFlight;
      }
    } finally {
      this.inFlight = undefined;
    }
  }

  /** Stops the timer, lets a running checkpoint finish and ends the worker. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    // Unreferenced while running (it must not keep a process alive); closing waits for it, so hold the loop open.
    this.worker.ref();
    await this.inFlight;
    this.worker.postMessage("close");
    await new Promise<void>((resolve) => {
      this.worker.once("exit", () => resolve());
      setTimeout(() => void this.worker.terminate().then(() => resolve()), 2000).unref();
    });
  }
}
