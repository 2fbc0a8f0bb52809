// Incoming receipts: every member's delivered/read watermarks per conversation, and the per-message state they imply.
// In a group, live `receipts` events carry only the states that concern this user (protocol §10.5): the statuses of
// their own messages and their own watermarks stay current; other members' watermarks are as of the last member list
// (sync, conversations(), conversation()).

import type { Member, ReceiptState } from "@parley/protocol";

export interface MessageReceiptStatus {
  /** Members other than the sender whose devices received the message. */
  delivered: number;
  /** Members other than the sender who read it. */
  read: number;
  /** Members other than the sender. */
  total: number;
}

export class ReceiptBook {
  readonly #conversations = new Map<string, Map<string, ReceiptState>>();

  /**
   * Replaces the member list (a full, current list from sync or conversations.list) and merges the watermarks.
   * Returns the receipts that moved.
   */
  setMembers(conversationId: string, members: readonly (Member | ReceiptState)[]): ReceiptState[] {
    const previous = this.#conversations.get(conversationId) ?? new Map<string, ReceiptState>();
    const next = new Map<string, ReceiptState>();
    const changed: ReceiptState[] = [];
    for (const m of members) {
      const old = previous.get(m.userId);
      const state = {
        userId: m.userId,
        deliveredSeq: Math.max(m.deliveredSeq, old?.deliveredSeq ?? 0),
        readSeq: Math.max(m.readSeq, old?.readSeq ?? 0),
      };
      next.set(m.userId, state);
      if (!old || old.deliveredSeq !== state.deliveredSeq || old.readSeq !== state.readSeq) changed.push(state);
    }
    this.#conversations.set(conversationId, next);
    return changed;
  }

  /** Merges watermark updates (they only move forward); returns the receipts that moved. */
  apply(conversationId: string, receipts: readonly ReceiptState[]): ReceiptState[] {
    let book = this.#conversations.get(conversationId);
    if (!book) {
      book = new Map();
      this.#conversations.set(conversationId, book);
    }
    const changed: ReceiptState[] = [];
    for (const r of receipts) {
      const old = book.get(r.userId);
      const state = {
        userId: r.userId,
        deliveredSeq: Math.max(r.deliveredSeq, r.readSeq, old?.deliveredSeq ?? 0),
        readSeq: Math.max(r.readSeq, old?.readSeq ?? 0),
      };
      if (old && old.deliveredSeq === state.deliveredSeq && old.readSeq === state.readSeq) continue;
      book.set(r.userId, state);
      changed.push(state);
    }
    return changed;
  }

  /** Current watermarks of the conversation's members. */
  get(conversationId: string): ReceiptState[] {
    return [...(this.#conversations.get(conversationId)?.values() ?? [])].map((r) => ({ ...r }));
  }

  /** How far the message `seq` sent by `senderId` has got among the other members. */
  status(conversationId: string, seq: number, senderId: string): MessageReceiptStatus {
    let delivered = 0;
    let read = 0;
    let total = 0;
    for (const r of this.#conversations.get(conversationId)?.values() ?? []) {
      if (r.userId === senderId) continue;
      total++;
      if (r.deliveredSeq >= seq) delivered++;
      if (r.readSeq >= seq) read++;
    }
    return { delivered, read, total };
  }

  clear(): void {
    this.#conversations.clear();
  }
}
