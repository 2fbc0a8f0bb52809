// The directory of public channels (`channels.directory`): search by the start of a title, page on with "Load more",
// join one or open one the user is already in; or create a channel ("New channel", `onCreate`).

import type { ChannelListing } from "@parley/client";
import { useCallback, useEffect, useRef, useState } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { useChat, useStore } from "../state/store-context.js";
import { Avatar } from "../ui/Avatar.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

const PAGE = 30;

export function ChannelDirectoryDialog({ onClose, onCreate }: { onClose: () => void; onCreate: () => void }) {
  const store = useStore();
  const t = useT();
  const joined = useChat((s) => s.conversations);
  const [query, setQuery] = useState("");
  const [channels, setChannels] = useState<ChannelListing[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const action = useAction();
  const { run } = action;
  /** The newest request: an answer to an older one (the search text changed meanwhile) is dropped. */
  const latest = useRef(0);

  const load = useCallback(
    (text: string, cursor: string | null) => {
      const ticket = ++latest.current;
      return run(async () => {
        const q = text.trim();
        const page = await store.client.channelDirectory({
          ...(q === "" ? {} : { query: q }),
          ...(cursor === null ? {} : { cursor }),
          limit: PAGE,
        });
        if (ticket !== latest.current) return;
        setChannels((shown) => (cursor === null ? page.channels : [...shown, ...page.channels]));
        setNext(page.next);
        setLoaded(true);
      });
    },
    [run, store],
  );
  // Each change of the search text starts from the first page (after a short pause while typing).
  useEffect(() => {
    const timer = setTimeout(() => void load(query, null), query === "" ? 0 : 250);
    return () => clearTimeout(timer);
  }, [load, query]);

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
      {next !== null ? (
        <button type="button" className="button" disabled={action.busy} onClick={() => void load(query, next)}>
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
