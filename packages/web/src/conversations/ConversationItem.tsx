// One row of the conversation list: avatar with online dot, name, time, last message (or who is typing, or the unsent
// draft of a chat that is not open), unread count.

import { type ReactNode, useMemo } from "react";
import { Ticks } from "../chat/Ticks.js";
import { receiptLabel, receiptSummary } from "../chat/ticks.js";
import { LockMarker } from "../e2ee/EncryptedOption.js";
import { attachmentSummary } from "../format/files.js";
import { describeSystemEvent } from "../format/system-events.js";
import { formatListTime } from "../format/time.js";
import { typingText } from "../format/typing.js";
import { useT } from "../i18n/I18nProvider.js";
import { MentionBadge } from "../mentions/MentionBadge.js";
import { bodyAsText } from "../mentions/mention-text.js";
import { activityAt, conversationTitle, displayName, otherMemberId, previewAuthor } from "../state/conversations.js";
import { usePresence } from "../state/presence-view.js";
import { useChat, useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { Avatar } from "../ui/Avatar.js";
import { Icon } from "../ui/Icon.js";

export interface ConversationItemProps {
  conversation: ConversationState;
  active: boolean;
  now: number;
  /** 0 for the one row of the list in the Tab order, -1 for the others (arrow keys move between rows). */
  tabIndex: number;
}

export function ConversationItem({ conversation: c, active, now, tabIndex }: ConversationItemProps) {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const users = useChat((s) => s.users);
  const { presence } = usePresence();
  const typingIds = useChat((s) => s.typing[c.id]);
  const allPending = useChat((s) => s.pending);
  const draft = useChat((s) => (active ? undefined : s.drafts[c.id]));
  const title = conversationTitle(c, me, users);
  const other = otherMemberId(c, me);
  const lastPending = useMemo(() => allPending.filter((p) => p.conversationId === c.id).at(-1), [allPending, c.id]);
  const last = c.lastMessage;
  const nameOf = (id: string) => displayName(users[id], t("names.someoneLower"));

  let preview: ReactNode;
  const typers = (typingIds ?? []).filter((id) => id !== me);
  if (typers.length > 0) {
    preview = (
      <span className="preview-typing">
        {typingText(
          typers.map((id) => displayName(users[id], t("names.someone"))),
          c.kind,
        )}
      </span>
    );
  } else if (draft) {
    preview = (
      <>
        <span className="preview-draft">{t("preview.draft")}</span>{" "}
        <span className="preview-text">{bodyAsText(draft, nameOf)}</span>
      </>
    );
  } else if (lastPending && (!last || lastPending.createdAt >= last.createdAt)) {
    const state = lastPending.error === undefined ? "pending" : "failed";
    preview = (
      <>
        <Ticks state={state} label={state === "pending" ? t("ticks.pending") : t("ticks.failed")} />
        <span className="preview-text">
          {lastPending.body ? bodyAsText(lastPending.body, nameOf) : attachmentSummary(lastPending.attachments ?? [])}
        </span>
      </>
    );
  } else if (last?.mls !== undefined && !last.body && last.deletedAt === undefined) {
    // An encrypted entry not decrypted here (the server's list shows it opaque): no text to preview.
    preview = <span className="preview-text preview-system">{t("e2ee.encryptedMessage")}</span>;
  } else if (last?.kind === "text" && last.body !== null) {
    const author = previewAuthor(last, c, me, users);
    const own = last.senderId === me;
    // Channels have no per-member receipts (docs/channels.md): no ticks in their preview.
    const summary = own && c.kind !== "channel" ? receiptSummary(last.seq, last.senderId, c.members, c.receipts) : undefined;
    preview = (
      <>
        {summary ? <Ticks state={summary.state} label={receiptLabel(summary, c.kind)} /> : null}
        <span className="preview-text">
          {author && !own ? <span className="preview-author">{author}: </span> : null}
          {last.body ? bodyAsText(last.body, nameOf) : attachmentSummary(last.attachments ?? [])}
        </span>
      </>
    );
  } else if (last?.kind === "text") {
    preview = <span className="preview-text preview-system">{last.hidden ? t("preview.youDeleted") : t("preview.deleted")}</span>;
  } else if (last?.event) {
    preview = (
      <span className="preview-text preview-system">
        {describeSystemEvent(last.event, { me, nameOf: (id) => displayName(users[id], t("names.someone")) })}
      </span>
    );
  } else {
    preview = <span className="preview-text muted">{t("preview.noMessages")}</span>;
  }

  const online = other ? presence[other]?.online : undefined;
  return (
    <li>
      <button
        type="button"
        className="conversation-item"
        aria-current={active ? "true" : undefined}
        data-unread={c.unread > 0}
        data-conversation-id={c.id}
        tabIndex={tabIndex}
        onClick={() => store.open(c.id)}
      >
        <Avatar id={other ?? c.id} userId={other} name={title} online={online} group={c.kind !== "direct"} />
        <span className="conversation-text">
          <span className="conversation-row">
            <span className="conversation-title">
              {c.kind === "channel" ? (
                <span className="channel-mark" title={t("channel.badge")}>
                  <Icon name="channel" className="channel-mark-icon" />
                  <span className="visually-hidden">{t("channel.badge")}: </span>
                </span>
              ) : null}
              {c.encrypted ? <LockMarker /> : null}
              {title}
            </span>
            <span className="conversation-time">{formatListTime(activityAt(c, allPending), now)}</span>
          </span>
          <span className="conversation-row">
            <span className="conversation-preview">{preview}</span>
            {c.mentions > 0 ? <MentionBadge count={c.mentions} /> : null}
            {c.unread > 0 ? (
              <span className="unread-badge">
                {c.unread > 99 ? "99+" : c.unread}
                <span className="visually-hidden"> {t("preview.unread", { count: c.unread })}</span>
              </span>
            ) : null}
          </span>
        </span>
      </button>
    </li>
  );
}
