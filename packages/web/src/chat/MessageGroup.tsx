// A run of messages by one sender: in groups, others' runs carry the sender's name, @username and avatar once.

import type { User } from "@parley/client";
import type { CSSProperties } from "react";
import { ProfileButton } from "../account/UserProfile.js";
import { SeenBy } from "../channels/SeenBy.js";
import { useT } from "../i18n/I18nProvider.js";
import { displayName } from "../state/conversations.js";
import type { ConversationState } from "../state/types.js";
import { avatarHue } from "../ui/avatar-style.js";
import { MessageBubble } from "./MessageBubble.js";
import { receiptLabel, receiptSummary } from "./ticks.js";
import type { TimelineItem } from "./timeline.js";

export interface MessageGroupProps {
  group: Extract<TimelineItem, { type: "group" }>;
  conversation: ConversationState;
  sender: User | undefined;
  /** Seq of the newest own stored message: it shows "Read by k of n" in groups. */
  newestOwnSeq: number | undefined;
}

export function MessageGroup({ group, conversation, sender, newestOwnSeq }: MessageGroupProps) {
  const t = useT();
  const showSender = !group.own && conversation.kind !== "direct";
  // Channels have no per-member ticks: the newest own message says how many have seen it.
  const channel = conversation.kind === "channel";
  const name = displayName(sender, t("names.someone"));
  return (
    <div className={group.own ? "message-group own" : "message-group theirs"}>
      {showSender ? (
        <div className="message-group-avatar">
          <ProfileButton userId={group.senderId} name={name} size="sm" />
        </div>
      ) : null}
      <div className="message-group-body">
        {showSender ? (
          <div className="sender-name" style={{ "--avatar-hue": avatarHue(group.senderId) } as CSSProperties}>
            {/* Display names are free text: isolated so a stored bidi override cannot reorder what follows, and
                followed by the unique @username so that two people with one display name cannot pass as each other. */}
            <bdi>{name}</bdi> {sender ? <span className="sender-username">@{sender.username}</span> : null}
          </div>
        ) : null}
        {group.entries.map((entry, i) => {
          const receipt =
            group.own && entry.seq !== null && !channel
              ? receiptSummary(entry.seq, entry.senderId, conversation.members, conversation.receipts)
              : undefined;
          const text = receipt ? receiptLabel(receipt, conversation.kind) : undefined;
          const seenBy = channel && group.own && entry.seq !== null && entry.seq === newestOwnSeq;
          return seenBy ? (
            <div key={entry.key}>
              <MessageBubble entry={entry} own position={positionIn(i, group.entries.length)} conversation={conversation} />
              <SeenBy conversationId={conversation.id} seq={entry.seq!} ownReadSeq={conversation.readSeq} />
            </div>
          ) : (
            <MessageBubble
              key={entry.key}
              entry={entry}
              own={group.own}
              receipt={receipt}
              receiptText={text}
              showReceiptText={conversation.kind === "group" && entry.seq !== null && entry.seq === newestOwnSeq}
              position={positionIn(i, group.entries.length)}
              conversation={conversation}
            />
          );
        })}
      </div>
    </div>
  );
}

function positionIn(index: number, count: number): "single" | "first" | "middle" | "last" {
  if (count === 1) return "single";
  if (index === 0) return "first";
  return index === count - 1 ? "last" : "middle";
}
