// Delivered/read watermarks: coalesced per member, written in batches, announced once per conversation per batch to
// the devices that need them (direct: both members; group: see receipt-audience.ts).

import type { ConversationKind, ReceiptState } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { setNewest } from "../domain/bounded-map.js";
import type { BestEffort } from "../observability/best-effort.js";
import type { ConversationStore, ReceiptResult, ReceiptStore, ReceiptUpdate, SeqRange } from "../ports/store.js";
import { requireCurrentMember } from "./conversation-access.js";
import type { Delivery } from "./delivery.js";
import type { MemberCache } from "./member-cache.js";
import {
  AuthorIndex,
  coveredLength,
  coveredRanges,
  groupAudience,
  mergeRanges,
  type Range,
  type ReceiptChange,
} from "./receipt-audience.js";

/**
 * A change covering more seqs than this is sent to every member instead of looking up its authors: it is rare (a
 * device catching up after a long time away), one extra state per event costs every member little, and the lookup
 * then stays bounded (at most this many rows per change) whatever the history length.
 */
export const MAX_AUTHOR_LOOKUP = 1000;

/** Conversation kinds remembered (a kind never changes, so entries never go stale). */
const KIND_CACHE_SIZE = 50_000;

interface Waiter {
  resolve: (state: ReceiptState) => void;
  reject: (error: unknown) => void;
}

export class ReceiptService {
  private pending = new Map<string, { update: ReceiptUpdate; waiters: Waiter[] }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  private readonly kinds = new Map<string, ConversationKind>();

  constructor(
    private readonly store: ReceiptStore & Pick<ConversationStore, "getConversation" | "getMembership">,
    private readonly members: MemberCache,
    private readonly delivery: Delivery,
    private readonly failures: BestEffort,
    private readonly flushMs: number,
    private readonly maxAuthorLookup = MAX_AUTHOR_LOOKUP,
  ) {}

  /** Proposes new watermarks for the caller; resolves with the stored state once the batch is written. */
  async mark(userId: string, input: { conversationId: string; delivered?: number; read?: number }): Promise<ReceiptState> {
    if (input.delivered === undefined && input.read === undefined) {
      throw new AppError("validation_failed", "Give `delivered`, `read` or both", { field: "delivered" });
    }
    const read = input.read ?? 0;
    let delivered = Math.max(input.delivered ?? 0, read);
    if ((await this.kindOf(input.conversationId)) === "channel") {
      // Channels keep read positions only (docs/channels.md): `delivered` is ignored, and the member's own row is the
      // access check (a channel's member list is never loaded). Nothing to store: answer the current state.
      const membership = requireCurrentMember(await this.store.getMembership(input.conversationId, userId));
      if (input.read === undefined) return { userId, deliveredSeq: membership.deliveredSeq, readSeq: membership.readSeq };
      delivered = read;
    } else {
      await this.members.requireMember(input.conversationId, userId);
    }
    const key = `${input.conversationId}\u0000${userId}`;
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(key);
      if (entry) {
        entry.update.deliveredSeq = Math.max(entry.update.deliveredSeq, delivered);
        entry.update.readSeq = Math.max(entry.update.readSeq, read);
        entry.waiters.push({ resolve, reject });
      } else {
        this.pending.set(key, {
          update: { conversationId: input.conversationId, userId, deliveredSeq: delivered, readSeq: read, at: Date.now() },
          waiters: [{ resolve, reject }],
        });
      }
      this.timer ??= setTimeout(() => this.flush(), this.flushMs);
    });
  }

  /** Writes whatever is pending now (used by graceful shutdown). */
  async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.flush();
    }
    await this.flushing;
  }

  private flush(): void {
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.flushing.then(() => this.write(batch));
  }

  private async write(batch: { update: ReceiptUpdate; waiters: Waiter[] }[]): Promise<void> {
    const now = Date.now();
    let results: ReceiptResult[];
    try {
      results = await this.store.updateReceipts(batch.map((b) => ({ ...b.update, at: now })));
    } catch (error) {
      for (const b of batch) for (const w of b.waiters) w.reject(error);
      return;
    }
    const changed = new Map<string, ReceiptChange[]>();
    results.forEach((r, i) => {
      for (const w of batch[i]!.waiters) w.resolve(r.state);
      if (!r.changed) return;
      const list = changed.get(r.conversationId);
      const change = { state: r.state, previous: r.previous };
      if (list) list.push(change);
      else changed.set(r.conversationId, [change]);
    });
    if (changed.size > 0) await this.announce(changed);
  }

  /** Sends each conversation's changes: one `receipts` event per recipient and conversation. */
  private async announce(changed: Map<string, ReceiptChange[]>): Promise<void> {
    const groups: { conversationId: string; changes: ReceiptChange[]; toEveryone: Set<number> }[] = [];
    const ranges: SeqRange[] = [];
    for (const [conversationId, changes] of changed) {
      const kind = await this.failures.attempt("receipts.audience", this.kindOf(conversationId));
      // Channels announce no receipts: read positions are private, counted on request (channels.readCount).
      if (kind === "channel") continue;
      if (kind !== "group") {
        // Direct conversations (and, should the kind be unknown, any conversation): every member gets every change.
        await this.send(
          conversationId,
          () => this.members.get(conversationId),
          changes.map((c) => c.state),
        );
        continue;
      }
      const toEveryone = new Set<number>();
      const lookup: Range[] = [];
      changes.forEach((change, i) => {
        const covered = coveredRanges(change);
        if (coveredLength(covered) > this.maxAuthorLookup) toEveryone.add(i);
        else lookup.push(...covered);
      });
      for (const [afterSeq, maxSeq] of mergeRanges(lookup)) ranges.push({ conversationId, afterSeq, maxSeq });
      groups.push({ conversationId, changes, toEveryone });
    }
    if (groups.length === 0) return;

    // One store call for every group of the flush: in a cluster the messages may have been sent through any node, so
    // only the store knows every author (a node-local index of recent sends would miss the other nodes' messages).
    let authors: Map<string, AuthorIndex> | undefined;
    try {
      authors = new Map();
      for (const row of ranges.length > 0 ? await this.store.getEntryAuthors(ranges) : []) {
        let index = authors.get(row.conversationId);
        if (index === undefined) {
          index = new AuthorIndex();
          authors.set(row.conversationId, index);
        }
        index.add(row.seq, row.senderId);
      }
    } catch (error) {
      this.failures.failed("receipts.audience", error);
      authors = undefined; // Every member then gets every change, as they would have before this lookup existed.
    }
    for (const { conversationId, changes, toEveryone } of groups) {
      let members: readonly string[];
      try {
        members = await this.members.get(conversationId);
      } catch (error) {
        this.failures.failed("receipts.fanout", error);
        continue; // Watermarks are stored; clients also receive them in sync.
      }
      const index = authors === undefined ? undefined : (authors.get(conversationId) ?? new AuthorIndex());
      for (const dispatch of groupAudience(changes, members, index, toEveryone)) {
        await this.send(conversationId, () => dispatch.userIds, dispatch.receipts);
      }
    }
  }

  /** Publishes one `receipts` event; a failure only costs the live update (watermarks are stored, `sync` has them). */
  private async send(
    conversationId: string,
    recipients: () => readonly string[] | Promise<readonly string[]>,
    receipts: ReceiptState[],
  ): Promise<void> {
    // Watermarks are stored; clients also receive them in sync.
    await this.failures.attempt(
      "receipts.fanout",
      (async () => this.delivery.toUsers(await recipients(), "receipts", { conversationId, receipts }))(),
    );
  }

  /** A conversation's kind, from a node-local cache: it never changes, so the cache is never invalidated. */
  private async kindOf(conversationId: string): Promise<ConversationKind | undefined> {
    const known = this.kinds.get(conversationId);
    if (known !== undefined) return known;
    const conversation = await this.store.getConversation(conversationId);
    if (conversation === undefined) return undefined;
    setNewest(this.kinds, conversationId, conversation.kind, KIND_CACHE_SIZE);
    return conversation.kind;
  }
}
