// Retention periods and disappearing-message timers in words ("1 hour", "7 days"), and the choices the app offers.

/** The disappearing-messages timers of the protocol (§6.14), in seconds, with their labels; null is "Off". */
export const DISAPPEAR_CHOICES: readonly { seconds: number | null; label: string }[] = [
  { seconds: null, label: "Off" },
  { seconds: 3600, label: "1 hour" },
  { seconds: 86_400, label: "1 day" },
  { seconds: 604_800, label: "7 days" },
  { seconds: 2_592_000, label: "30 days" },
];

/** Retention periods offered for a conversation; the server refuses one longer than its maximum. */
export const RETENTION_CHOICES: readonly { seconds: number | null; label: string }[] = [
  { seconds: null, label: "Server default" },
  { seconds: 86_400, label: "1 day" },
  { seconds: 604_800, label: "7 days" },
  { seconds: 2_592_000, label: "30 days" },
  { seconds: 7_776_000, label: "90 days" },
  { seconds: 31_536_000, label: "1 year" },
];

/** "1 hour", "7 days", "90 minutes"; whole days, hours or minutes where they fit. */
export function formatDuration(seconds: number): string {
  const units: [number, string][] = [
    [86_400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}
