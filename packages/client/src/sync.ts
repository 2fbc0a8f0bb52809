// Catch-up after (re)connecting: cursor bookkeeping, sync pages fed through the reorder buffer, receipts since last time.

import type { ConversationSummary, OpArgs, OpResult, SyncConversation } from "@parley/protocol";
import type { ReorderBuffer } from "./reorder-buffer.js";

export type SyncCall = <K extends "sync" | "conversations.list">(op: K, args: OpArgs<K>) => Promise<OpResult<K>>;

export interface SyncEngineOptions {
  call: SyncCall;
  buffer: ReorderBuffer;
  /** Sees every conversation the sync touched (membership and members' watermarks). */
  onConversation?: (conversation: SyncConversation) => void;
  /** Sees the list fetched when there was no local state. */
  onList?: (conversations: readonly ConversationSummary[]) => void;
  /** Messages per sync page (the server caps it at `syncPageMax`). */
  pageLimit?: number;
  /** Safety stop for a server that keeps saying `hasMore` without making progress. */
  maxPages?: number;
}

export class SyncEngine {
  readonly #options: SyncEngineOptions;
  #receiptsSince: number | undefined;
  #running: Promise<void> | undefined;
  #again = false;

  constructor(options: SyncEngineOptions) {
    this.#options = options;
  }

  /** The `serverTime` of the last completed sync page. */
  get receiptsSince(): number | undefined {
    return this.#receiptsSince;
  }

  get running(): boolean {
    return this.#running !== undefined;
  }

  /**
   * Brings every conversation up to date. Concurrent calls share the run in progress, plus one more run after it so
   * that whatever prompted the second call is covered.
   */
  run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#runOnce();
        } while (this.#again);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  /** Resolves when no sync is running (whatever its outcome). */
  async idle(): Promise<void> {
    while (this.#running) await this.#running.catch(() => {});
  }

  /** Forgets the receipts position (logout). */
  reset(): void {
    this.#receiptsSince = undefined;
  }

  async #runOnce(): Promise<void> {
    const { call, buffer } = this.#options;
    if (buffer.size === 0) {
      // No local state: what exists now is history (fetched on demand); live delivery starts after it.
      const { conversations } = await call("conversations.list", {});
      for (const c of conversations) buffer.advance(c.id, c.lastSeq);
      this.#options.onList?.(conversations);
    }
    const maxPages = this.#options.maxPages ?? 1000;
    for (let page = 0; page < maxPages; page++) {
      const cursors = buffer.cursors();
      const args: OpArgs<"sync"> = { cursors };
      if (this.#receiptsSince !== undefined) args.receiptsSince = this.#receiptsSince;
      if (this.#options.pageLimit !== undefined) args.limit = this.#options.pageLimit;
      const result = await call("sync", args);
      let progressed = false;
      for (const conversation of result.conversations) {
        const sent = cursors[conversation.conversationId] ?? 0;
        const first = conversation.messages[0];
        // Entries the server skipped between our cursor and its first answer (or its lastSeq) are not visible to us
        // (before our joinedSeq): mark them done instead of waiting for them.
        if (first && first.seq > sent + 1) buffer.advance(conversation.conversationId, first.seq - 1);
        else if (!first && !result.hasMore && conversation.lastSeq > sent)
          buffer.advance(conversation.conversationId, conversation.lastSeq);
        if (conversation.messages.length > 0) progressed = true;
        buffer.pushMany(conversation.messages);
        this.#options.onConversation?.(conversation);
      }
      this.#receiptsSince = result.serverTime;
      if (!result.hasMore || !progressed) return;
    }
  }
}
