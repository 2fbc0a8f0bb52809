// A channel's members, paged (`channels.members`): never the whole list (a channel may have 100,000 members). A search
// by the start of a name or username, "Load more" for the next page; admins remove members.

import { useCallback } from "react";
import { ProfileButton } from "../account/UserProfile.js";
import { useT } from "../i18n/I18nProvider.js";
import { displayName } from "../state/conversations.js";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { useSearchedPages } from "./use-searched-pages.js";

/** Members per page. */
export const MEMBER_PAGE = 50;

export function ChannelMembers({
  conversationId,
  memberCount,
  me,
  admin,
  version,
}: {
  conversationId: string;
  memberCount: number;
  me: string | undefined;
  admin: boolean;
  /** Changes when the members changed (an add or removal here): the list loads again from the start. */
  version: number;
}) {
  const store = useStore();
  const t = useT();
  const fetchPage = useCallback(
    async (query: string | undefined, cursor: string | undefined) => {
      const page = await store.client.channelMembers(conversationId, {
        ...(query === undefined ? {} : { query }),
        ...(cursor === undefined ? {} : { cursor }),
        limit: MEMBER_PAGE,
      });
      return { items: page.members, next: page.next };
    },
    [store, conversationId],
  );
  // `version` changes when the members changed (an add or removal here): the list loads again from the start.
  const {
    query,
    setQuery,
    items: members,
    setItems: setMembers,
    loaded,
    more,
    loadMore,
    action,
  } = useSearchedPages(fetchPage, version);

  const remove = (userId: string) =>
    void action.run(async () => {
      await store.removeChannelMembers(conversationId, [userId]);
      setMembers((shown) => shown.filter((m) => m.user.id !== userId));
    });

  return (
    <section aria-label={t("channel.memberList")}>
      <h3 className="section-title">{t("channel.members", { count: memberCount })}</h3>
      <label className="field">
        <span>{t("channel.memberSearch")}</span>
        <input type="search" name="memberQuery" maxLength={64} value={query} onChange={(e) => setQuery(e.target.value)} />
      </label>
      {loaded && members.length === 0 ? <p className="muted">{t("channel.noMembers")}</p> : null}
      <ul className="member-list channel-members" aria-label={t("channel.memberList")}>
        {members.map((m) => {
          const name = displayName(m.user);
          const isMe = m.user.id === me;
          return (
            <li key={m.user.id} className="member">
              <ProfileButton userId={m.user.id} name={name} size="sm" />
              <div className="member-text">
                <span className="member-name">
                  {name}
                  {isMe ? <span className="muted"> {t("group.you")}</span> : null}
                </span>
                <span className="member-status">@{m.user.username}</span>
              </div>
              {m.role === "admin" ? <span className="role-badge role-admin">{t("group.admin")}</span> : null}
              {admin && !isMe ? (
                <div className="member-actions">
                  <button
                    type="button"
                    className="button button-small button-danger"
                    disabled={action.busy}
                    aria-label={t("group.removeName", { name })}
                    onClick={() => remove(m.user.id)}
                  >
                    {t("group.remove")}
                  </button>
                </div>
              ) : null}
            </li>
          );
        })}
      </ul>
      {query.trim() === "" && loaded ? (
        <p className="muted" aria-live="polite">
          {t("channel.shownOf", { shown: members.length, count: memberCount })}
        </p>
      ) : null}
      {more ? (
        <button type="button" className="button" disabled={action.busy} onClick={loadMore}>
          {t("channel.loadMore")}
        </button>
      ) : null}
      <FormError error={action.error} />
    </section>
  );
}
