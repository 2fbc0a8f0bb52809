// The receipt watermark rule, shared by the SQL adapters: each adapter reads a member's stored watermarks and the
// conversation's last seq inside its receipts transaction, asks `advanceReceipt`, and writes what it answers.

import type { ReceiptResult, ReceiptUpdate } from "../ports/store.js";

export interface Watermarks {
  deliveredSeq: number;
  readSeq: number;
}

/**
 * Watermarks only move forward, never past the conversation's last seq, and what is read counts as delivered.
 * `changed` says whether the adapter must write the new pair.
 */
export function advanceReceipt(stored: Watermarks, proposed: Watermarks, lastSeq: number): Watermarks & { changed: boolean } {
  const readSeq = Math.max(stored.readSeq, Math.min(proposed.readSeq, lastSeq));
  const deliveredSeq = Math.max(stored.deliveredSeq, Math.min(proposed.deliveredSeq, lastSeq), readSeq);
  return { deliveredSeq, readSeq, changed: readSeq !== stored.readSeq || deliveredSeq !== stored.deliveredSeq };
}

/** The result of an update by a user who is not (or no longer) a member: nothing moves. */
export function notMemberReceipt(update: ReceiptUpdate): ReceiptResult {
  return {
    conversationId: update.conversationId,
    state: { userId: update.userId, deliveredSeq: 0, readSeq: 0 },
    previous: { deliveredSeq: 0, readSeq: 0 },
    changed: false,
  };
}

/** Applies the rule to one update of a current member; `stored` is what the batch's earlier updates left. */
export function receiptResult(update: ReceiptUpdate, stored: Watermarks, lastSeq: number): ReceiptResult {
  const next = advanceReceipt(stored, update, lastSeq);
  return {
    conversationId: update.conversationId,
    state: { userId: update.userId, deliveredSeq: next.deliveredSeq, readSeq: next.readSeq },
    previous: { deliveredSeq: stored.deliveredSeq, readSeq: stored.readSeq },
    changed: next.changed,
  };
}
