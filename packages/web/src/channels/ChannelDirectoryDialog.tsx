// The directory of public channels (`channels.directory`): search by the start of a title, page on with "Load more",
// join one or open one the user is already in; or create a channel ("New channel", `onCreate`).

import type { ChannelListing } from "@parley/client";
import { useCallback } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { useChat, useStore } from "../state/store-context.js";
import { Avatar } from "../ui/Avatar.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useSearchedPages } from "./use-searched-pages.js";

const PAGE = 30;

export function ChannelDirectoryDialog({ onClose, onCreate }: { onClose: () => void; onCreate: () => void }) {
  const store = useStore();
  const t = useT();
  const joined = useChat((s) => s.conversations);
  const fetchPage = useCallback(
    async (query: string | undefined, cursor: string | undefined) => {
      const page = await store.client.channelDirectory({
        ...(query === undefined ? {} : { query }),
        ...(cursor === undefined ? {} : { cursor }),
        limit: PAGE,
      });
      return { items: page.channels, next: page.next };
    },
    [store],
  );
  const { query, setQuery, items: channels, loaded, more, loadMore, action } = useSearchedPages(fetchPage);

  const enter = (channel: ChannelListing) =>
    void action.run(async () => {
      await store.joinChannel(channel.id);
      onClose();
    });

  return (
    <Dialog title={t("channel.directory")} onClose={onClose} className="dialog-wide">
      <label className="field">
        <span>{t("channel.search")}</span>
        <input type="search" name="query" maxLength={64} value={query} onChange={(e) => setQuery(e.target.value)} autoFocus />
      </label>
      {loaded && channels.length === 0 ? <p className="muted">{t("channel.noChannels")}</p> : null}
      <ul className="member-list channel-directory" aria-label={t("channel.directory")}>
        {channels.map((c) => {
          const member = joined[c.id]?.membership === "member";
          return (
            <li key={c.id} className="member">
              <Avatar id={c.id} name={c.title} size="sm" group />
              <div className="member-text">
                <span className="member-name">{c.title}</span>
                <span className="member-status">
                  {t("channel.members", { count: c.memberCount })}
                  {c.posting === "admins" ? ` · ${t("channel.adminsPostNote")}` : ""}
                </span>
              </div>
              <div className="member-actions">
                <button
                  type="button"
                  className={member ? "button button-small" : "button button-small button-primary"}
                  disabled={action.busy}
                  aria-label={member ? t("channel.openName", { title: c.title }) : t("channel.joinName", { title: c.title })}
                  onClick={() => enter(c)}
                >
                  {member ? t("channel.open") : t("channel.join")}
                </button>
              </div>
            </li>
          );
        })}
      </ul>
      {more ? (
        <button type="button" className="button" disabled={action.busy} onClick={loadMore}>
          {t("channel.loadMore")}
        </button>
      ) : null}
      <FormError error={action.error} />
      <div className="dialog-actions">
        <button type="button" className="button button-primary" onClick={onCreate}>
          {t("sidebar.newChannel")}
        </button>
      </div>
    </Dialog>
  );
}
