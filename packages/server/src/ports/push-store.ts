// The push storage port: devices' push subscriptions, users' notification settings and conversation mutes.

/** Stored in place of "forever" so every `until` compares as a number (the largest JS date, 8.64e15 ms). */
export const FOREVER = 8_640_000_000_000_000;

export interface PushSubscriptionRecord {
  /** The push service URL; unique: a browser profile has one per application server key. */
  endpoint: string;
  /** Which provider delivers to it; "webpush" is the only one built in (docs/architecture.md, push provider port). */
  kind: string;
  userId: string;
  /** The device session that registered it: logging that device out removes it. */
  sessionId: string;
  /** Subscription keys (base64url): the client's P-256 public key and auth secret (RFC 8291). */
  p256dh: string;
  auth: string;
  createdAt: number;
  lastSuccessAt: number | null;
  lastFailureAt: number | null;
  /** Failures since the last success. */
  failures: number;
}

export interface NotificationSettingsRecord {
  /** Do not disturb until this time (FOREVER for always); null: off. */
  dndUntil: number | null;
  /** Whether notifications may carry message text. */
  previews: boolean;
  /** Whether a message that mentions the user notifies even in a conversation the user muted. */
  mentionsInMuted: boolean;
}

export const DEFAULT_NOTIFICATION_SETTINGS: NotificationSettingsRecord = {
  dndUntil: null,
  previews: false,
  mentionsInMuted: false,
};

export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export interface PushStore {
  /**
   * Stores the subscription, replacing one with the same endpoint (whoever registered it before: the endpoint now
   * belongs to this user and device). Keeps at most `maxPerUser` per user by deleting that user's oldest.
   */
  saveSubscription(
    subscription: Omit<PushSubscriptionRecord, "lastSuccessAt" | "lastFailureAt" | "failures">,
    maxPerUser: number,
  ): Promise<void>;
  /** Deletes the endpoint; with `userId`, only if it belongs to that user. True when a row was deleted. */
  deleteSubscription(endpoint: string, userId?: string): Promise<boolean>;
  /** Deletes every subscription the device session registered; returns how many. */
  deleteSessionSubscriptions(sessionId: string): Promise<number>;
  /** The subscriptions of these users (one query for a whole coalescing window), each user's oldest first. */
  listSubscriptions(userIds: readonly string[]): Promise<PushSubscriptionRecord[]>;
  /** Records a delivery outcome: success resets the failure count. No-op for an unknown endpoint. */
  recordDelivery(endpoint: string, ok: boolean, at: number): Promise<void>;

  /** The user's settings, or the defaults when never set. */
  getNotificationSettings(userId: string): Promise<NotificationSettingsRecord>;
  /** Applies the fields given; returns the result. */
  updateNotificationSettings(userId: string, patch: Partial<NotificationSettingsRecord>): Promise<NotificationSettingsRecord>;

  /** Mutes the conversation for the user until `until` (FOREVER for always), or unmutes it (null). */
  setMute(userId: string, conversationId: string, until: number | null): Promise<void>;
  /** The user's mutes that still hold at `now`. */
  listMutes(userId: string, now: number): Promise<{ conversationId: string; until: number }[]>;
  /** When the user's mute of the conversation ends, if it still holds at `now`; null when not muted. */
  getMute(userId: string, conversationId: string, now: number): Promise<number | null>;

  /** A channel member's notification level: `all` (every message) or `mentions` (the default; nothing stored). */
  setChannelLevel(userId: string, conversationId: string, level: "all" | "mentions"): Promise<void>;
  /** The members of the channel who chose `all` (a small table read per notified batch, never the member list). */
  listChannelNotifyAll(conversationId: string): Promise<string[]>;

  /**
   * Shared VAPID keys (cluster mode): stores `candidate` unless keys are stored already, and returns the stored keys,
   * so that every node ends up with the same pair whichever started first. Undefined when the adapter keeps none
   * (the embedded server keeps them in its data directory).
   */
  claimVapidKeys?(candidate: VapidKeys, at: number): Promise<VapidKeys>;
}
