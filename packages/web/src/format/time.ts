// Dates and times as a chat shows them: clock times, day separators, list timestamps and "last seen", in the app's
// language (Intl.DateTimeFormat and Intl.RelativeTimeFormat for the forms, the catalogue for the sentences).

import { locale, t } from "../i18n/i18n.js";

export interface TimeOptions {
  /** BCP 47 locale; the app's language when absent. */
  locale?: string;
  /** IANA time zone; the system's when absent (tests pin one). */
  timeZone?: string;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(options: TimeOptions, fields: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = JSON.stringify([options.locale ?? locale(), options.timeZone ?? "", fields]);
  let f = formatters.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(options.locale ?? locale(), {
      ...fields,
      ...(options.timeZone ? { timeZone: options.timeZone } : {}),
    });
    formatters.set(key, f);
  }
  return f;
}

/** The calendar day of `ts` in the chosen zone, as `YYYY-MM-DD` (sortable, comparable). */
export function dayKey(ts: number, options: TimeOptions = {}): string {
  const parts = formatter({ timeZone: options.timeZone }, { year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(
    ts,
  );
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? "00";
  return `${get("year")}-${get("month")}-${get("day")}`;
}

/** Whole calendar days from the day of `from` to the day of `to` (0 = same day, 1 = `from` was yesterday). */
export function calendarDaysBetween(from: number, to: number, options: TimeOptions = {}): number {
  const a = Date.parse(`${dayKey(from, options)}T00:00:00Z`);
  const b = Date.parse(`${dayKey(to, options)}T00:00:00Z`);
  return Math.round((b - a) / (24 * HOUR));
}

/** "14:05" (or "2:05 PM", by locale). */
export function formatClock(ts: number, options: TimeOptions = {}): string {
  return formatter(options, { timeStyle: "short" }).format(ts);
}

function sameYear(a: number, b: number, options: TimeOptions): boolean {
  return dayKey(a, options).slice(0, 4) === dayKey(b, options).slice(0, 4);
}

function formatDate(ts: number, now: number, options: TimeOptions, month: "long" | "short"): string {
  const fields: Intl.DateTimeFormatOptions = { day: "numeric", month };
  if (!sameYear(ts, now, options)) fields.year = "numeric";
  return formatter(options, fields).format(ts);
}

/** The label of a day separator: "Today", "Yesterday", a weekday within the last week, else a date. */
export function formatDayLabel(ts: number, now: number, options: TimeOptions = {}): string {
  const days = calendarDaysBetween(ts, now, options);
  if (days === 0) return t("time.today");
  if (days === 1) return t("time.yesterday");
  if (days > 1 && days < 7) return formatter(options, { weekday: "long" }).format(ts);
  return formatDate(ts, now, options, "long");
}

/** The short time in a conversation list row: a clock time today, "Yesterday", a weekday, else a date. */
export function formatListTime(ts: number, now: number, options: TimeOptions = {}): string {
  const days = calendarDaysBetween(ts, now, options);
  if (days <= 0) return formatClock(ts, options);
  if (days === 1) return t("time.yesterday");
  if (days < 7) return formatter(options, { weekday: "short" }).format(ts);
  return formatDate(ts, now, options, "short");
}

/** "online", "last seen just now / 5 minutes ago / today at 14:05 / yesterday at 09:30 / on 3 March", or "offline". */
export function formatLastSeen(
  presence: { online: boolean; lastSeenAt: number | null } | undefined,
  now: number,
  options: TimeOptions = {},
): string {
  if (!presence) return "";
  if (presence.online) return t("presence.online");
  const at = presence.lastSeenAt;
  if (at === null) return t("presence.offline");
  const ago = Math.max(0, now - at);
  if (ago < MINUTE) return t("presence.justNow");
  if (ago < HOUR) {
    const minutes = Math.floor(ago / MINUTE);
    const relative = new Intl.RelativeTimeFormat(options.locale ?? locale(), { numeric: "always" });
    return t("presence.ago", { ago: relative.format(-minutes, "minute") });
  }
  const days = calendarDaysBetween(at, now, options);
  if (days <= 0) return t("presence.today", { time: formatClock(at, options) });
  if (days === 1) return t("presence.yesterday", { time: formatClock(at, options) });
  return t("presence.on", { date: formatDate(at, now, options, "long") });
}

/** A full date and time for tooltips: "Monday, 3 March 2025 at 14:05". */
export function formatFullTimestamp(ts: number, options: TimeOptions = {}): string {
  return formatter(options, { dateStyle: "full", timeStyle: "short" }).format(ts);
}
