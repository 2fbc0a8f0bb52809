// The small subscribers of the conversation log: member-cache invalidation and the hand-off to push notifications.

import { mentionedUserIds } from "@parley/protocol";
import type { PushStore } from "../../ports/push-store.js";
import type { ConversationStore } from "../../ports/store.js";
import type { ChannelKinds } from "../channel-kinds.js";
import type { MemberCache } from "../member-cache.js";
import type { CommittedMessage, PushNotifier } from "../push/push-notifier.js";
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

/** What the push hand-off needs to find a channel message's recipients without its member list. */
export interface ChannelRecipients {
  kinds: Pick<ChannelKinds, "isChannel">;
  store: Pick<ConversationStore, "currentMembersAmong">;
  push: Pick<PushStore, "listChannelNotifyAll">;
}

/**
 * Hands each batch, with the conversations' current members (cached by the fan-out just before), to the notifier. A
 * channel's member list is never loaded (docs/channels.md): its text messages go to the members they mention and the
 * members who chose the level `all`, and nothing else of a channel (additions, system entries) notifies.
 */
export function notifyPush(
  notifier: Pick<PushNotifier, "committed">,
  members: MemberCache,
  channels?: ChannelRecipients,
): LogSubscriber {
  return {
    where: "push.notify",
    async committed(entries) {
      const lists = new Map<string, readonly string[] | null>();
      for (const { message } of entries) {
        const id = message.conversationId;
        if (lists.has(id)) continue;
        lists.set(id, (await channels?.kinds.isChannel(id)) ? null : await members.get(id));
      }
      const batch: CommittedMessage[] = [];
      let notifyAll: Map<string, readonly string[]> | undefined;
      for (const { message } of entries) {
        const memberIds = lists.get(message.conversationId);
        if (memberIds) {
          batch.push({ message, memberIds });
          continue;
        }
        if (channels === undefined || message.kind !== "text") continue;
        notifyAll ??= new Map();
        let all = notifyAll.get(message.conversationId);
        if (all === undefined) {
          all = await channels.push.listChannelNotifyAll(message.conversationId);
          notifyAll.set(message.conversationId, all);
        }
        const mentioned = mentionedUserIds(message.body ?? "");
        const mentionedMembers =
          mentioned.length === 0
            ? []
            : (await channels.store.currentMembersAmong(message.conversationId, mentioned)).map((m) => m.userId);
        const recipients = [...new Set([...mentionedMembers, ...all])];
        if (recipients.length > 0) batch.push({ message, memberIds: recipients, channel: true });
      }
      if (batch.length > 0) notifier.committed(batch);
    },
  };
}
