// One line of text for a system entry of a conversation (created, members added/removed/left, roles, renames,
// disappearing-message timers and retention).

import type { SystemEvent } from "@parley/client";
import { formatDuration } from "./durations.js";

export interface Names {
  /** The signed-in user's id: they are called "You"/"you". */
  me: string | undefined;
  /** A display name for a user id (an unknown user should still get something readable). */
  nameOf: (userId: string) => string;
}

function who(userId: string, names: Names, capital: boolean): string {
  if (userId === names.me) return capital ? "You" : "you";
  return names.nameOf(userId);
}

/** "Ann, Bob and Carol" */
export function joinNames(list: readonly string[]): string {
  if (list.length <= 1) return list[0] ?? "";
  return `${list.slice(0, -1).join(", ")} and ${list[list.length - 1]}`;
}

export function describeSystemEvent(event: SystemEvent, names: Names): string {
  const actor = who(event.actorId, names, true);
  switch (event.type) {
    case "conversation.created":
      return event.title === null ? `${actor} started the conversation` : `${actor} created the group “${event.title}”`;
    case "member.added":
      if (event.userIds.length === 1 && event.userIds[0] === event.actorId) return `${actor} joined`;
      return `${actor} added ${joinNames(event.userIds.map((id) => who(id, names, false)))}`;
    case "member.removed":
      return `${actor} removed ${who(event.userId, names, false)}`;
    case "members.removed":
      return `${actor} removed ${joinNames(event.userIds.map((id) => who(id, names, false)))}`;
    case "member.left":
      return `${actor} left`;
    case "member.role":
      return event.role === "admin"
        ? `${actor} made ${who(event.userId, names, false)} an admin`
        : `${actor} made ${who(event.userId, names, false)} a member`;
    case "conversation.renamed":
      return `${actor} renamed the group to “${event.title}”`;
    case "conversation.disappearing":
      return event.seconds === null
        ? `${actor} turned off disappearing messages`
        : `${actor} set messages to disappear after ${formatDuration(event.seconds)}`;
    case "conversation.retention":
      return event.seconds === null
        ? `${actor} removed this chat's retention period`
        : `${actor} set messages to be deleted after ${formatDuration(event.seconds)}`;
    default:
      // Protocol §16.1: clients tolerate system event types added later.
      return `${actor} changed the conversation`;
  }
}
