// Per-conversation in-order, exactly-once delivery by seq: drops what was seen, holds what came early, repairs gaps.

import type { Message } from "@parley/protocol";
import { systemTimers, type TimerHandle, type Timers } from "./timers.js";

/**
 * Fetches the messages with afterSeq < seq ≤ untilSeq of a conversation and pushes them into the buffer. Resolve only
 * once the server has answered for the whole range: seqs still missing afterwards are taken as not visible to this
 * user and skipped. Reject when the server could not be asked; the repair is retried later.
 */
export type GapRepair = (conversationId: string, afterSeq: number, untilSeq: number) => Promise<void>;

export interface ReorderBufferOptions {
  /** Receives each conversation's messages contiguously, in seq order, each exactly once. */
  deliver: (messages: readonly Message[]) => void;
  repair: GapRepair;
  /** How long an early message waits for the missing ones before a repair is requested. */
  gapWaitMs?: number;
  /** Upper bound of the wait between failed repair attempts. */
  maxRepairDelayMs?: number;
  timers?: Timers;
}

interface ConversationBuffer {
  /** Highest seq delivered (or skipped): everything ≤ cursor is done. */
  cursor: number;
  /** Messages that arrived early, by seq. */
  ahead: Map<number, Message>;
  timer: TimerHandle | undefined;
  repairing: boolean;
  failures: number;
}

export class ReorderBuffer {
  readonly #deliver: (messages: readonly Message[]) => void;
  readonly #repair: GapRepair;
  readonly #gapWaitMs: number;
  readonly #maxRepairDelayMs: number;
  readonly #timers: Timers;
  readonly #conversations = new Map<string, ConversationBuffer>();
  #paused = false;

  constructor(options: ReorderBufferOptions) {
    this.#deliver = options.deliver;
    this.#repair = options.repair;
    this.#gapWaitMs = options.gapWaitMs ?? 300;
    this.#maxRepairDelayMs = options.maxRepairDelayMs ?? 30_000;
    this.#timers = options.timers ?? systemTimers;
  }

  /** The highest seq delivered for the conversation, or undefined when it is unknown. */
  cursor(conversationId: string): number | undefined {
    return this.#conversations.get(conversationId)?.cursor;
  }

  /** Every known conversation's cursor, as `sync` takes them. */
  cursors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [id, c] of this.#conversations) out[id] = c.cursor;
    return out;
  }

  get size(): number {
    return this.#conversations.size;
  }

  /** Messages held back waiting for a gap to close. */
  buffered(conversationId?: string): number {
    if (conversationId !== undefined) return this.#conversations.get(conversationId)?.ahead.size ?? 0;
    let n = 0;
    for (const c of this.#conversations.values()) n += c.ahead.size;
    return n;
  }

  /**
   * Declares everything up to `seq` done without delivering it (history the app fetches on demand, or seqs this user
   * cannot see). Cursors only move forward; held messages now in order are delivered.
   */
  advance(conversationId: string, seq: number): void {
    const c = this.#get(conversationId);
    if (seq <= c.cursor) return;
    c.cursor = seq;
    for (const s of c.ahead.keys()) if (s <= seq) c.ahead.delete(s);
    this.#drain(conversationId, c, []);
  }

  /** Offers one message; returns true when it was new (delivered now or held for later). */
  push(message: Message): boolean {
    const c = this.#get(message.conversationId);
    if (message.seq <= c.cursor || c.ahead.has(message.seq)) return false;
    if (message.seq !== c.cursor + 1) {
      c.ahead.set(message.seq, message);
      this.#watchGap(message.conversationId, c);
      return true;
    }
    c.cursor = message.seq;
    this.#drain(message.conversationId, c, [message]);
    return true;
  }

  pushMany(messages: readonly Message[]): void {
    for (const m of messages) this.push(m);
  }

  /** Stops gap timers (the client closed); held messages stay until `resumeTimers`. */
  pauseTimers(): void {
    this.#paused = true;
    for (const c of this.#conversations.values()) {
      if (c.timer !== undefined) this.#timers.clearTimeout(c.timer);
      c.timer = undefined;
    }
  }

  /** Watches the remaining gaps again (the client reconnected). */
  resumeTimers(): void {
    this.#paused = false;
    for (const [id, c] of this.#conversations) if (c.ahead.size > 0) this.#watchGap(id, c);
  }

  /** Forgets everything (logout); pending repairs are abandoned. */
  clear(): void {
    for (const c of this.#conversations.values()) if (c.timer !== undefined) this.#timers.clearTimeout(c.timer);
    this.#conversations.clear();
  }

  #get(conversationId: string): ConversationBuffer {
    let c = this.#conversations.get(conversationId);
    if (!c) {
      // An unknown conversation starts before seq 1: seq 1 is delivered at once, anything later waits for a repair
      // (which answers from this user's joinedSeq).
      c = { cursor: 0, ahead: new Map(), timer: undefined, repairing: false, failures: 0 };
      this.#conversations.set(conversationId, c);
    }
    return c;
  }

  #drain(conversationId: string, c: ConversationBuffer, batch: Message[]): void {
    for (let next = c.ahead.get(c.cursor + 1); next; next = c.ahead.get(c.cursor + 1)) {
      c.ahead.delete(next.seq);
      c.cursor = next.seq;
      batch.push(next);
    }
    if (c.ahead.size === 0) {
      if (c.timer !== undefined) this.#timers.clearTimeout(c.timer);
      c.timer = undefined;
      c.failures = 0;
    }
    if (batch.length > 0) this.#deliver(batch);
    if (c.ahead.size > 0) this.#watchGap(conversationId, c);
  }

  #watchGap(conversationId: string, c: ConversationBuffer, delay = this.#gapWaitMs): void {
    if (c.timer !== undefined || c.repairing || this.#paused) return;
    c.timer = this.#timers.setTimeout(() => {
      c.timer = undefined;
      void this.#runRepair(conversationId, c);
    }, delay);
  }

  async #runRepair(conversationId: string, c: ConversationBuffer): Promise<void> {
    if (c.ahead.size === 0 || this.#conversations.get(conversationId) !== c) return;
    const after = c.cursor;
    const until = Math.min(...c.ahead.keys()) - 1;
    c.repairing = true;
    try {
      await this.#repair(conversationId, after, until);
    } catch {
      c.repairing = false;
      if (this.#conversations.get(conversationId) !== c) return;
      c.failures++;
      this.#watchGap(conversationId, c, Math.min(this.#maxRepairDelayMs, this.#gapWaitMs * 2 ** c.failures));
      return;
    }
    c.repairing = false;
    if (this.#conversations.get(conversationId) !== c) return;
    // The server answered for the whole range: what is still missing does not exist for this user.
    if (c.cursor < until) this.advance(conversationId, until);
    else if (c.ahead.size > 0) this.#watchGap(conversationId, c);
  }
}
