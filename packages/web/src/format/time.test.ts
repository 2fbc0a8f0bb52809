import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setLanguage } from "../i18n/i18n.js";
import {
  calendarDaysBetween,
  dayKey,
  formatClock,
  formatDayLabel,
  formatLastSeen,
  formatListTime,
  type TimeOptions,
} from "./time.js";

const utc: TimeOptions = { locale: "en-GB", timeZone: "UTC" };
const at = (iso: string) => Date.parse(iso);
// Wednesday 12 March 2025, 15:00 UTC
const now = at("2025-03-12T15:00:00Z");

describe("dayKey and calendarDaysBetween", () => {
  it("uses the calendar day of the time zone, not 24-hour spans", () => {
    assert.equal(dayKey(at("2025-03-12T23:59:00Z"), utc), "2025-03-12");
    assert.equal(dayKey(at("2025-03-12T23:59:00Z"), { timeZone: "Asia/Tokyo" }), "2025-03-13");
    assert.equal(calendarDaysBetween(at("2025-03-11T23:59:00Z"), at("2025-03-12T00:01:00Z"), utc), 1);
    assert.equal(calendarDaysBetween(at("2025-03-12T00:01:00Z"), at("2025-03-12T23:59:00Z"), utc), 0);
    assert.equal(calendarDaysBetween(at("2024-12-31T12:00:00Z"), at("2025-01-01T12:00:00Z"), utc), 1);
  });
});

describe("formatDayLabel", () => {
  it("says Today, Yesterday, a weekday within a week, else a date", () => {
    assert.equal(formatDayLabel(at("2025-03-12T08:00:00Z"), now, utc), "Today");
    assert.equal(formatDayLabel(at("2025-03-11T22:00:00Z"), now, utc), "Yesterday");
    assert.equal(formatDayLabel(at("2025-03-08T10:00:00Z"), now, utc), "Saturday");
    assert.equal(formatDayLabel(at("2025-03-01T10:00:00Z"), now, utc), "1 March");
    assert.equal(formatDayLabel(at("2024-11-20T10:00:00Z"), now, utc), "20 November 2024");
  });
});

describe("formatClock", () => {
  it("follows the locale's clock", () => {
    assert.equal(formatClock(at("2025-03-12T09:05:00Z"), utc), "09:05");
    assert.equal(formatClock(at("2025-03-12T21:05:00Z"), { locale: "en-US", timeZone: "UTC" }).replace(/\s/g, " "), "9:05 PM");
  });
});

describe("formatListTime", () => {
  it("shows a clock time today and shorter labels for older days", () => {
    assert.equal(formatListTime(at("2025-03-12T09:05:00Z"), now, utc), formatClock(at("2025-03-12T09:05:00Z"), utc));
    assert.equal(formatListTime(at("2025-03-11T09:05:00Z"), now, utc), "Yesterday");
    assert.equal(formatListTime(at("2025-03-09T09:05:00Z"), now, utc), "Sun");
    assert.equal(formatListTime(at("2025-02-02T09:05:00Z"), now, utc), "2 Feb");
    assert.equal(formatListTime(at("2023-02-02T09:05:00Z"), now, utc), "2 Feb 2023");
  });

  it("treats a timestamp slightly in the future (clock skew) as today", () => {
    assert.equal(formatListTime(now + 30_000, now, utc), formatClock(now + 30_000, utc));
  });
});

describe("formatLastSeen", () => {
  it("says online while online", () => {
    assert.equal(formatLastSeen({ online: true, lastSeenAt: now - 1000 }, now, utc), "online");
  });

  it("counts minutes within the hour", () => {
    assert.equal(formatLastSeen({ online: false, lastSeenAt: now - 20_000 }, now, utc), "last seen just now");
    assert.equal(formatLastSeen({ online: false, lastSeenAt: now - 5 * 60_000 }, now, utc), "last seen 5 minutes ago");
    assert.equal(formatLastSeen({ online: false, lastSeenAt: now - 59 * 60_000 - 59_000 }, now, utc), "last seen 59 minutes ago");
  });

  it("uses today, yesterday and dates beyond the hour", () => {
    const clock = formatClock(at("2025-03-12T09:30:00Z"), utc);
    assert.equal(
      formatLastSeen({ online: false, lastSeenAt: at("2025-03-12T09:30:00Z") }, now, utc),
      `last seen today at ${clock}`,
    );
    assert.equal(
      formatLastSeen({ online: false, lastSeenAt: at("2025-03-11T09:30:00Z") }, now, utc),
      `last seen yesterday at ${clock}`,
    );
    assert.equal(formatLastSeen({ online: false, lastSeenAt: at("2025-03-03T09:30:00Z") }, now, utc), "last seen on 3 March");
  });

  it("handles unknown presence and users never seen", () => {
    assert.equal(formatLastSeen(undefined, now, utc), "");
    assert.equal(formatLastSeen({ online: false, lastSeenAt: null }, now, utc), "offline");
  });

  it("does not go negative when the server clock is ahead", () => {
    assert.equal(formatLastSeen({ online: false, lastSeenAt: now + 5000 }, now, utc), "last seen just now");
  });
});

describe("in German", () => {
  const de: TimeOptions = { locale: "de-DE", timeZone: "UTC" };
  it("labels days and last-seen times in German", () => {
    try {
      setLanguage("de", ["de-DE"]);
      assert.equal(formatDayLabel(at("2025-03-12T08:00:00Z"), now, de), "Heute");
      assert.equal(formatDayLabel(at("2025-03-11T08:00:00Z"), now, de), "Gestern");
      assert.equal(formatDayLabel(at("2025-03-10T08:00:00Z"), now, de), "Montag");
      assert.equal(formatLastSeen({ online: false, lastSeenAt: now - 5 * 60_000 }, now, de), "zuletzt online vor 5 Minuten");
      assert.equal(
        formatLastSeen({ online: false, lastSeenAt: at("2025-03-11T09:30:00Z") }, now, de),
        "zuletzt online gestern um 09:30",
      );
    } finally {
      setLanguage("en", []);
    }
  });
});
