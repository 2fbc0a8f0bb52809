// Push notifications in the web app: whether this device receives them, and the user's mutes, do not disturb and
// previews. Kept apart from the ChatStore; it follows its session (loads on sign-in, resets on sign-out).

import type { MuteUntil, NotificationSettings, ParleyClient } from "@parley/client";
import { reportBestEffort } from "../app/best-effort.js";
import { errorText } from "../i18n/errors.js";
import { t } from "../i18n/i18n.js";
import type { Permission, PushPlatform } from "./push-platform.js";

export interface NotificationState {
  supported: boolean;
  /** False when the server sends no push notifications. */
  serverEnabled: boolean;
  permission: Permission;
  /** This device's subscription is registered with the server. */
  subscribed: boolean;
  settings: NotificationSettings | null;
  busy: boolean;
  error: string | null;
  /** Alerts for new messages while a tab of the app is in the background (this browser's choice, see tab-alerts.ts). */
  tabAlerts: TabAlertPrefs;
}

export interface TabAlertPrefs {
  /** Show a browser notification (needs the notification permission). */
  notify: boolean;
  /** Play a short sound. */
  sound: boolean;
}

/** Where the store remembers which users turned notifications on in this browser. */
export interface OptInStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const OPT_IN_PREFIX = "parley.push.";
const TAB_ALERTS_KEY = "parley.tab-alerts";
const DEFAULT_TAB_ALERTS: TabAlertPrefs = { notify: true, sound: true };

export class NotificationStore {
  readonly #client: ParleyClient;
  readonly #platform: PushPlatform;
  readonly #optIns: OptInStorage;
  /** Opt-in choices the storage refused, by key: they hold for the life of the page. */
  readonly #unsaved = new Map<string, boolean>();
  readonly #listeners = new Set<() => void>();
  readonly #now: () => number;
  #state: NotificationState;
  #vapidKey: string | null = null;

  constructor(client: ParleyClient, platform: PushPlatform, optIns: OptInStorage, now: () => number = Date.now) {
    this.#client = client;
    this.#platform = platform;
    this.#optIns = optIns;
    this.#now = now;
    this.#state = this.#initial();
  }

  getState = (): NotificationState => this.#state;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  /**
   * After sign-in: loads the server's push configuration and the user's settings, and, when this user turned
   * notifications on in this browser before and the browser still has the subscription and permission, registers it
   * again (the server forgets a device's subscription at sign-out). Another user of the same browser is not signed up
   * for notifications by someone else's choice: each user opts in for themself.
   */
  async load(): Promise<void> {
    try {
      const [config, settings] = await Promise.all([this.#client.push.config(), this.#client.push.settings()]);
      this.#vapidKey = config.vapidPublicKey;
      this.#set({ serverEnabled: config.enabled, settings, permission: this.#permission() });
      if (!config.enabled || !this.#state.supported || this.#platform.permission() !== "granted") return;
      if (!this.#optedIn()) return;
      const existing = await this.#platform.currentSubscription();
      if (existing) {
        await this.#client.push.subscribe(existing);
        this.#set({ subscribed: true });
      }
    } catch (error) {
      this.#set({ error: message(error) });
    }
  }

  /** Asks for permission, subscribes this browser with the server's key and registers the subscription. */
  async enable(): Promise<void> {
    if (!this.#state.supported || !this.#vapidKey) return;
    await this.#run(async () => {
      const permission = await this.#platform.requestPermission();
      this.#set({ permission });
      if (permission !== "granted") throw new Error(t("notifications.blocked"));
      const subscription = await this.#platform.subscribe(this.#vapidKey!);
      await this.#client.push.subscribe(subscription);
      this.#setOptIn(true);
      this.#set({ subscribed: true });
    });
  }

  async disable(): Promise<void> {
    await this.#run(async () => {
      const endpoint = await this.#platform.unsubscribe();
      if (endpoint) await this.#client.push.unsubscribe(endpoint);
      this.#setOptIn(false);
      this.#set({ subscribed: false });
    });
  }

  /** Whether the conversation is muted now. */
  isMuted(conversationId: string): boolean {
    const mute = this.#state.settings?.mutes.find((m) => m.conversationId === conversationId);
    return !!mute && (mute.mutedUntil === "forever" || (mute.mutedUntil !== null && mute.mutedUntil > this.#now()));
  }

  async setMuted(conversationId: string, muted: boolean): Promise<void> {
    await this.#run(async () => {
      const result = muted ? await this.#client.push.mute(conversationId) : await this.#client.push.unmute(conversationId);
      const settings = this.#state.settings;
      if (!settings) return;
      const mutes = settings.mutes.filter((m) => m.conversationId !== conversationId);
      if (result.mutedUntil !== null) mutes.push(result);
      this.#set({ settings: { ...settings, mutes } });
    });
  }

  async setDoNotDisturb(until: MuteUntil): Promise<void> {
    await this.#run(async () => this.#set({ settings: await this.#client.push.updateSettings({ dnd: until }) }));
  }

  async setPreviews(previews: boolean): Promise<void> {
    await this.#run(async () => this.#set({ settings: await this.#client.push.updateSettings({ previews }) }));
  }

  async setMentionsInMuted(mentionsInMuted: boolean): Promise<void> {
    await this.#run(async () => this.#set({ settings: await this.#client.push.updateSettings({ mentionsInMuted }) }));
  }

  /**
   * This browser's alerts while the app is in a background tab. Turning notifications on asks for the permission (call
   * it from a click: browsers ask only on a user gesture).
   */
  async setTabAlerts(patch: Partial<TabAlertPrefs>): Promise<void> {
    const tabAlerts = { ...this.#state.tabAlerts, ...patch };
    this.#set({ tabAlerts });
    try {
      this.#optIns.setItem(TAB_ALERTS_KEY, JSON.stringify(tabAlerts));
    } catch (error) {
      // Storage refused (private mode): the choice holds until the page closes.
      reportBestEffort("saving the background-tab alert choice", error);
    }
    if (patch.notify && this.#state.supported && this.#platform.permission() === "default") {
      await this.#run(async () => this.#set({ permission: await this.#platform.requestPermission() }));
    }
  }

  /** Signed out: forget everything (the server already dropped this device's subscription). */
  reset(): void {
    this.#vapidKey = null;
    this.#state = this.#initial();
    this.#emit();
  }

  dismissError(): void {
    this.#set({ error: null });
  }

  async #run(work: () => Promise<void>): Promise<void> {
    this.#set({ busy: true, error: null });
    try {
      await work();
    } catch (error) {
      this.#set({ error: message(error) });
    } finally {
      this.#set({ busy: false });
    }
  }

  #optInKey(): string | null {
    const userId = this.#client.credentials?.user.id;
    return userId ? `${OPT_IN_PREFIX}${userId}` : null;
  }

  #optedIn(): boolean {
    const key = this.#optInKey();
    if (key === null) return false;
    return this.#unsaved.get(key) ?? this.#optIns.getItem(key) === "1";
  }

  #setOptIn(on: boolean): void {
    const key = this.#optInKey();
    if (key === null) return;
    try {
      if (on) this.#optIns.setItem(key, "1");
      else this.#optIns.removeItem(key);
      this.#unsaved.delete(key);
    } catch {
      // Storage refused (private mode): the choice holds in memory, and notifications still work, until the page closes.
      this.#unsaved.set(key, on);
    }
  }

  #permission(): Permission {
    return this.#state.supported ? this.#platform.permission() : "denied";
  }

  #initial(): NotificationState {
    const supported = this.#platform.supported();
    return {
      supported,
      serverEnabled: false,
      permission: supported ? this.#platform.permission() : "denied",
      subscribed: false,
      settings: null,
      busy: false,
      error: null,
      tabAlerts: this.#savedTabAlerts(),
    };
  }

  #savedTabAlerts(): TabAlertPrefs {
    try {
      const saved = JSON.parse(this.#optIns.getItem(TAB_ALERTS_KEY) ?? "null") as Partial<TabAlertPrefs> | null;
      return {
        notify: typeof saved?.notify === "boolean" ? saved.notify : DEFAULT_TAB_ALERTS.notify,
        sound: typeof saved?.sound === "boolean" ? saved.sound : DEFAULT_TAB_ALERTS.sound,
      };
    } catch {
      return { ...DEFAULT_TAB_ALERTS };
    }
  }

  #set(patch: Partial<NotificationState>): void {
    this.#state = { ...this.#state, ...patch };
    this.#emit();
  }

  #emit(): void {
    for (const l of this.#listeners) l();
  }
}

function message(error: unknown): string {
  return errorText(error);
}
