// What a message carries besides its text: the quote of the message it answers (click to jump there) and the chips
// of its reactions (click to add or take back one's own; the tooltip says who reacted).

import type { Message, ReplyRef } from "@parley/client";
import { joinNames } from "../format/system-events.js";
import { useT } from "../i18n/I18nProvider.js";
import { bodyAsText } from "../mentions/mention-text.js";
import { displayName } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";

/** Scrolls the message list to the message with `seq` and flashes it; false when it is not loaded. */
export function jumpToMessage(seq: number): boolean {
  const target = document.querySelector<HTMLElement>(`.messages .message[data-seq="${seq}"]`);
  if (!target) return false;
  target.scrollIntoView({ block: "center", behavior: "smooth" });
  target.classList.remove("flash");
  // Restarts the animation when jumping to the same message twice.
  void target.offsetWidth;
  target.classList.add("flash");
  return true;
}

export function QuoteBlock({ quote }: { quote: ReplyRef }) {
  const t = useT();
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  // A withheld quote (security review #3) names no one: the reader may not see the quoted message.
  const who = quote.withheld
    ? ""
    : quote.senderId === me
      ? t("names.you")
      : displayName(users[quote.senderId], t("names.someone"));
  return (
    <button
      type="button"
      className="bubble-quote"
      data-deleted={quote.preview === null ? "" : undefined}
      onClick={() => jumpToMessage(quote.seq)}
      title={t("message.showQuoted")}
    >
      <span className="quote-author">{who}</span>
      <span className="quote-text">
        {quote.withheld
          ? t("message.unavailable")
          : quote.preview === null
            ? t("message.quotedDeleted")
            : bodyAsText(quote.preview, (id) => displayName(users[id], t("names.someoneLower")))}
      </span>
    </button>
  );
}

export function ReactionChips({ message }: { message: Message }) {
  const store = useStore();
  const t = useT();
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const reactions = message.reactions ?? [];
  if (reactions.length === 0) return null;
  return (
    <div className="reactions">
      {reactions.map((r) => {
        const mine = me !== undefined && r.userIds.includes(me);
        const who = joinNames(r.userIds.map((id) => (id === me ? t("names.you") : displayName(users[id], t("names.someone")))));
        return (
          <button
            key={r.emoji}
            type="button"
            className="reaction-chip"
            aria-pressed={mine}
            aria-label={`${r.emoji} ${r.count}: ${who}`}
            title={who}
            data-emoji={r.emoji}
            onClick={() => store.toggleReaction(message.conversationId, message.seq, r.emoji)}
          >
            <span className="reaction-emoji">{r.emoji}</span>
            <span className="reaction-count">{r.count}</span>
          </button>
        );
      })}
    </div>
  );
}
