// The creation rules of conversations shared by the SQL adapters: the one key of a direct pair, who a new
// conversation's members are, and the system entry that records its creation. Adapters write the rows.

import type { ChannelSettings, SystemEvent } from "@parley/protocol";
import type { ConversationRecord } from "../ports/store.js";

/** A new conversation's retention fields: nothing set, nothing expired. */
export const NO_RETENTION: Pick<ConversationRecord, "retentionSeconds" | "disappearSeconds" | "expiredSeq" | "expiredAt"> = {
  retentionSeconds: null,
  disappearSeconds: null,
  expiredSeq: 0,
  expiredAt: 0,
};

/** The one key of a direct conversation between two users, whichever of them opens it (their encrypted one: `e2ee:…`). */
export function directKey(a: string, b: string, encrypted = false): string {
  const key = a < b ? `${a}:${b}` : `${b}:${a}`;
  return encrypted ? `e2ee:${key}` : key;
}

/** A conversation row as both engines select it, `encrypted` as the engine stores it (SQLite: 0 or 1). */
export function conversationRecord<T extends { encrypted: unknown }>(row: T): T & { encrypted: boolean } {
  row.encrypted = row.encrypted === true || row.encrypted === 1;
  return row as T & { encrypted: boolean };
}

/**
 * A direct conversation's key, members and creation entry. userA === userB is allowed on purpose: a one-member
 * "note to self" conversation, with the same one-per-user rule.
 */
export function directCreation(
  userA: string,
  userB: string,
  encrypted = false,
): { key: string; userIds: string[]; event: SystemEvent } {
  const userIds = userA === userB ? [userA] : [userA, userB];
  return {
    key: directKey(userA, userB, encrypted),
    userIds,
    event: { type: "conversation.created", actorId: userA, title: null, userIds },
  };
}

/** A group's members besides its owner (without repeats, in request order) and its creation entry. */
export function groupCreation(
  ownerId: string,
  memberIds: readonly string[],
  title: string,
): { others: string[]; userIds: string[]; event: SystemEvent } {
  const others = [...new Set(memberIds)].filter((id) => id !== ownerId);
  const userIds = [ownerId, ...others];
  return { others, userIds, event: { type: "conversation.created", actorId: ownerId, title, userIds } };
}

/** A channel's creation entry (its creator is its first member, and admin) and the record of the new channel. */
export function channelCreation(input: {
  id: string;
  creatorId: string;
  title: string;
  createdAt: number;
  settings: ChannelSettings;
}): { event: SystemEvent; conversation: ConversationRecord } {
  return {
    event: { type: "conversation.created", actorId: input.creatorId, title: input.title, userIds: [input.creatorId] },
    conversation: {
      id: input.id,
      kind: "channel",
      title: input.title,
      createdAt: input.createdAt,
      lastSeq: 1,
      ...NO_RETENTION,
      channel: { ...input.settings },
      encrypted: false,
    },
  };
}
