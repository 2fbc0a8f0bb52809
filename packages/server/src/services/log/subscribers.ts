// The small subscribers of the conversation log: member-cache invalidation and the hand-off to push notifications.

import type { MemberCache } from "../member-cache.js";
import type { PushNotifier } from "../push/push-notifier.js";
import type { LogSubscriber } from "./committed-entry.js";

/** Forgets the member lists of conversations with a new system entry (creation or membership change). */
export function forgetChangedMembers(members: MemberCache): LogSubscriber {
  return {
    where: "members.invalidate",
    committed(entries) {
      for (const { message } of entries) if (message.kind === "system") members.invalidate(message.conversationId);
    },
  };
}

/** Hands each batch, with the conversations' current members (cached by the fan-out just before), to the notifier. */
export function notifyPush(notifier: Pick<PushNotifier, "committed">, members: MemberCache): LogSubscriber {
  return {
    where: "push.notify",
    async committed(entries) {
      const lists = new Map<string, readonly string[]>();
      for (const { message } of entries) {
        const id = message.conversationId;
        if (!lists.has(id)) lists.set(id, await members.get(id));
      }
      notifier.committed(entries.map(({ message }) => ({ message, memberIds: lists.get(message.conversationId)! })));
    },
  };
}
