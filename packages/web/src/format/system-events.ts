// One line of text for a system entry of a conversation (created, members added/removed/left, roles, renames,
// disappearing-message timers and retention). When the signed-in user did it the sentence has its own message (the
// verb agrees with "You"/"Du"); when it happened to them they are named with "names.youObject".

import type { SystemEvent } from "@parley/client";
import { locale, type MessageKey, t } from "../i18n/i18n.js";
import { formatDuration } from "./durations.js";

export interface Names {
  /** The signed-in user's id: they are called "You"/"you". */
  me: string | undefined;
  /** A display name for a user id (an unknown user should still get something readable). */
  nameOf: (userId: string) => string;
}

function whom(userId: string, names: Names): string {
  return userId === names.me ? t("names.youObject") : names.nameOf(userId);
}

/** "Ann, Bob and Carol" ("Ann, Bob und Carol"), by Intl.ListFormat in the app's language. */
export function joinNames(list: readonly string[], tag: string = locale()): string {
  return new Intl.ListFormat(tag, { style: "long", type: "conjunction" }).format(list);
}

type Params = Record<string, string>;

export function describeSystemEvent(event: SystemEvent, names: Names): string {
  const mine = event.actorId === names.me;
  const actor = names.nameOf(event.actorId);
  // `key` is the sentence about someone else; the signed-in user's own sentence is the same key under "systemYou.".
  const say = (key: string, params: Params = {}) =>
    (t as (key: MessageKey, params: Params) => string)(
      (mine ? key.replace(/^system\./, "systemYou.") : key) as MessageKey,
      mine ? params : { actor, ...params },
    );
  switch (event.type) {
    case "conversation.created":
      return event.title === null ? say("system.started") : say("system.createdGroup", { title: event.title });
    case "member.added":
      if (event.userIds.length === 1 && event.userIds[0] === event.actorId) return say("system.joined");
      return say("system.added", { names: joinNames(event.userIds.map((id) => whom(id, names))) });
    case "member.removed":
      return say("system.removed", { name: whom(event.userId, names) });
    case "members.removed":
      return say("system.removed", { name: joinNames(event.userIds.map((id) => whom(id, names))) });
    case "member.left":
      return say("system.left");
    case "member.role":
      return event.role === "admin"
        ? say("system.madeAdmin", { name: whom(event.userId, names) })
        : say("system.madeMember", { name: whom(event.userId, names) });
    case "conversation.renamed":
      return say("system.renamed", { title: event.title });
    case "conversation.disappearing":
      return event.seconds === null
        ? say("system.disappearingOff")
        : say("system.disappearing", { duration: formatDuration(event.seconds) });
    case "conversation.retention":
      return event.seconds === null
        ? say("system.retentionOff")
        : say("system.retention", { duration: formatDuration(event.seconds) });
    default:
      // Protocol §16.1: clients tolerate system event types added later.
      return say("system.changed");
  }
}
