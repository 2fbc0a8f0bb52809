// The conversation row both SQL adapters read, and its mapping to a record: a row with channel settings is a channel.

import type { ChannelHistory, ChannelPosting, ChannelVisibility } from "@parley/protocol";
import type { ConversationRecord } from "../ports/store.js";

/**
 * The kind as read: channels are stored with kind 'group' and their settings (migration 23; SQLite cannot change the
 * kind CHECK without rebuilding the table), so a row with a visibility is a channel. `table`: the alias, with its dot.
 */
export function kindColumn(table = ""): string {
  return `CASE WHEN ${table}channel_visibility IS NULL THEN ${table}kind ELSE 'channel' END`;
}

/** The settings columns, one per setting (null for other kinds). */
export interface ChannelColumns {
  channelVisibility: ChannelVisibility | null;
  channelPosting: ChannelPosting | null;
  channelHistory: ChannelHistory | null;
}

/** `encrypted` as the engine stores it (SQLite: 0 or 1). */
export type ConversationRow = Omit<ConversationRecord, "channel" | "encrypted"> &
  ChannelColumns & { encrypted: boolean | number };

export function channelOf(row: ChannelColumns): ConversationRecord["channel"] {
  if (row.channelVisibility === null) return null;
  return { visibility: row.channelVisibility, posting: row.channelPosting ?? "everyone", history: row.channelHistory ?? "full" };
}

export function toConversationRecord(row: ConversationRow): ConversationRecord {
  const { channelVisibility: _v, channelPosting: _p, channelHistory: _h, encrypted, ...rest } = row;
  return { ...rest, encrypted: encrypted === true || encrypted === 1, channel: channelOf(row) };
}
