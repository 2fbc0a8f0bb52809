// What the notification store needs from the browser: permission, the service worker and its push subscription.

import type { PushSubscriptionJSON } from "@parley/client";
import { SERVICE_WORKER_URL } from "../offline/service-worker.js";

export type Permission = "default" | "granted" | "denied";

export interface PushPlatform {
  /** False when this browser cannot receive Web Push (no service workers, PushManager or Notification). */
  supported(): boolean;
  permission(): Permission;
  requestPermission(): Promise<Permission>;
  /** This browser's current subscription, or null (registers the service worker first). */
  currentSubscription(): Promise<PushSubscriptionJSON | null>;
  /** Subscribes with the server's VAPID key (registers the service worker first). */
  subscribe(vapidPublicKey: string): Promise<PushSubscriptionJSON>;
  /** Drops this browser's subscription; returns its endpoint, or null when there was none. */
  unsubscribe(): Promise<string | null>;
}

export function urlBase64ToUint8Array(base64url: string): Uint8Array<ArrayBuffer> {
  const padded = base64url
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(base64url.length / 4) * 4, "=");
  const raw = atob(padded);
  const out = new Uint8Array(new ArrayBuffer(raw.length));
  for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
  return out;
}

function toJSON(subscription: PushSubscription): PushSubscriptionJSON {
  const json = subscription.toJSON();
  if (!json.endpoint || !json.keys?.["p256dh"] || !json.keys["auth"])
    throw new Error("The browser gave an incomplete push subscription");
  return {
    endpoint: json.endpoint,
    keys: { p256dh: json.keys["p256dh"], auth: json.keys["auth"] },
    expirationTime: json.expirationTime ?? null,
  };
}

/** The real browser. */
export function browserPushPlatform(win: Window & typeof globalThis): PushPlatform {
  const registration = async (): Promise<ServiceWorkerRegistration> => {
    await win.navigator.serviceWorker.register(SERVICE_WORKER_URL, { scope: "/" });
    return win.navigator.serviceWorker.ready;
  };
  return {
    supported: () => "serviceWorker" in win.navigator && "PushManager" in win && "Notification" in win,
    permission: () => win.Notification.permission,
    requestPermission: () => win.Notification.requestPermission(),
    async currentSubscription() {
      const s = await (await registration()).pushManager.getSubscription();
      return s ? toJSON(s) : null;
    },
    async subscribe(vapidPublicKey) {
      const reg = await registration();
      const key = urlBase64ToUint8Array(vapidPublicKey);
      const existing = await reg.pushManager.getSubscription();
      // A subscription made with another server key cannot be reused: the push service would refuse our token.
      if (existing) {
        const current = existing.options.applicationServerKey;
        const same = current && new Uint8Array(current).every((b, i) => b === key[i]) && current.byteLength === key.length;
        if (same) return toJSON(existing);
        await existing.unsubscribe();
      }
      return toJSON(await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key }));
    },
    async unsubscribe() {
      const s = await (await registration()).pushManager.getSubscription();
      if (!s) return null;
      await s.unsubscribe();
      return s.endpoint;
    },
  };
}
