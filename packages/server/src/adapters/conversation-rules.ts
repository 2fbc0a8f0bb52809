// The creation rules of conversations shared by the SQL adapters: the one key of a direct pair, who a new
// conversation's members are, and the system entry that records its creation. Adapters write the rows.

import type { SystemEvent } from "@parley/protocol";
import type { ConversationRecord } from "../ports/store.js";

/** A new conversation's retention fields: nothing set, nothing expired. */
export const NO_RETENTION: Pick<ConversationRecord, "retentionSeconds" | "disappearSeconds" | "expiredSeq" | "expiredAt"> = {
  retentionSeconds: null,
  disappearSeconds: null,
  expiredSeq: 0,
  expiredAt: 0,
};

/** The one key of a direct conversation between two users, whichever of them opens it. */
export function directKey(a: string, b: string): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/**
 * A direct conversation's key, members and creation entry. userA === userB is allowed on purpose: a one-member
 * "note to self" conversation, with the same one-per-user rule.
 */
export function directCreation(userA: string, userB: string): { key: string; userIds: string[]; event: SystemEvent } {
  const userIds = userA === userB ? [userA] : [userA, userB];
  return { key: directKey(userA, userB), userIds, event: { type: "conversation.created", actorId: userA, title: null, userIds } };
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

/** A channel's creation entry: its creator is its first member (and admin). */
export function channelCreation(creatorId: string, title: string): { event: SystemEvent } {
  return { event: { type: "conversation.created", actorId: creatorId, title, userIds: [creatorId] } };
}
