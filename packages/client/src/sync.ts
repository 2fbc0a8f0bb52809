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
  /**
   * Conversations per sync page: the server's `limits.conversationPageMax` once welcomed. Undefined (a server from
   * before pages): every cursor in one request.
   */
  conversationPageSize?: () => number | undefined;
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
    // A failed sync was reported to whoever started it; here only its end matters.
    while (this.#running) await Promise.allSettled([this.#running]);
  }

  /** Forgets the receipts position (logout). */
  reset(): void {
    this.#receiptsSince = undefined;
  }

  async #runOnce(): Promise<void> {
    const { call, buffer } = this.#options;
    if (buffer.size === 0) {
      // No local state: what exists now is history (fetched on demand); live delivery starts after it.
      const conversations = await listAllConversations(call, this.#options.maxPages ?? 1000);
      for (const c of conversations) buffer.advance(c.id, c.lastSeq);
      this.#options.onList?.(conversations);
    }
    // One pass walks the conversations page by page (by id, as the server orders them), sending only the cursors of
    // the page: neither the request nor the answer grows with the number of conversations. Every page of the pass
    // asks for receipts since the same time, and the next pass starts from the first page's serverTime, so that no
    // receipt change made during the pass is missed.
    const receiptsSince = this.#receiptsSince;
    let passStart: number | undefined;
    let after: string | undefined;
    const maxPages = this.#options.maxPages ?? 1000;
    for (let page = 0; page < maxPages; page++) {
      const all = buffer.cursors();
      const ids = Object.keys(all)
        .filter((id) => after === undefined || id > after)
        .sort(compareIds);
      // A server that announces no page size (from before pages) takes every cursor at once and knows no `after`.
      const size = this.#options.conversationPageSize?.();
      const chunk = size === undefined ? ids : ids.slice(0, Math.max(1, size));
      const cursors: Record<string, number> = {};
      for (const id of chunk) cursors[id] = all[id]!;
      const args: OpArgs<"sync"> = { cursors };
      if (after !== undefined) args.after = after;
      // The cursors stop short of what we know: the server's page must stop there too, or it would take a conversation
      // missing from `cursors` for a new one.
      if (ids.length > chunk.length) args.through = chunk[chunk.length - 1]!;
      if (receiptsSince !== undefined) args.receiptsSince = receiptsSince;
      if (this.#options.pageLimit !== undefined) args.limit = this.#options.pageLimit;
      const result = await call("sync", args);
      passStart ??= result.serverTime;
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
        // A channel's newest page only (protocol §6.17): what lies before it is history to page, not a gap to repair.
        if (conversation.skippedThrough !== undefined) buffer.advance(conversation.conversationId, conversation.skippedThrough);
        buffer.pushMany(conversation.messages);
        this.#options.onConversation?.(conversation);
      }
      if (result.hasMore) {
        // The same page again with the advanced cursors; a server that makes no progress is not asked forever.
        if (!progressed) break;
        continue;
      }
      // `next` is absent from servers that do not page: the one answer covered everything.
      if (result.next === null || result.next === undefined) break;
      after = result.next;
    }
    if (passStart !== undefined) this.#receiptsSince = passStart;
  }
}

/** Conversation ids in the server's page order: by UTF-16 code unit, which for ids (`A-Za-z0-9_-`) is byte order. */
function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Every page of `conversations.list`, merged and ordered by latest activity first (as each page is). */
export async function listAllConversations(call: SyncCall, maxPages = 1000): Promise<ConversationSummary[]> {
  const all: ConversationSummary[] = [];
  let after: string | undefined;
  for (let page = 0; page < maxPages; page++) {
    const result = await call("conversations.list", after === undefined ? {} : { after });
    all.push(...result.conversations);
    if (result.next === null || result.next === undefined) break;
    after = result.next;
  }
  const activity = (c: ConversationSummary) => c.lastMessage?.createdAt ?? c.createdAt;
  return all.sort((a, b) => activity(b) - activity(a));
}
