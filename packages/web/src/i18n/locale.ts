// Which language the app speaks: the one chosen in the account dialog (kept in localStorage), else the first of the
// browser's languages (navigator.languages) that the app has, else English. `<html lang>` follows it.

import { de } from "./de.js";
import { en } from "./en.js";

export const LANGUAGES = {
  en: { name: "English", messages: en },
  de: { name: "Deutsch", messages: de },
} as const;
export type Language = keyof typeof LANGUAGES;
export const SUPPORTED: readonly Language[] = Object.keys(LANGUAGES) as Language[];

export const LANGUAGE_STORAGE_KEY = "parley.language";

export function isLanguage(value: unknown): value is Language {
  return typeof value === "string" && Object.hasOwn(LANGUAGES, value);
}

/** The first of `preferred` (BCP 47 tags, best first) the app has a catalogue for: "de-AT" → "de". */
export function negotiate(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split("-")[0];
    if (isLanguage(base)) return base;
  }
  return "en";
}
