// The left column: who is signed in, actions to start chats and groups or sign out, and the conversation list.

import { useState } from "react";
import { AccountDialog } from "../account/AccountDialog.js";
import { AdminDialog } from "../admin/AdminDialog.js";
import { ChannelDirectoryDialog } from "../channels/ChannelDirectoryDialog.js";
import { NewChannelDialog } from "../channels/NewChannelDialog.js";
import { useT } from "../i18n/I18nProvider.js";
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
  const t = useT();
  const me = useChat((s) => s.me);
  const searchOpen = useChat((s) => s.searchOpen);
  const [dialog, setDialog] = useState<"chat" | "group" | "channel" | "directory" | "notifications" | "account" | "admin" | null>(
    null,
  );
  if (!me) return null;
  const name = displayName(me);
  return (
    <aside className="sidebar" aria-label={t("sidebar.label")}>
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
            aria-label={t("sidebar.search")}
            aria-pressed={searchOpen}
            title={t("sidebar.search")}
          >
            <Icon name="search" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog("chat")}
            aria-label={t("sidebar.newChat")}
            title={t("sidebar.newChat")}
          >
            <Icon name="chat" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog("group")}
            aria-label={t("sidebar.newGroup")}
            title={t("sidebar.newGroup")}
          >
            <Icon name="group" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog("directory")}
            aria-label={t("sidebar.channels")}
            title={t("sidebar.channels")}
          >
            <Icon name="channel" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog("notifications")}
            aria-label={t("sidebar.notifications")}
            title={t("sidebar.notifications")}
          >
            <Icon name="bell" />
          </button>
          <button
            type="button"
            className="icon-button"
            onClick={() => setDialog("account")}
            aria-label={t("sidebar.account")}
            title={t("sidebar.account")}
          >
            <Icon name="user" />
          </button>
          {me.admin ? (
            <button
              type="button"
              className="icon-button"
              onClick={() => setDialog("admin")}
              aria-label={t("sidebar.admin")}
              title={t("sidebar.admin")}
            >
              <Icon name="shield" />
            </button>
          ) : null}
          <button
            type="button"
            className="icon-button"
            onClick={() => void store.logout()}
            aria-label={t("sidebar.signOut")}
            title={t("sidebar.signOut")}
          >
            <Icon name="logout" />
          </button>
        </div>
      </header>
      {searchOpen ? <SearchPanel key={store.getState().searchScope ?? ""} /> : <ConversationList />}
      {dialog === "chat" ? <NewChatDialog onClose={() => setDialog(null)} /> : null}
      {dialog === "group" ? <NewGroupDialog onClose={() => setDialog(null)} /> : null}
      {dialog === "channel" ? <NewChannelDialog onClose={() => setDialog(null)} /> : null}
      {dialog === "directory" ? (
        <ChannelDirectoryDialog onClose={() => setDialog(null)} onCreate={() => setDialog("channel")} />
      ) : null}
      {dialog === "notifications" ? <NotificationsDialog onClose={() => setDialog(null)} /> : null}
      {dialog === "account" ? <AccountDialog onClose={() => setDialog(null)} /> : null}
      {dialog === "admin" ? <AdminDialog onClose={() => setDialog(null)} /> : null}
    </aside>
  );
}
