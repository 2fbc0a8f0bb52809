// Alerts for new messages while the app's tab is in the background (hidden): a browser notification and a short
// sound, each switchable for this browser (NotificationStore.tabAlerts). They honour the user's mutes and do not
// disturb, and a mention notifies in a muted conversation when the user chose so (settings.mentionsInMuted), as the
// server's push notifications do (docs/protocol.md §6.9). They do not duplicate push notifications: the server sends
// none while this tab is connected, and both use the conversation as the notification's tag, so a push notification
// that arrived while the connection was down is replaced rather than joined by this one.

import type { Message } from "@parley/client";
import { mentionsUser, type NotificationSettings } from "@parley/protocol";
import { reportBestEffort } from "../app/best-effort.js";
import { t } from "../i18n/i18n.js";
import { bodyAsText } from "../mentions/mention-text.js";
import { conversationTitle, displayName } from "../state/conversations.js";
import type { ChatState } from "../state/types.js";
import type { NotificationState } from "./notification-store.js";

/** Older messages are a backlog delivered after a reconnect, not news: no alert. */
export const MAX_ALERT_AGE_MS = 60_000;
/** At most one sound in this long, however fast messages come. */
const SOUND_GAP_MS = 2_000;
const PREVIEW_CHARS = 160;

/** Whether a message that just arrived alerts: a recent text from someone else, in a conversation not silenced now. */
export function alertsFor(message: Message, me: string | undefined, settings: NotificationSettings | null, now: number): boolean {
  if (message.kind !== "text" || message.body === null || message.senderId === me || me === undefined) return false;
  if (message.createdAt < now - MAX_ALERT_AGE_MS) return false;
  if (!settings) return true;
  if (settings.dnd === "forever" || (typeof settings.dnd === "number" && settings.dnd > now)) return false;
  const mute = settings.mutes.find((m) => m.conversationId === message.conversationId)?.mutedUntil ?? null;
  const muted = mute === "forever" || (typeof mute === "number" && mute > now);
  return !muted || (settings.mentionsInMuted && mentionsUser(message.body, me));
}

/** The notification for a message: the conversation's name, and the text when previews are allowed. */
export function alertContent(message: Message, chat: ChatState, previews: boolean): { title: string; body: string } {
  const me = chat.me?.id;
  const c = chat.conversations[message.conversationId];
  const nameOf = (id: string) => displayName(chat.users[id], t("names.someone"));
  const sender = nameOf(message.senderId);
  const title = c ? conversationTitle(c, me, chat.users) : sender;
  const group = c?.kind === "group";
  const body = message.body ?? "";
  // End-to-end encrypted: its text stays out of the system's notification centre, as in a push.
  if (message.mls !== undefined) return { title, body: t("notifications.newEncrypted") };
  if (!previews) {
    const mentioned = me !== undefined && mentionsUser(body, me);
    return {
      title,
      body: mentioned ? t("notifications.mentioned", { name: sender }) : t("notifications.newFrom", { name: sender }),
    };
  }
  const text = bodyAsText(body, nameOf).replace(/\s+/g, " ").trim() || t("notifications.sentFile");
  const cut = text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 1)}…` : text;
  return { title, body: group ? `${sender}: ${cut}` : cut };
}

/** What the alerts need from the browser. */
export interface AlertPlatform {
  hidden(): boolean;
  /** "granted" when notifications may be shown. */
  permission(): NotificationPermission | "unsupported";
  showNotification(title: string, options: { body: string; tag: string; data: { url: string } }): Promise<void>;
  playSound(): void;
}

export interface AlertSources {
  chat(): ChatState;
  notifications(): NotificationState;
  onMessage(listener: (message: Message) => void): void;
}

export class TabAlerts {
  #lastSound = 0;

  constructor(
    private readonly sources: AlertSources,
    private readonly platform: AlertPlatform,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    this.sources.onMessage((message) => this.#consider(message));
  }

  #consider(message: Message): void {
    if (!this.platform.hidden()) return;
    const chat = this.sources.chat();
    const n = this.sources.notifications();
    const now = this.now();
    if (!alertsFor(message, chat.me?.id, n.settings, now)) return;
    if (n.tabAlerts.sound && now - this.#lastSound >= SOUND_GAP_MS) {
      this.#lastSound = now;
      this.platform.playSound();
    }
    if (n.tabAlerts.notify && this.platform.permission() === "granted") {
      const { title, body } = alertContent(message, chat, n.settings?.previews ?? false);
      const url = `/c/${message.conversationId}`;
      this.platform.showNotification(title, { body, tag: message.conversationId, data: { url } }).catch((error: unknown) => {
        console.warn("Could not show a notification", error);
      });
    }
  }
}

/** The real browser: notifications through the service worker when it runs (as push ones), a beep by Web Audio. */
export function browserAlertPlatform(win: Window & typeof globalThis, onOpen: (conversationId: string) => void): AlertPlatform {
  let audio: AudioContext | undefined;
  // Browsers let a page make sound only after the user interacted with it: the audio is set up on the first gesture.
  const unlock = () => {
    if (!audio && typeof win.AudioContext === "function") audio = new win.AudioContext();
    void audio?.resume().catch((error: unknown) => reportBestEffort("starting the alert sound", error));
  };
  win.addEventListener("pointerdown", unlock, { once: true, capture: true });
  win.addEventListener("keydown", unlock, { once: true, capture: true });
  return {
    hidden: () => win.document.visibilityState === "hidden",
    permission: () => ("Notification" in win ? win.Notification.permission : "unsupported"),
    async showNotification(title, options) {
      const full = { ...options, renotify: true, icon: "/icons/icon-192.png" } as NotificationOptions;
      const registration = await win.navigator.serviceWorker?.getRegistration();
      if (registration) {
        // A click goes to the service worker, which focuses this tab and asks it to open the conversation.
        await registration.showNotification(title, full);
        return;
      }
      const notification = new win.Notification(title, full);
      notification.onclick = () => {
        win.focus();
        onOpen(options.tag);
        notification.close();
      };
    },
    playSound() {
      if (audio?.state !== "running") return;
      const t = audio.currentTime;
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.setValueAtTime(880, t);
      tone.frequency.setValueAtTime(660, t + 0.09);
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.15, t + 0.01);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.25);
      tone.connect(gain).connect(audio.destination);
      tone.start(t);
      tone.stop(t + 0.26);
    },
  };
}
