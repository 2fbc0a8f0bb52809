// The scrolling message history: opens at the unread marker or the end, stays pinned to the end while the reader is
// there, loads older pages when scrolled to the top (keeping the view still), offers a jump to the latest message,
// and marks the conversation read while it is visible and scrolled to the end.

import { type UIEvent, useEffect, useLayoutEffect, useMemo, useRef, useState } from "react";
import { useDocumentVisible } from "../app/use-document-visible.js";
import { useNow } from "../app/use-now.js";
import { dayKey } from "../format/time.js";
import { useT } from "../i18n/I18nProvider.js";
import { displayName } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { Icon } from "../ui/Icon.js";
import { MessageGroup } from "./MessageGroup.js";
import { DaySeparator, SystemNote, UnreadMarker } from "./TimelineMarkers.js";
import { buildTimeline } from "./timeline.js";

/** Within this many pixels of the end counts as "at the end". */
const BOTTOM_SLACK_PX = 48;
/** Older messages are fetched when the reader gets this close to the top. */
const LOAD_OLDER_PX = 600;
/**
 * Whether the newest message is entirely below the visible part of the list: only then is the jump-to-latest button
 * shown (floating over the list's bottom corner, it would otherwise cover the message it leads to).
 */
function newestOutOfView(list: HTMLElement): boolean {
  const messages = list.getElementsByClassName("message");
  const newest = messages[messages.length - 1];
  return !newest || newest.getBoundingClientRect().top >= list.getBoundingClientRect().bottom - 1;
}

/** How long a message picked from search stays highlighted. */
const FOCUS_HIGHLIGHT_MS = 4000;

export function MessageList({ conversation }: { conversation: ConversationState }) {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const users = useChat((s) => s.users);
  const allPending = useChat((s) => s.pending);
  const visible = useDocumentVisible();
  const now = useNow(60_000);
  const id = conversation.id;

  const pending = useMemo(() => allPending.filter((p) => p.conversationId === id), [allPending, id]);
  // Fixed when the chat opens (this component is keyed by conversation): the marker does not move while reading.
  const [atOpen] = useState(() => ({ unread: conversation.unread, readSeq: conversation.readSeq }));
  const unreadAfter = atOpen.unread > 0 ? atOpen.readSeq : null;
  const items = useMemo(
    () => buildTimeline(conversation.messages, pending, { me, unreadAfter, dayOf: (ts) => dayKey(ts) }),
    [conversation.messages, pending, me, unreadAfter],
  );
  const newestOwnSeq = useMemo(() => {
    for (let i = conversation.messages.length - 1; i >= 0; i--) {
      const m = conversation.messages[i]!;
      if (m.senderId === me && m.kind === "text") return m.seq;
    }
    return undefined;
  }, [conversation.messages, me]);
  const names = useMemo(
    () => ({ me, nameOf: (userId: string) => displayName(users[userId], t("names.someone")) }),
    [me, users, t],
  );

  const scroller = useRef<HTMLDivElement>(null);
  const [atBottom, setAtBottom] = useState(true);
  const [newestHidden, setNewestHidden] = useState(false);
  /** Keep the view at the end after the next render (the reader was there). */
  const stick = useRef(true);
  const positioned = useRef(false);
  const previous = useRef({ height: 0, firstSeq: undefined as number | undefined, pending: pending.length });

  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const firstSeq = conversation.messages[0]?.seq;
    const before = previous.current;
    if (!positioned.current) {
      // Messages cached on this device are shown (at the end) before the server's page is in.
      if (!conversation.loaded && conversation.messages.length === 0) return;
      positioned.current = true;
      // The first unread message near the top (the browser clamps when the rest fits), else the end.
      const marker = el.querySelector<HTMLElement>("[data-unread-marker]");
      el.scrollTop = marker ? marker.offsetTop - 56 : el.scrollHeight;
    } else if (before.firstSeq !== undefined && firstSeq !== undefined && firstSeq < before.firstSeq) {
      // An older page went in above: keep what the reader looks at in place.
      el.scrollTop += el.scrollHeight - before.height;
    } else if (stick.current || pending.length > before.pending) {
      el.scrollTop = el.scrollHeight;
    }
    previous.current = { height: el.scrollHeight, firstSeq, pending: pending.length };
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
    stick.current = bottom;
    setAtBottom(bottom);
    setNewestHidden(newestOutOfView(el));
  });

  // Older pages are fetched while the reader is near the top of what is loaded, as soon as they can be: a first page
  // that does not fill the screen cannot be scrolled up, and a reader who scrolled up while only this device's cached
  // messages were shown (older pages load only after the server's newest page) scrolls no further to ask again.
  useEffect(() => {
    const el = scroller.current;
    if (!el || !conversation.loaded || !conversation.hasOlder || conversation.loadingOlder) return;
    if (el.scrollHeight <= el.clientHeight || (positioned.current && el.scrollTop < LOAD_OLDER_PX)) void store.loadOlder(id);
  });

  // biome-ignore lint/correctness/useExhaustiveDependencies: re-checked whenever something new may have become visible
  useEffect(() => {
    // The ref, not `atBottom`: the layout effect of this very commit may just have positioned away from the end.
    if (atBottom && stick.current && visible && positioned.current) store.markRead(id);
  }, [atBottom, visible, conversation.loaded, conversation.lastSeq, conversation.unread, store, id]);

  // A message picked from search: once it is rendered, centre it and highlight it for a moment. Declared after the
  // positioning effect so that it wins over "open at the end" in the same commit.
  const focus = useChat((s) => (s.focus?.conversationId === id ? s.focus : null));
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-checked whenever a page of history went in
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!focus || !el) return;
    const target = el.querySelector<HTMLElement>(`[data-seq="${focus.seq}"]`);
    if (!target) return;
    positioned.current = true;
    stick.current = false;
    const offset = target.getBoundingClientRect().top - el.getBoundingClientRect().top;
    el.scrollTop = Math.max(0, el.scrollTop + offset - el.clientHeight / 2 + target.offsetHeight / 2);
    target.setAttribute("data-focused", "true");
    setTimeout(() => target.removeAttribute("data-focused"), FOCUS_HIGHLIGHT_MS);
    previous.current = { ...previous.current, height: el.scrollHeight };
    store.focusShown(focus.token);
  }, [focus, conversation.messages, store]);

  const onScroll = (event: UIEvent<HTMLDivElement>) => {
    const el = event.currentTarget;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
    stick.current = bottom;
    setAtBottom(bottom);
    setNewestHidden(newestOutOfView(el));
    if (positioned.current && el.scrollTop < LOAD_OLDER_PX) void store.loadOlder(id);
  };

  const jumpToLatest = () => {
    const el = scroller.current;
    if (!el) return;
    stick.current = true;
    el.scrollTo({ top: el.scrollHeight, behavior: "smooth" });
  };

  return (
    <div className="message-area">
      <div className="messages" ref={scroller} onScroll={onScroll} role="log" aria-label={t("messages.label")} tabIndex={-1}>
        {conversation.loadingOlder ? <div className="history-loading">{t("messages.loadingOlder")}</div> : null}
        {!conversation.loaded && conversation.messages.length === 0 ? (
          <div className="history-loading">{t("messages.loading")}</div>
        ) : null}
        {items.map((item) => {
          switch (item.type) {
            case "day":
              return <DaySeparator key={item.key} at={item.at} now={now} />;
            case "unread":
              return <UnreadMarker key={item.key} count={atOpen.unread} />;
            case "system":
              return <SystemNote key={item.key} message={item.message} names={names} />;
            case "group":
              return (
                <MessageGroup
                  key={item.key}
                  group={item}
                  conversation={conversation}
                  sender={users[item.senderId]}
                  newestOwnSeq={newestOwnSeq}
                />
              );
          }
          return null;
        })}
      </div>
      {!atBottom && newestHidden ? (
        <button type="button" className="jump-latest" onClick={jumpToLatest} aria-label={t("messages.jumpLatest")}>
          <Icon name="down" />
          {conversation.unread > 0 ? <span className="unread-badge">{conversation.unread}</span> : null}
        </button>
      ) : null}
    </div>
  );
}
