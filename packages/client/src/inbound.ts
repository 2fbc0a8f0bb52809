// What arrives for the application: live events sorted into the reorder buffer, the receipt book, typing, presence
// and the hidden set; entries leave the buffer in seq order, each once, as `message` (and `updated`) events, and go
// again as `expired` when retention deletes them.

import type { EventFrame, Message } from "@parley/protocol";
import type { ClientEvents } from "./client-options.js";
import { toParleyError } from "./errors.js";
import { HiddenMessages } from "./hidden-messages.js";
import { hiddenForMe } from "./message-state.js";
import type { ReceiptBook } from "./receipt-book.js";
import type { ReceiptReporter } from "./receipt-reporter.js";
import { type GapRepair, ReorderBuffer } from "./reorder-buffer.js";
import type { Timers } from "./timers.js";
import type { TypingTracker } from "./typing.js";

export interface InboundOptions {
  emit: <K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]) => void;
  /** The signed-in user's id. */
  me: () => string | undefined;
  book: ReceiptBook;
  typing: TypingTracker;
  reporter: ReceiptReporter;
  /** Fetches what a gap in a conversation's entries is missing. */
  repair: GapRepair;
  /** The server says events may have been lost (`resync`): catch up and re-subscribe, as after a reconnect. */
  resync: () => void;
  timers: Timers;
  gapWaitMs?: number;
}

export class Inbound {
  /** Entries wait here until those before them have arrived. */
  readonly buffer: ReorderBuffer;
  readonly #options: InboundOptions;
  readonly #hidden = new HiddenMessages();
  /** Each conversation's retention watermark as far as this client learned it. */
  readonly #expired = new Map<string, number>();
  /** Turns encrypted entries into readable ones (end-to-end encryption); undefined: none are expected. */
  #decrypt: ((messages: readonly Message[]) => Promise<Message[]>) | undefined;
  /** Deliveries waiting for a decryption before them: entries leave in the order they arrived, each once. */
  #chain: Promise<void> | undefined;

  constructor(options: InboundOptions) {
    this.#options = options;
    this.buffer = new ReorderBuffer({
      deliver: (messages) => this.#deliver(messages),
      repair: options.repair,
      timers: options.timers,
      ...(options.gapWaitMs !== undefined ? { gapWaitMs: options.gapWaitMs } : {}),
    });
  }

  /** Sorts one live event to where it belongs. */
  event(frame: EventFrame): void {
    const { emit, book } = this.#options;
    switch (frame.event) {
      case "message":
        this.buffer.push(frame.data);
        break;
      case "receipts": {
        const changed = book.apply(frame.data.conversationId, frame.data.receipts);
        if (changed.length > 0) emit("receipts", { conversationId: frame.data.conversationId, receipts: changed });
        break;
      }
      case "typing":
        this.#options.typing.apply(frame.data);
        break;
      case "presence":
        emit("presence", frame.data);
        break;
      case "user.updated":
        emit("user", frame.data);
        break;
      case "message.hidden":
        this.markHidden(frame.data.conversationId, frame.data.seq);
        break;
      case "messages.expired":
        this.expire(frame.data.conversationId, frame.data.expiredThrough);
        break;
      case "e2ee.welcome":
        emit("mls-welcome", frame.data);
        break;
      case "e2ee.device.removed":
        emit("mls-device-removed", frame.data);
        break;
      case "resync":
        // A lost "stopped typing" would leave an indicator on until it expires.
        this.#options.typing.reset();
        this.#options.resync();
        break;
    }
  }

  isHidden(conversationId: string, seq: number): boolean {
    return this.#hidden.has(conversationId, seq);
  }

  /** The user deleted this message for themself: announced once as `hidden`. */
  markHidden(conversationId: string, seq: number): void {
    if (this.#hidden.add(conversationId, seq)) this.#options.emit("hidden", { conversationId, seq });
  }

  /**
   * Retention deleted the conversation's entries up to `expiredThrough`: they count as received (never a gap to
   * repair), held ones are dropped, and the application is told once per rise of the watermark.
   */
  expire(conversationId: string, expiredThrough: number): void {
    if (expiredThrough <= (this.#expired.get(conversationId) ?? 0)) return;
    this.#expired.set(conversationId, expiredThrough);
    this.buffer.advance(conversationId, expiredThrough);
    this.#hidden.forgetThrough(conversationId, expiredThrough);
    this.#options.emit("expired", { conversationId, expiredThrough });
  }

  /** Forgets every entry and hidden message (another user signs in, or this one signs out). */
  clear(): void {
    this.buffer.clear();
    this.#hidden.clear();
    this.#expired.clear();
  }

  /** Installs the decryption of encrypted entries (the `E2ee` helper does). */
  setDecryptor(decrypt: ((messages: readonly Message[]) => Promise<Message[]>) | undefined): void {
    this.#decrypt = decrypt;
  }

  /** Resolves once every delivery waiting for a decryption has been emitted. */
  async settled(): Promise<void> {
    while (this.#chain !== undefined) await this.#chain;
  }

  #deliver(messages: readonly Message[]): void {
    const decrypt = this.#decrypt;
    // With encryption on, every entry passes the decryptor (membership entries start MLS commits too), in order.
    if (this.#chain === undefined && decrypt === undefined) {
      this.#emitAll(messages);
      return;
    }
    const batch = [...messages];
    const chained: Promise<void> = (this.#chain ?? Promise.resolve())
      .then(async () => this.#emitAll(decrypt === undefined ? batch : await decrypt(batch)))
      .catch((error: unknown) => this.#options.emit("error", toParleyError(error)))
      .finally(() => {
        if (this.#chain === chained) this.#chain = undefined;
      });
    this.#chain = chained;
  }

  #emitAll(messages: readonly Message[]): void {
    const { emit, typing } = this.#options;
    const me = this.#options.me();
    let fromOthers = false;
    for (const m of messages) {
      // Edits, deletes and reactions are not news: they neither stop typing nor count as received from others.
      if (m.kind === "action") {
        emit("message", m);
        if (m.updated) {
          const updated = this.isHidden(m.conversationId, m.updated.seq) ? hiddenForMe(m.updated) : m.updated;
          emit("updated", updated);
        }
        continue;
      }
      if (m.hidden) this.#hidden.add(m.conversationId, m.seq);
      if (m.senderId !== me) fromOthers = true;
      typing.stop(m.conversationId, m.senderId);
      emit("message", m);
    }
    const last = messages[messages.length - 1];
    if (last && fromOthers) this.#options.reporter.delivered(last.conversationId, last.seq);
  }
}
