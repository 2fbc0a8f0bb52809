// The state of one's own message from the members' receipt watermarks: sent ✓, delivered ✓✓, read (by k of n).

import type { ReceiptState } from "@parley/client";
import type { ConversationKind } from "@parley/protocol";
import { t } from "../i18n/i18n.js";

export type TickState = "pending" | "failed" | "sent" | "delivered" | "read";

export interface ReceiptSummary {
  state: TickState;
  /** Recipients whose devices received the message. */
  delivered: number;
  /** Recipients who read it. */
  read: number;
  /** Recipients: current members other than the sender who were members when it was sent. */
  total: number;
}

export interface MemberLike {
  userId: string;
  /** Seq of the event that admitted the member; someone who joined later is not a recipient. */
  joinedSeq?: number;
  deliveredSeq?: number;
  readSeq?: number;
}

/**
 * Derives a stored message's state from watermarks (protocol §10): delivered to m when m.deliveredSeq ≥ seq, read when
 * m.readSeq ≥ seq. `receipts` may be fresher than the watermarks inside `members`; the higher value wins.
 */
export function receiptSummary(
  seq: number,
  senderId: string,
  members: readonly MemberLike[],
  receipts: readonly ReceiptState[],
): ReceiptSummary {
  const latest = new Map(receipts.map((r) => [r.userId, r]));
  let delivered = 0;
  let read = 0;
  let total = 0;
  for (const m of members) {
    if (m.userId === senderId) continue;
    if (m.joinedSeq !== undefined && m.joinedSeq > seq) continue;
    total++;
    const r = latest.get(m.userId);
    const readSeq = Math.max(r?.readSeq ?? 0, m.readSeq ?? 0);
    const deliveredSeq = Math.max(r?.deliveredSeq ?? 0, m.deliveredSeq ?? 0, readSeq);
    if (deliveredSeq >= seq) delivered++;
    if (readSeq >= seq) read++;
  }
  let state: TickState = "sent";
  if (total > 0 && read === total) state = "read";
  else if (total > 0 && delivered === total) state = "delivered";
  return { state, delivered, read, total };
}

/** Words for screen readers and tooltips; groups get counts ("Read by 1 of 2"). */
export function receiptLabel(summary: ReceiptSummary, kind: ConversationKind): string {
  const counts = { count: summary.read, total: summary.total };
  switch (summary.state) {
    case "pending":
      return t("ticks.pending");
    case "failed":
      return t("ticks.failed");
    case "sent":
      if (kind === "group" && summary.read > 0) return t("ticks.readBy", counts);
      if (kind === "group" && summary.delivered > 0)
        return t("ticks.deliveredTo", { count: summary.delivered, total: summary.total });
      return t("ticks.sent");
    case "delivered":
      if (kind === "group" && summary.read > 0) return t("ticks.readBy", counts);
      return t("ticks.delivered");
    case "read":
      return kind === "group" ? t("ticks.readBy", counts) : t("ticks.read");
  }
}
