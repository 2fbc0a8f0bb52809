// One message: its text (formatted, links clickable, a preview card for the first link), time and, for one's own, its state; a refused one offers retry.

import { mentionsUser, quoteOf } from "@parley/client";
import { useMemo, useSyncExternalStore } from "react";
import { formatClock, formatFullTimestamp } from "../format/time.js";
import { useT } from "../i18n/I18nProvider.js";
import { useChat, useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { Attachments } from "./Attachments.js";
import { FormattedText } from "./FormattedText.js";
import { LinkPreviewCard } from "./LinkPreviewCard.js";
import { firstLink, linkPreviewsShown, onLinkPreviewsChange } from "./link-preview.js";
import { MessageActions } from "./MessageActions.js";
import { QuoteBlock, ReactionChips } from "./MessageExtras.js";
import { Ticks } from "./Ticks.js";
import type { ReceiptSummary } from "./ticks.js";
import type { TimelineEntry } from "./timeline.js";

export interface MessageBubbleProps {
  entry: TimelineEntry;
  own: boolean;
  /** For own stored messages. */
  receipt?: ReceiptSummary | undefined;
  receiptText?: string | undefined;
  /** A visible "Read by k of n" under the bubble (the newest own message of a group). */
  showReceiptText?: boolean;
  /** Place in the run of one sender's messages (shapes the corners). */
  position: "single" | "first" | "middle" | "last";
  conversation: ConversationState;
}

export function MessageBubble({
  entry,
  own,
  receipt,
  receiptText,
  showReceiptText = false,
  position,
  conversation,
}: MessageBubbleProps) {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const state = entry.status === "stored" ? receipt?.state : entry.status;
  const label =
    entry.status === "pending" ? t("ticks.pending") : entry.status === "failed" ? t("ticks.failed") : (receiptText ?? "");
  const message = entry.message;
  // Withheld from a former member (changed after they left): shown as a tombstone with its own text.
  const withheld = message?.withheld === true;
  // An encrypted entry this device cannot read: one sent before it joined the group, or one that failed to decrypt.
  const unreadable = message?.mls !== undefined && !message.body && message.deletedAt === undefined && !withheld;
  const beforeJoined =
    unreadable && !conversation.messages.some((m) => m.mls !== undefined && m.body && m.seq < (entry.seq ?? 0));
  const deleted = message?.deletedAt !== undefined || withheld || unreadable;
  const hidden = message?.hidden === true;
  const pendingQuoted = entry.replyTo === undefined ? undefined : conversation.messages.find((m) => m.seq === entry.replyTo);
  const previews = useSyncExternalStore(onLinkPreviewsChange, linkPreviewsShown);
  const link = useMemo(() => (previews ? firstLink(entry.body) : undefined), [entry.body, previews]);
  const quote = message?.replyTo ?? (pendingQuoted ? quoteOf(pendingQuoted) : undefined);
  return (
    <div
      className="message"
      data-status={entry.status}
      data-position={position}
      data-seq={entry.seq ?? undefined}
      data-deleted={deleted || hidden ? "" : undefined}
      data-mentions-me={!own && me !== undefined && mentionsUser(entry.body, me) ? "" : undefined}
    >
      <div className="bubble" data-attachments={(!deleted && !hidden && entry.attachments.length) || undefined}>
        {message?.forwarded && !deleted && !hidden ? <span className="forwarded-label">{t("message.forwarded")}</span> : null}
        {quote && !deleted && !hidden ? <QuoteBlock quote={quote} /> : null}
        {deleted || hidden ? null : <Attachments attachments={entry.attachments} encrypted={conversation.encrypted === true} />}
        {deleted || hidden ? (
          <span className="bubble-text bubble-tombstone">
            {hidden
              ? t("message.youDeleted")
              : unreadable
                ? beforeJoined
                  ? t("e2ee.beforeJoined")
                  : t("e2ee.undecryptable")
                : withheld
                  ? t("message.withheld")
                  : conversation.removedByAdmin?.includes(entry.seq ?? -1)
                    ? t("message.removedByAdmin")
                    : t("message.deleted")}
          </span>
        ) : (
          <FormattedText className="bubble-text" text={entry.body} />
        )}
        {link && message && !deleted && !hidden ? <LinkPreviewCard key={link} url={link} /> : null}
        <span className="bubble-meta">
          {message?.editedAt !== undefined && !deleted && !hidden ? (
            <span className="edited-marker" title={t("message.editedAt", { time: formatFullTimestamp(message.editedAt) })}>
              {t("message.edited")}
            </span>
          ) : null}
          <time dateTime={new Date(entry.createdAt).toISOString()} title={formatFullTimestamp(entry.createdAt)}>
            {formatClock(entry.createdAt)}
          </time>
          {own && state ? <Ticks state={state} label={label} /> : null}
        </span>
      </div>
      {message && !deleted && !hidden ? <ReactionChips message={message} /> : null}
      {message ? <MessageActions message={message} conversation={conversation} me={me} /> : null}
      {entry.status === "failed" ? (
        <div className="message-failed" role="alert">
          <span>{entry.error ? t("message.notSentBecause", { error: entry.error }) : t("ticks.failed")}</span>
          <button type="button" className="link-button" onClick={() => entry.clientId && store.retry(entry.clientId)}>
            {t("message.retry")}
          </button>
          <button type="button" className="link-button" onClick={() => entry.clientId && store.discard(entry.clientId)}>
            {t("message.delete")}
          </button>
        </div>
      ) : null}
      {showReceiptText && receiptText ? <div className="receipt-text">{receiptText}</div> : null}
    </div>
  );
}
