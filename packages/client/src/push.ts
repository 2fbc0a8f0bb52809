// Push notifications through the SDK: the server's Web Push key, this device's subscription, mutes and settings.

import type { ConversationMute, GroupAdds, MuteUntil, PushConfig, Settings } from "@parley/protocol";
import type { OpCall } from "./calls.js";

/** `PushSubscription.toJSON()` of a browser, or the same fields from elsewhere. */
export interface PushSubscriptionJSON {
  endpoint: string;
  keys: { p256dh: string; auth: string };
  expirationTime?: number | null;
}

export class PushApi {
  readonly #call: OpCall;

  constructor(call: OpCall) {
    this.#call = call;
  }

  /** Whether the server sends push notifications, and the VAPID key to subscribe with (`applicationServerKey`). */
  config(): Promise<PushConfig> {
    return this.#call("push.config", {});
  }

  /** Registers this device's subscription; logging this device out removes it on the server. */
  async subscribe(subscription: PushSubscriptionJSON): Promise<void> {
    const { endpoint, keys, expirationTime } = subscription;
    await this.#call("push.subscribe", {
      endpoint,
      keys: { p256dh: keys.p256dh, auth: keys.auth },
      ...(expirationTime === undefined ? {} : { expirationTime }),
    });
  }

  async unsubscribe(endpoint: string): Promise<void> {
    await this.#call("push.unsubscribe", { endpoint });
  }

  /** Mutes the conversation's notifications until a time (ms since the epoch) or for ever. */
  mute(conversationId: string, until: Exclude<MuteUntil, null> = "forever"): Promise<ConversationMute> {
    return this.#call("conversations.mute", { conversationId, until });
  }

  unmute(conversationId: string): Promise<ConversationMute> {
    return this.#call("conversations.mute", { conversationId, until: null });
  }

  /** The notification settings, and who may add the user to groups (`groupAdds`). */
  settings(): Promise<Settings> {
    return this.#call("settings.get", {});
  }

  /**
   * `dnd`: do not disturb until a time, for ever, or off (null); `previews`: allow message text in notifications;
   * `mentionsInMuted`: messages that mention the user notify even in muted conversations;
   * `groupAdds`: who may add the user to groups (everyone, only the user's contacts, nobody).
   */
  updateSettings(patch: {
    dnd?: MuteUntil;
    previews?: boolean;
    mentionsInMuted?: boolean;
    groupAdds?: GroupAdds;
  }): Promise<Settings> {
    return this.#call("settings.update", patch);
  }
}
