// The joined membership + conversation row both SQL adapters read for `listMemberships`, and its split into records.

import type { ConversationKind } from "@parley/protocol";
import type { ConversationRecord, MemberRecord, UserRecord } from "../ports/store.js";
import { type ChannelColumns, channelOf } from "./conversation-row.js";

/** Columns aliased to the records' camelCase names; the conversation's own created_at as `conversationCreatedAt`. */
export interface MembershipRow extends MemberRecord, ChannelColumns {
  kind: ConversationKind;
  title: string | null;
  conversationCreatedAt: number;
  lastSeq: number;
  retentionSeconds: number | null;
  disappearSeconds: number | null;
  expiredSeq: number;
  expiredAt: number;
  /** SQLite: 0 or 1. */
  encrypted: boolean | number;
}

export function splitMembershipRow(row: MembershipRow): { membership: MemberRecord; conversation: ConversationRecord } {
  return {
    membership: {
      conversationId: row.conversationId,
      userId: row.userId,
      role: row.role,
      joinedSeq: row.joinedSeq,
      leftSeq: row.leftSeq,
      deliveredSeq: row.deliveredSeq,
      readSeq: row.readSeq,
      receiptAt: row.receiptAt,
    },
    conversation: {
      id: row.conversationId,
      kind: row.kind,
      title: row.title,
      createdAt: row.conversationCreatedAt,
      lastSeq: row.lastSeq,
      retentionSeconds: row.retentionSeconds,
      disappearSeconds: row.disappearSeconds,
      expiredSeq: row.expiredSeq,
      expiredAt: row.expiredAt,
      channel: channelOf(row),
      encrypted: row.encrypted === true || row.encrypted === 1,
    },
  };
}

/** A joined member + account row (their column names do not overlap) as the two records. */
export function splitMemberAndUser(row: MemberRecord & UserRecord): { member: MemberRecord; user: UserRecord } {
  const { conversationId, userId, role, joinedSeq, leftSeq, deliveredSeq, readSeq, receiptAt, ...user } = row;
  return { member: { conversationId, userId, role, joinedSeq, leftSeq, deliveredSeq, readSeq, receiptAt }, user };
}
