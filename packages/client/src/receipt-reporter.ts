// Outgoing receipts: the delivered/read watermarks this device reports, coalesced per conversation and retried.

import type { OpArgs, ReceiptState } from "@parley/protocol";
import { toParleyError } from "./errors.js";
import { systemTimers, type TimerHandle, type Timers } from "./timers.js";

export type ReceiptSender = (args: OpArgs<"receipts.mark">) => Promise<ReceiptState>;

export interface ReceiptReporterOptions {
  send: ReceiptSender;
  /** Watermarks moving within this window go out as one `receipts.mark`. */
  delayMs?: number;
  timers?: Timers;
  onError?: (error: unknown) => void;
}

interface Marks {
  delivered: number;
  read: number;
  sentDelivered: number;
  sentRead: number;
  inFlight: boolean;
}

export class ReceiptReporter {
  readonly #send: ReceiptSender;
  readonly #delayMs: number;
  readonly #timers: Timers;
  readonly #onError: (error: unknown) => void;
  readonly #marks = new Map<string, Marks>();
  #online = false;
  #timer: TimerHandle | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(options: ReceiptReporterOptions) {
    this.#send = options.send;
    this.#delayMs = options.delayMs ?? 150;
    this.#timers = options.timers ?? systemTimers;
    this.#onError = options.onError ?? (() => {});
  }

  delivered(conversationId: string, seq: number): void {
    const m = this.#get(conversationId);
    if (seq <= m.delivered) return;
    m.delivered = seq;
    this.#schedule();
  }

  read(conversationId: string, seq: number): void {
    const m = this.#get(conversationId);
    if (seq <= m.read) return;
    m.read = seq;
    m.delivered = Math.max(m.delivered, seq);
    this.#schedule();
  }

  /** Reports may go out (true) or must wait (false); going online sends what is pending. */
  setOnline(online: boolean): void {
    this.#online = online;
    if (online) this.#schedule(0);
    else this.#clearTimer();
  }

  /** Sends what is pending now; resolves when those reports were answered. */
  flush(): Promise<void> {
    this.#clearTimer();
    if (!this.#online) return this.#flushing;
    const batch: Promise<void>[] = [];
    for (const [conversationId, m] of this.#marks) {
      if (m.inFlight || (m.delivered <= m.sentDelivered && m.read <= m.sentRead)) continue;
      batch.push(this.#report(conversationId, m));
    }
    this.#flushing = Promise.all(batch).then(() => {});
    return this.#flushing;
  }

  dispose(): void {
    this.#online = false;
    this.#clearTimer();
  }

  /** Forgets every watermark (logout). */
  clear(): void {
    this.dispose();
    this.#marks.clear();
  }

  async #report(conversationId: string, m: Marks): Promise<void> {
    const delivered = m.delivered;
    const read = m.read;
    // Read implies delivered on the server, so one field says it all when read has caught up.
    const args: OpArgs<"receipts.mark"> = { conversationId };
    if (read > m.sentRead) args.read = read;
    if (delivered > m.sentDelivered && delivered > read) args.delivered = delivered;
    m.inFlight = true;
    try {
      await this.#send(args);
      m.sentDelivered = Math.max(m.sentDelivered, delivered);
      m.sentRead = Math.max(m.sentRead, read);
    } catch (caught) {
      const error = toParleyError(caught);
      if (!error.retryable) {
        // E.g. not_member: resending the same watermark would fail the same way.
        m.sentDelivered = Math.max(m.sentDelivered, delivered);
        m.sentRead = Math.max(m.sentRead, read);
        this.#onError(error);
      }
      // Retryable failures stay pending and go out with the next flush (at the latest after reconnecting).
    } finally {
      m.inFlight = false;
    }
    if (this.#online && (m.delivered > m.sentDelivered || m.read > m.sentRead)) this.#schedule();
  }

  #get(conversationId: string): Marks {
    let m = this.#marks.get(conversationId);
    if (!m) {
      m = { delivered: 0, read: 0, sentDelivered: 0, sentRead: 0, inFlight: false };
      this.#marks.set(conversationId, m);
    }
    return m;
  }

  #schedule(delay = this.#delayMs): void {
    if (!this.#online || this.#timer !== undefined) return;
    this.#timer = this.#timers.setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, delay);
  }

  #clearTimer(): void {
    if (this.#timer === undefined) return;
    this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}
