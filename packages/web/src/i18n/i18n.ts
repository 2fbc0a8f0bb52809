// The app's current language and `t`, the one way text reaches the user. Components read it through `useT()`
// (I18nProvider.tsx), which re-renders them when the language changes; plain modules (format/*) call `t` while they
// are rendered, so they follow along.

import type { ArgsOf } from "./catalogue.js";
import type { en } from "./en.js";
import { LANGUAGES, type Language, negotiate } from "./locale.js";
import { fill } from "./translate.js";

export type MessageKey = keyof typeof en;
export type T = <K extends MessageKey>(key: K, ...args: ArgsOf<(typeof en)[K]>) => string;

let current: Language = "en";
let browserTags: readonly string[] = [];
const listeners = new Set<() => void>();

/** The current language ("en", "de"). */
export function language(): Language {
  return current;
}

/**
 * The locale for Intl formatters (dates, numbers, lists): the browser's own tag when it is of the app's language
 * ("en-GB" keeps 24-hour clocks, "de-CH" its own formats), else the language itself.
 */
export function locale(): string {
  return browserTags.find((tag) => tag.toLowerCase().split("-")[0] === current) ?? current;
}

/** Sets the language (and the browser's language tags, for `locale()`), telling the listeners when it changed. */
export function setLanguage(next: Language, tags: readonly string[] = browserTags): void {
  browserTags = tags;
  if (next === current) return;
  current = next;
  for (const listener of listeners) listener();
}

export function onLanguageChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The text for `key` in the current language (English when a language lacks it, which catalogue.test.ts forbids). */
export const t: T = (key, ...args) => {
  const messages = LANGUAGES[current].messages as Record<MessageKey, (typeof LANGUAGES)["en"]["messages"][MessageKey]>;
  const message = messages[key] ?? LANGUAGES.en.messages[key];
  return fill(message, current, args[0] as Record<string, string | number> | undefined);
};

/** The language for these browser preferences and stored choice (the choice wins when it is a language we have). */
export function initialLanguage(preferred: readonly string[], stored: string | null): Language {
  return negotiate(stored ? [stored, ...preferred] : preferred);
}
