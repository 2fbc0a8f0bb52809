// Message search in the sidebar: a query with filters (this conversation, sender, date range), results with their
// highlighted snippets (text nodes and <mark>, never HTML from the server), and a click that opens the message.

import { type SearchHit, type SearchPage, snippetSegments } from "@parley/client";
import { type FormEvent, useMemo, useState } from "react";
import { useNow } from "../app/use-now.js";
import { LockMarker } from "../e2ee/EncryptedOption.js";
import { formatFullTimestamp, formatListTime } from "../format/time.js";
import { errorText } from "../i18n/errors.js";
import { useT } from "../i18n/I18nProvider.js";
import { MentionText } from "../mentions/MentionText.js";
import { conversationTitle, displayName } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import { Icon } from "../ui/Icon.js";
import { type SearchForm, toFilters } from "./search-filters.js";

export function Snippet({ hit }: { hit: SearchHit }) {
  return (
    <span className="search-snippet">
      {snippetSegments(hit.snippet, hit.highlights).map((segment, i) =>
        segment.highlighted ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: segments of one immutable snippet, never reordered
          <mark key={i}>{segment.text}</mark>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: segments of one immutable snippet, never reordered
          <span key={i}>
            <MentionText text={segment.text} />
          </span>
        ),
      )}
    </span>
  );
}

export function SearchPanel() {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const users = useChat((s) => s.users);
  const conversations = useChat((s) => s.conversations);
  const scope = useChat((s) => s.searchScope);
  const activeId = useChat((s) => s.activeId);
  const now = useNow(60_000);
  const [query, setQuery] = useState("");
  const [form, setForm] = useState<SearchForm>({ conversationId: scope, senderId: "", from: "", to: "" });
  const [pages, setPages] = useState<SearchPage[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [searched, setSearched] = useState(false);

  const here = form.conversationId ?? activeId;
  const senders = useMemo(() => {
    const ids = new Set<string>();
    const pool = form.conversationId ? [conversations[form.conversationId]] : Object.values(conversations);
    for (const c of pool) for (const m of c?.members ?? []) ids.add(m.userId);
    return [...ids]
      .map((id) => ({ id, name: id === me ? t("names.you") : displayName(users[id], t("names.someone")) }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }, [conversations, form.conversationId, users, me, t]);

  const run = async (event?: FormEvent) => {
    event?.preventDefault();
    if (query.trim() === "") return;
    setBusy(true);
    setError(null);
    try {
      setPages([await store.search(query.trim(), toFilters(form))]);
      setSearched(true);
    } catch (e) {
      setPages([]);
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const more = async () => {
    const last = pages.at(-1);
    if (!last?.hasMore) return;
    setBusy(true);
    try {
      const next = await store.searchMore(last);
      setPages((p) => [...p, next]);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const hits = pages.flatMap((p) => p.results);
  const set = (patch: Partial<SearchForm>) => setForm((f) => ({ ...f, ...patch }));

  return (
    <section className="search-panel" aria-label={t("sidebar.search")}>
      <form className="search-form" onSubmit={(e) => void run(e)}>
        <div className="search-row">
          <input
            type="search"
            className="search-input"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            placeholder={t("sidebar.search")}
            aria-label={t("sidebar.search")}
            maxLength={256}
            // biome-ignore lint/a11y/noAutofocus: the panel was opened to type a query
            autoFocus
          />
          <button
            type="submit"
            className="button button-primary button-small search-submit"
            disabled={busy || query.trim() === ""}
          >
            {t("search.submit")}
          </button>
          <button type="button" className="icon-button" onClick={() => store.closeSearch()} aria-label={t("search.close")}>
            <Icon name="close" />
          </button>
        </div>
        <div className="search-filters">
          {here ? (
            <label className="search-filter">
              <input
                type="checkbox"
                checked={form.conversationId !== null}
                onChange={(e) => set({ conversationId: e.target.checked ? here : null })}
              />
              {conversations[here]
                ? t("search.only", { title: conversationTitle(conversations[here], me, users) })
                : t("search.onlyThis")}
            </label>
          ) : null}
          <label className="search-filter">
            {t("search.from")}
            <select value={form.senderId} onChange={(e) => set({ senderId: e.target.value })} aria-label={t("search.sender")}>
              <option value="">{t("search.anyone")}</option>
              {senders.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
            </select>
          </label>
          <label className="search-filter">
            {t("search.since")}
            <input
              type="date"
              value={form.from}
              onChange={(e) => set({ from: e.target.value })}
              aria-label={t("search.sinceDay")}
            />
          </label>
          <label className="search-filter">
            {t("search.until")}
            <input type="date" value={form.to} onChange={(e) => set({ to: e.target.value })} aria-label={t("search.untilDay")} />
          </label>
        </div>
      </form>
      {error ? (
        <p className="search-status error" role="alert">
          {error}
        </p>
      ) : null}
      {searched && !error && hits.length === 0 ? <p className="search-status muted">{t("search.none")}</p> : null}
      <ul className="search-results" aria-label={t("search.results")}>
        {hits.map((hit) => {
          const c = conversations[hit.conversationId];
          const where = c ? conversationTitle(c, me, users) : t("search.conversation");
          const who = hit.message.senderId === me ? t("names.you") : displayName(users[hit.message.senderId], t("names.someone"));
          return (
            <li key={`${hit.conversationId}:${hit.seq}`}>
              <button
                type="button"
                className="search-result"
                onClick={() => void store.jumpTo(hit.conversationId, hit.seq)}
                data-seq={hit.seq}
              >
                <span className="search-result-head">
                  <strong className="search-result-where">
                    {c?.encrypted ? <LockMarker /> : null}
                    {where}
                  </strong>
                  {c?.encrypted ? <span className="search-result-local">{t("e2ee.localResult")}</span> : null}
                  <time
                    dateTime={new Date(hit.message.createdAt).toISOString()}
                    title={formatFullTimestamp(hit.message.createdAt)}
                  >
                    {formatListTime(hit.message.createdAt, now)}
                  </time>
                </span>
                <span className="search-result-body">
                  <span className="search-result-who">{who}: </span>
                  <Snippet hit={hit} />
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      {pages.at(-1)?.hasMore ? (
        <button type="button" className="link-button search-more" onClick={() => void more()} disabled={busy}>
          {t("search.more")}
        </button>
      ) : null}
    </section>
  );
}
