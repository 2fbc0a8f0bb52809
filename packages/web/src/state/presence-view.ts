// Other people's presence as this device can vouch for it: while the connection is down nothing is known (what was
// true when it dropped goes stale at once, and showing it would claim that people are online), so nothing is shown.

import type { Presence } from "@parley/client";
import { t } from "../i18n/i18n.js";
import { useChat } from "./store-context.js";

const UNKNOWN: Readonly<Record<string, Presence>> = Object.freeze({});

export interface PresenceView {
  /** Presence by user id; empty while `known` is false. */
  presence: Readonly<Record<string, Presence>>;
  /** Connected: presence is live. */
  known: boolean;
}

export function usePresence(): PresenceView {
  const known = useChat((s) => s.connection === "connected");
  const presence = useChat((s) => s.presence);
  return { presence: known ? presence : UNKNOWN, known };
}

/** What a chat's header says about presence while it is unknown. */
export const presenceUnknownText = () => t("presence.unknown");
