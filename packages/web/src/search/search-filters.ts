// Turns the search form's fields into SDK filters: dates are local calendar days, the range inclusive of both days.

import type { SearchFilters } from "@parley/client";

export interface SearchForm {
  conversationId: string | null;
  senderId: string;
  /** "YYYY-MM-DD" from an <input type="date">, or "". */
  from: string;
  to: string;
}

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Local midnight at the start of `day`, or undefined when it is not a date. */
export function startOfDay(day: string): number | undefined {
  const m = DAY.exec(day);
  if (!m) return undefined;
  const [year, month, date] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const at = new Date(year, month - 1, date);
  // Date rolls 2026-13-99 over into 2027: only a day that exists is a day.
  if (at.getFullYear() !== year || at.getMonth() !== month - 1 || at.getDate() !== date) return undefined;
  return at.getTime();
}

export function toFilters(form: SearchForm, limit = 20): SearchFilters {
  const filters: SearchFilters = { limit };
  if (form.conversationId) filters.conversationId = form.conversationId;
  if (form.senderId) filters.senderId = form.senderId;
  const from = startOfDay(form.from);
  // `after` is exclusive: one millisecond before the first day's midnight.
  if (from !== undefined) filters.after = Math.max(0, from - 1);
  const to = startOfDay(form.to);
  if (to !== undefined) {
    const next = new Date(to);
    next.setDate(next.getDate() + 1);
    filters.before = next.getTime();
  }
  return filters;
}
