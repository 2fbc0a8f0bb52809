// The app's icons as inline SVG (stroke icons on a 24-unit grid), sized by CSS and hidden from screen readers.

const paths = {
  send: "M4 12 20 4l-4 16-4-7-8-1Zm8 1 8-9",
  back: "M15 5 8 12l7 7",
  chat: "M5 5h14a2 2 0 0 1 2 2v8a2 2 0 0 1-2 2h-7l-5 4v-4H5a2 2 0 0 1-2-2V7a2 2 0 0 1 2-2Zm4 6h6m-3-3v6",
  group:
    "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7Zm-6 9c0-3.3 2.7-6 6-6s6 2.7 6 6m1-16.5a3.5 3.5 0 0 1 0 7m2.5 3.3c1.8.9 3 2.7 3 4.7",
  logout: "M14 4h4a2 2 0 0 1 2 2v12a2 2 0 0 1-2 2h-4M9 8l-4 4 4 4m-4-4h11",
  info: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm0-10v6m0-9.5v.5",
  close: "m6 6 12 12M18 6 6 18",
  down: "m6 9 6 6 6-6",
  clock: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm0-13v4.5l3 2",
  alert: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm0-13v5m0 3.5v.5",
  check: "m5 12.5 4.5 4.5L19 7.5",
  checks: "m2 12.5 4.5 4.5L16 7.5m-5.5 8.5 1 1L21 7.5",
  offline:
    "M3 3l18 18M8.5 16.4a5 5 0 0 1 7 0M5 12.9a10 10 0 0 1 5-2.7m4 .1a10 10 0 0 1 5 2.6M2 9.4a15 15 0 0 1 4.5-2.9m4-.9A15 15 0 0 1 22 9.4M12 20h.01",
  plus: "M12 5v14M5 12h14",
  emoji: "M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18Zm-3.5-7a4 4 0 0 0 7 0M9 9.5v.5m6-.5v.5",
  attach: "m20 11.5-8 8a5 5 0 0 1-7-7l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7L9.7 17.2a1.7 1.7 0 0 1-2.4-2.4l7.7-7.7",
  edit: "M4 20h4L19 9l-4-4L4 16v4Zm9-13 4 4",
  bell: "M6 16V11a6 6 0 1 1 12 0v5l2 2H4l2-2Zm4 4a2 2 0 0 0 4 0",
  bellOff: "M3 3l18 18M8.3 4.9A6 6 0 0 1 18 11v3.5M17 18H4l2-2v-5c0-1 .2-1.9.6-2.7M10 20a2 2 0 0 0 4 0",
  file: "M14 3H7a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h10a2 2 0 0 0 2-2V8l-5-5Zm0 0v5h5M9 13h6m-6 4h6",
  download: "M12 4v11m-5-5 5 5 5-5M5 20h14",
  search: "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14Zm5-2 4.5 4.5",
  user: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-7 8c0-3.9 3.1-7 7-7s7 3.1 7 7",
  channel: "M9 4 7 20m10-16-2 16M4 9h16M3 15h16",
  shield: "M12 3 5 6v5c0 4.5 3 8.5 7 10 4-1.5 7-5.5 7-10V6l-7-3Zm-3 9 2 2 4-4",
} as const;

export type IconName = keyof typeof paths;

export function Icon({ name, className }: { name: IconName; className?: string }) {
  return (
    <svg
      className={className ? `icon ${className}` : "icon"}
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
    >
      <path d={paths[name]} />
    </svg>
  );
}
