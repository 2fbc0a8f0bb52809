// The integrity rules of replies and actions, shared by the SQL adapters: each adapter reads the target row, the
// actor's membership and the target's reaction emojis inside its append transaction and asks these functions.

import type { Role } from "@parley/protocol";
import type { ActionDraft, ActionRefusal } from "../ports/store.js";

/** The columns of a target message the rules need. */
export interface TargetRow {
  seq: number;
  senderId: string;
  /** False for system and action entries. */
  isText: boolean;
  deletedAt: number | null;
  createdAt: number;
}

export interface ActorRow {
  role: Role;
  joinedSeq: number;
}

const REFUSAL_MESSAGES: Record<ActionRefusal, string> = {
  message_not_found: "No such message in this conversation",
  invalid_target: "Only text messages can be edited, deleted, reacted to, pinned, forwarded or replied to",
  message_deleted: "The message was deleted",
  not_author: "Only the author may do this (group admins and owners may delete)",
  window_expired: "The time window for this has passed",
  too_many_reactions: "The message has the maximum number of distinct reactions",
  too_many_pins: "The conversation has the maximum number of pinned messages",
};

export function refusalMessage(code: ActionRefusal): string {
  return REFUSAL_MESSAGES[code];
}

/** A server administrator's removal: the one draft whose sender need not be a member of the conversation. */
export function isAdminRemoval(action: ActionDraft | undefined): boolean {
  return action?.type === "delete" && action.by === "admin";
}

/** The actor of an administrator's removal, who may not be a member: sees every message of the conversation. */
export const ADMIN_ACTOR: ActorRow = { role: "member", joinedSeq: 0 };

/** The target must exist, be visible to the actor (at or after their join), be a text message and not deleted. */
export function refuseTarget(target: TargetRow | undefined, actor: ActorRow): ActionRefusal | null {
  if (target === undefined || target.seq < actor.joinedSeq) return "message_not_found";
  if (!target.isText) return "invalid_target";
  if (target.deletedAt !== null) return "message_deleted";
  return null;
}

/** The pins of the target's conversation, read in the append transaction (pin actions only). */
export interface PinState {
  /** How many messages of the conversation are pinned. */
  count: number;
  /** Whether the target is one of them. */
  pinned: boolean;
}

export const NO_PINS: PinState = { count: 0, pinned: false };

/**
 * Checks an action against its target; `emojis` are the distinct emojis already on the target (reactions only),
 * `pins` the conversation's pins (pins only). Any member may pin or unpin (direct chats and groups alike).
 */
export function refuseAction(
  action: ActionDraft,
  senderId: string,
  target: TargetRow | undefined,
  actor: ActorRow,
  emojis: readonly string[],
  pins: PinState = NO_PINS,
): ActionRefusal | null {
  const refusal = refuseTarget(target, actor);
  if (refusal !== null || target === undefined) return refusal;
  const expired = (notBefore: number | null) => notBefore !== null && target.createdAt < notBefore;
  switch (action.type) {
    case "edit":
      if (target.senderId !== senderId) return "not_author";
      return expired(action.notBefore) ? "window_expired" : null;
    case "delete": {
      // Moderation: server administrators and a group's admins and owners may delete any message, at any time.
      if (action.by === "admin" || actor.role === "admin" || actor.role === "owner") return null;
      if (target.senderId !== senderId) return "not_author";
      return expired(action.notBefore) ? "window_expired" : null;
    }
    case "reaction":
      if (!action.remove && !emojis.includes(action.emoji) && emojis.length >= action.maxKinds) return "too_many_reactions";
      return null;
    case "pin":
      return !pins.pinned && pins.count >= action.maxPins ? "too_many_pins" : null;
    case "unpin":
      return null;
  }
}
