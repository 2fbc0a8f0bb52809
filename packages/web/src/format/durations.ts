// Retention periods and disappearing-message timers in words ("1 hour", "7 days", "7 Tage"), and the choices the app
// offers. Units are named by Intl.NumberFormat in the app's language.

import { locale } from "../i18n/i18n.js";

/** The disappearing-messages timers of the protocol (§6.14), in seconds; null is "Off". */
export const DISAPPEAR_CHOICES: readonly (number | null)[] = [null, 3600, 86_400, 604_800, 2_592_000];

/** Retention periods offered for a conversation; null is the server's default. The server refuses one longer than its maximum. */
export const RETENTION_CHOICES: readonly (number | null)[] = [null, 86_400, 604_800, 2_592_000, 7_776_000, 31_536_000];

const YEAR = 31_536_000;

/** "1 hour", "7 days", "90 minutes", "1 year"; whole years (of 365 days), days, hours or minutes where they fit. */
export function formatDuration(seconds: number, tag: string = locale()): string {
  const units: [number, string][] = [
    [YEAR, "year"],
    [86_400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, unit] of units) {
    if (seconds >= size && seconds % size === 0) return unitFormat(tag, unit).format(seconds / size);
  }
  return unitFormat(tag, "second").format(seconds);
}

function unitFormat(locale: string, unit: string): Intl.NumberFormat {
  return new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" });
}
