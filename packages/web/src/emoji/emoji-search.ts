// The emoji picker's data and rules, without the data itself (emoji-data.ts loads that lazily): finding emoji by
// name and keeping the user's recent ones.

export interface EmojiEntry {
  emoji: string;
  /** Unicode CLDR short name ("grinning face"). */
  name: string;
}

export interface EmojiGroup {
  /** Stable id ("smileys_emotion"). */
  slug: string;
  name: string;
  emojis: readonly EmojiEntry[];
}

/**
 * Emoji whose name has a word starting with each word of the query ("thu up" finds "thumbs up"), those whose name
 * starts with the query first; at most `limit`.
 */
export function searchEmoji(groups: readonly EmojiGroup[], query: string, limit = 96): EmojiEntry[] {
  const words = query
    .toLowerCase()
    .trim()
    .split(/[\s_]+/)
    .filter(Boolean);
  if (words.length === 0) return [];
  const first: EmojiEntry[] = [];
  const rest: EmojiEntry[] = [];
  for (const group of groups) {
    for (const entry of group.emojis) {
      const name = entry.name.toLowerCase();
      const nameWords = name.split(/[\s:_,-]+/);
      if (!words.every((w) => nameWords.some((n) => n.startsWith(w)))) continue;
      (name.startsWith(words.join(" ")) ? first : rest).push(entry);
    }
  }
  return [...first, ...rest].slice(0, limit);
}

export const RECENT_KEY = "parley.recentEmoji";
export const MAX_RECENT = 24;

/** The recent list after using `emoji`: it moves to the front, the list is capped. */
export function withRecent(recent: readonly string[], emoji: string): string[] {
  return [emoji, ...recent.filter((e) => e !== emoji)].slice(0, MAX_RECENT);
}

/** The stored recent list; empty when there is none or it is unreadable. */
export function loadRecent(storage: Pick<Storage, "getItem"> | undefined): string[] {
  const raw = storage?.getItem(RECENT_KEY);
  if (!raw) return [];
  try {
    const list: unknown = JSON.parse(raw);
    return Array.isArray(list) ? list.filter((e): e is string => typeof e === "string").slice(0, MAX_RECENT) : [];
  } catch {
    // Written by another version or by hand: start a new list.
    return [];
  }
}
