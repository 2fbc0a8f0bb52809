// Catching up: the sync that follows every welcome (retried with backoff while the connection stays up), and the
// repair of a gap the reorder buffer could not wait out.

import { Backoff } from "./backoff.js";
import type { OpCall } from "./calls.js";
import { isDisconnection, type ParleyError, toParleyError } from "./errors.js";
import type { ReorderBuffer } from "./reorder-buffer.js";
import type { SyncEngine } from "./sync.js";
import type { TimerHandle, Timers } from "./timers.js";

export interface CatchUpOptions {
  sync: SyncEngine;
  buffer: ReorderBuffer;
  /** Calls `messages.history`, over whatever carries it. */
  call: OpCall;
  connected: () => boolean;
  /** The server's largest history page, once welcomed. */
  historyPageMax: () => number | undefined;
  timers: Timers;
  onError: (error: ParleyError) => void;
}

export class CatchUp {
  readonly #options: CatchUpOptions;
  readonly #backoff = new Backoff({ initialMs: 1000, maxMs: 60_000 });
  #retry: TimerHandle | undefined;

  constructor(options: CatchUpOptions) {
    this.#options = options;
  }

  /** Runs a sync; a failure is reported and, while still connected, retried after a backoff wait. */
  async run(): Promise<void> {
    try {
      await this.#options.sync.run();
      this.#backoff.reset();
    } catch (caught) {
      const error = toParleyError(caught);
      if (isDisconnection(error) || error.code === "stopped") return;
      this.#options.onError(error);
      // A failed catch-up while still connected would leave quiet conversations behind until the next reconnect.
      if (this.#options.connected() && this.#retry === undefined) {
        this.#retry = this.#options.timers.setTimeout(
          () => {
            this.#retry = undefined;
            void this.run();
          },
          Math.max(this.#backoff.next(), error.retryAfterMs ?? 0),
        );
      }
    }
  }

  cancelRetry(): void {
    if (this.#retry === undefined) return;
    this.#options.timers.clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  /** Fetches the entries of `conversationId` after `after` up to `until` into the buffer, page by page. */
  async repairGap(conversationId: string, after: number, until: number): Promise<void> {
    const { sync, buffer } = this.#options;
    // A sync in flight may already bring the missing entries.
    await sync.idle();
    let from = Math.max(after, buffer.cursor(conversationId) ?? after);
    const pageMax = this.#options.historyPageMax() ?? 100;
    while (from < until) {
      const page = await this.#options.call("messages.history", {
        conversationId,
        after: from,
        limit: Math.max(1, Math.min(until - from, pageMax)),
      });
      buffer.pushMany(page.messages);
      const last = page.messages[page.messages.length - 1];
      if (!page.hasMore || !last) return;
      from = last.seq;
    }
  }
}
