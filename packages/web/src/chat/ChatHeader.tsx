// The top of a chat: back (on phones), who it is with, their presence or who is typing, the disappearing-messages
// timer, and actions.

import { ProfileButton } from "../account/UserProfile.js";
import { useNow } from "../app/use-now.js";
import { LockMarker } from "../e2ee/EncryptedOption.js";
import { formatDuration } from "../format/durations.js";
import { formatLastSeen } from "../format/time.js";
import { typingText } from "../format/typing.js";
import { useT } from "../i18n/I18nProvider.js";
import { MuteButton } from "../push/MuteButton.js";
import { conversationTitle, displayName, otherMemberId } from "../state/conversations.js";
import { presenceUnknownText, usePresence } from "../state/presence-view.js";
import { useChat, useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { Avatar } from "../ui/Avatar.js";
import { Icon } from "../ui/Icon.js";
import { PinnedButton } from "./PinnedMessages.js";

export function ChatHeader({ conversation: c, onShowInfo }: { conversation: ConversationState; onShowInfo: () => void }) {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const users = useChat((s) => s.users);
  const { presence, known } = usePresence();
  const typingIds = useChat((s) => s.typing[c.id]);
  const now = useNow();
  const title = conversationTitle(c, me, users);
  const other = otherMemberId(c, me);
  const infoLabel = c.kind === "channel" ? t("channel.info") : c.kind === "group" ? t("group.info") : t("directInfo.title");

  const typers = (typingIds ?? []).filter((id) => id !== me);
  let subtitle: string;
  let typing = false;
  if (typers.length > 0) {
    subtitle = typingText(
      typers.map((id) => displayName(users[id], t("names.someone"))),
      c.kind,
    );
    typing = true;
  } else if (c.kind === "channel") {
    // No presence of channel members (a channel does not share it) and never the whole member list: the count.
    subtitle = t("channel.members", { count: c.memberCount ?? 0 });
  } else if (c.kind === "direct") {
    subtitle = known ? formatLastSeen(other ? presence[other] : undefined, now) : presenceUnknownText();
  } else if (!known) {
    subtitle = t("group.members", { count: c.members.length });
  } else {
    // The user counts as online (as in the group info).
    const online = c.members.filter((m) => m.userId === me || presence[m.userId]?.online).length;
    subtitle = t("group.membersOnline", { count: c.members.length, online });
  }

  return (
    <header className="chat-header">
      <button type="button" className="icon-button back-button" onClick={() => store.open(null)} aria-label={t("chat.back")}>
        <Icon name="back" />
      </button>
      {c.kind === "direct" && other ? (
        <ProfileButton userId={other} name={title} online={presence[other]?.online} />
      ) : (
        <Avatar id={c.id} name={title} group />
      )}
      <div className="chat-title">
        <h2>
          {c.kind === "channel" ? (
            <span className="channel-mark" title={t("channel.badge")}>
              <Icon name="channel" className="channel-mark-icon" />
              <span className="visually-hidden">{t("channel.badge")}: </span>
            </span>
          ) : null}
          {c.encrypted ? <LockMarker /> : null}
          {title}
          {c.disappearAfter !== undefined ? (
            <span className="disappearing-badge" title={t("retention.disappearing")}>
              <Icon name="clock" />
              <span className="visually-hidden">{t("chat.disappearingPrefix")} </span>
              {formatDuration(c.disappearAfter)}
            </span>
          ) : null}
        </h2>
        <p className={typing ? "chat-subtitle typing" : "chat-subtitle"} aria-live="polite">
          {subtitle}
        </p>
      </div>
      {/* Room for later actions (calls): they go here, before the info button. */}
      <div className="header-actions">
        <PinnedButton conversation={c} />
        {c.membership === "member" ? <MuteButton conversationId={c.id} /> : null}
        <button
          type="button"
          className="icon-button"
          onClick={() => store.openSearch(c.id)}
          aria-label={t("chat.searchHere")}
          title={t("chat.searchHere")}
        >
          <Icon name="search" />
        </button>
        <button type="button" className="icon-button" onClick={onShowInfo} aria-label={infoLabel} title={infoLabel}>
          <Icon name="info" />
        </button>
      </div>
    </header>
  );
}
