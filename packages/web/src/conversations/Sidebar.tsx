// The left column: who is signed in, actions to start chats and groups or sign out, and the conversation list.

import { useState } from "react";
import { AccountDialog } from "../account/AccountDialog.js";
import { AdminDialog } from "../admin/AdminDialog.js";
import { NotificationsDialog } from "../push/NotificationsDialog.js";
import { SearchPanel } from "../search/SearchPanel.js";
import { displayName } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import { Avatar } from "../ui/Avatar.js";
import { Icon } from "../ui/Icon.js";
import { ConversationList } from "./ConversationList.js";
import { NewChatDialog } from "./NewChatDialog.js";
import { NewGroupDialog } from "./NewGroupDialog.js";

export function Sidebar() {
  const store = useStore();
  const me = useChat((s) => s.me);
  const searchOpen = useChat((s) => s.searchOpen);
  const [dialog, setDialog] = useState<"chat" | "group" | "notifications" | "account" | "admin" | null>(null);
  if (!me) return null;
  const name = displayName(me);
  return (
    <aside className="sidebar" aria-label="Conversations">
      <header className="sidebar-header">
        <Avatar id={me.id} userId={me.id} name={name} size="sm" />
        <div className="me">
          <strong className="me-name">{name}</strong>
          <span className="me-username">@{me.username}</span>
        </div>
        <div className="header-actions">
          <button
            type="button"
            className="icon-button"
            onClick={() => (searchOpen ? store.closeSearch() : store.openSearch())}
            aria-label="Search messages"
            aria-pressed={searchOpen}
            title="Search messages"
          >
            <Icon name="search" />
          </button>
          <button type="button" className="icon-button" onClick={() => setDialog("chat")} aria-label="New chat" title="New chat">
            <Icon name="chat" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog("group")}
            aria-label="New group"
            title="New group"
          >
            <Icon name="group" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog("notifications")}
            aria-label="Notifications"
            title="Notifications"
          >
            <Icon name="bell" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog("account")}
            aria-label="Your account"
            title="Your account"
          >
            <Icon name="user" />
          </button>
          {me.admin ? (
            <button
              type="button"
              className="icon-button"
              onClick={() => setDialog("admin")}
              aria-label="Administration"
              title="Administration"
            >
              <Icon name="shield" />
            </button>
          ) : null}
          <button
            type="button"
            className="icon-button"
            onClick={() => void store.logout()}
            aria-label="Sign out"
            title="Sign out"
          >
            <Icon name="logout" />
          </button>
        </div>
      </header>
      {searchOpen ? <SearchPanel key={store.getState().searchScope ?? ""} /> : <ConversationList />}
      {dialog === "chat" ? <NewChatDialog onClose={() => setDialog(null)} /> : null}
      {dialog === "group" ? <NewGroupDialog onClose={() => setDialog(null)} /> : null}
      {dialog === "notifications" ? <NotificationsDialog onClose={() => setDialog(null)} /> : null}
      {dialog === "account" ? <AccountDialog onClose={() => setDialog(null)} /> : null}
      {dialog === "admin" ? <AdminDialog onClose={() => setDialog(null)} /> : null}
    </aside>
  );
}
