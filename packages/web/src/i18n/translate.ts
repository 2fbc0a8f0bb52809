// Fills in a message of a catalogue for one language: plural form by Intl.PluralRules, numbers by Intl.NumberFormat.

import type { Message } from "./catalogue.js";

const pluralRules = new Map<string, Intl.PluralRules>();
const numberFormats = new Map<string, Intl.NumberFormat>();

function rulesFor(locale: string): Intl.PluralRules {
  let rules = pluralRules.get(locale);
  if (!rules) {
    rules = new Intl.PluralRules(locale);
    pluralRules.set(locale, rules);
  }
  return rules;
}

export function formatNumber(value: number, locale: string): string {
  let format = numberFormats.get(locale);
  if (!format) {
    format = new Intl.NumberFormat(locale);
    numberFormats.set(locale, format);
  }
  return format.format(value);
}

/** The text of `message` in `locale` with `params` filled in (a missing parameter stays visible as `{name}`). */
export function fill(message: Message, locale: string, params: Record<string, string | number> = {}): string {
  let text: string;
  if (typeof message === "string") text = message;
  else {
    const count = Number(params["count"] ?? 0);
    const category = rulesFor(locale).select(count) as keyof typeof message;
    text = message[category] ?? message.other;
  }
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === "number" ? formatNumber(value, locale) : value;
  });
}
