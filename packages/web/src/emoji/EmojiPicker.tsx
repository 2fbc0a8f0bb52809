// The full emoji picker (composer and reactions): search by name, categories, recently used emoji; every emoji a
// button named by its Unicode name; the arrow keys move through the grid, Enter or a tap picks. Loaded lazily with its
// data (EmojiPickerDialog.tsx), so the first load of the app does not carry it.

import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import { reportBestEffort } from "../app/best-effort.js";
import { useT } from "../i18n/I18nProvider.js";
import type { MessageKey } from "../i18n/i18n.js";
import { loadEmojiGroups } from "./emoji-data.js";
import { type EmojiEntry, type EmojiGroup, loadRecent, RECENT_KEY, searchEmoji, withRecent } from "./emoji-search.js";

/** Columns of the grid (CSS `.emoji-grid` has the same): 8 × 44 px fits a 390 px phone with the dialog's padding. */
const COLUMNS = 8;
const RECENT = "recent";
type GroupKey = Extract<MessageKey, `emoji.group.${string}`>;

function storage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    // Storage blocked (private mode, policy): recents live for this page only.
    return undefined;
  }
}

export default function EmojiPicker({ onPick }: { onPick: (emoji: string) => void }) {
  const t = useT();
  const [groups, setGroups] = useState<EmojiGroup[] | null>(null);
  const [recent, setRecent] = useState<string[]>(() => loadRecent(storage()));
  const [query, setQuery] = useState("");
  const [tab, setTab] = useState<string>(() => (recent.length > 0 ? RECENT : "smileys_emotion"));
  const grid = useRef<HTMLDivElement>(null);

  useEffect(() => {
    let live = true;
    void loadEmojiGroups().then((loaded) => {
      if (live) setGroups(loaded);
    });
    return () => {
      live = false;
    };
  }, []);

  const byEmoji = useMemo(() => new Map((groups ?? []).flatMap((g) => g.emojis.map((e) => [e.emoji, e] as const))), [groups]);
  const shown: EmojiEntry[] = useMemo(() => {
    if (!groups) return [];
    if (query.trim() !== "") return searchEmoji(groups, query);
    if (tab === RECENT) return recent.map((emoji) => byEmoji.get(emoji) ?? { emoji, name: emoji });
    return groups.find((g) => g.slug === tab)?.emojis.slice() ?? [];
  }, [groups, query, tab, recent, byEmoji]);

  const pick = (emoji: string) => {
    const next = withRecent(recent, emoji);
    setRecent(next);
    try {
      storage()?.setItem(RECENT_KEY, JSON.stringify(next));
    } catch (error) {
      // Storage full or blocked: the emoji is still picked, only not remembered after this page.
      reportBestEffort("remembering a recent emoji", error);
    }
    onPick(emoji);
  };

  const focusCell = (index: number) => {
    const cells = grid.current?.querySelectorAll<HTMLButtonElement>("button");
    if (!cells || cells.length === 0) return;
    cells[Math.max(0, Math.min(cells.length - 1, index))]?.focus();
  };

  const onGridKey = (event: KeyboardEvent<HTMLDivElement>) => {
    const cells = [...(grid.current?.querySelectorAll<HTMLButtonElement>("button") ?? [])];
    const at = cells.indexOf(document.activeElement as HTMLButtonElement);
    if (at < 0) return;
    const moves: Record<string, number> = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: COLUMNS, ArrowUp: -COLUMNS };
    const move = moves[event.key];
    if (move !== undefined) {
      event.preventDefault();
      focusCell(at + move);
    } else if (event.key === "Home") {
      event.preventDefault();
      focusCell(0);
    } else if (event.key === "End") {
      event.preventDefault();
      focusCell(cells.length - 1);
    }
  };

  const tabs = [
    ...(recent.length > 0 ? [{ slug: RECENT, icon: "🕘", label: t("emoji.recent") }] : []),
    ...(groups ?? []).map((g) => ({
      slug: g.slug,
      icon: g.emojis[0]?.emoji ?? "",
      label: t(`emoji.group.${g.slug}` as GroupKey),
    })),
  ];
  const searching = query.trim() !== "";
  const heading = searching ? t("emoji.results") : (tabs.find((x) => x.slug === tab)?.label ?? "");

  return (
    <div className="emoji-full">
      <input
        type="search"
        className="emoji-search"
        aria-label={t("emoji.search")}
        placeholder={t("emoji.search")}
        value={query}
        // biome-ignore lint/a11y/noAutofocus: the picker was opened to type or pick at once
        autoFocus
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            focusCell(0);
          } else if (e.key === "Enter" && shown[0]) {
            e.preventDefault();
            pick(shown[0].emoji);
          }
        }}
      />
      {searching ? null : (
        <div className="emoji-tabs" role="toolbar" aria-label={t("emoji.categories")}>
          {tabs.map((x) => (
            <button
              key={x.slug}
              type="button"
              className="emoji-tab"
              aria-label={x.label}
              title={x.label}
              aria-pressed={x.slug === tab}
              onClick={() => setTab(x.slug)}
            >
              {x.icon}
            </button>
          ))}
        </div>
      )}
      {groups === null ? (
        <p className="emoji-status">{t("emoji.loading")}</p>
      ) : shown.length === 0 ? (
        <p className="emoji-status">{t("emoji.noResults")}</p>
      ) : (
        // biome-ignore lint/a11y/useSemanticElements: a group of buttons navigated with the arrow keys
        <div className="emoji-grid" role="group" aria-label={heading} ref={grid} onKeyDown={onGridKey}>
          {shown.map((entry) => (
            <button
              key={entry.emoji}
              type="button"
              className="emoji-cell"
              aria-label={entry.name}
              title={entry.name}
              onClick={() => pick(entry.emoji)}
            >
              {entry.emoji}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
