// The signed-in screen: conversation list and the open chat side by side, or one at a time on a phone.

import { useEffect } from "react";
import { ChatPane } from "../chat/ChatPane.js";
import { QuickSwitcher } from "../conversations/QuickSwitcher.js";
import { Sidebar } from "../conversations/Sidebar.js";
import { useT } from "../i18n/I18nProvider.js";
import { useChat } from "../state/store-context.js";
import { Icon } from "../ui/Icon.js";
import { ConnectionBanner } from "./ConnectionBanner.js";

export function ChatLayout() {
  const t = useT();
  const activeId = useChat((s) => s.activeId);
  // On a phone the search panel (in the sidebar) replaces the chat until a result is picked.
  const searching = useChat((s) => s.searchOpen && s.searchInFront);
  const unread = useChat((s) => Object.values(s.conversations).reduce((n, c) => n + c.unread, 0));
  const encryption = useChat((s) => s.encryption);

  // The tab shows the unread count, like most chat apps.
  useEffect(() => {
    document.title = unread > 0 ? `(${unread}) Parley` : "Parley";
    return () => {
      document.title = "Parley";
    };
  }, [unread]);

  return (
    <div className="app-shell" data-encryption={encryption}>
      {/* The page's one top-level heading, for screen-reader navigation; the panes have h2 headings. */}
      <h1 className="visually-hidden">{t("app.name")}</h1>
      <ConnectionBanner />
      <div className="layout" data-view={activeId && !searching ? "chat" : "list"}>
        <Sidebar />
        <main className="main">{activeId ? <ChatPane key={activeId} conversationId={activeId} /> : <EmptyChat />}</main>
      </div>
      <QuickSwitcher />
    </div>
  );
}

function EmptyChat() {
  const t = useT();
  return (
    <div className="empty-chat">
      <div className="empty-chat-art" aria-hidden="true">
        <Icon name="chat" />
      </div>
      <h2>{t("layout.emptyTitle")}</h2>
      <p>{t("layout.emptyText")}</p>
    </div>
  );
}
