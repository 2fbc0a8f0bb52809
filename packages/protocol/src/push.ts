// Push notification types: the server's push configuration, notification settings, mutes and the payload pushed.

/** A time in ms since the epoch until which something holds, `"forever"`, or null when off. */
export type MuteUntil = number | "forever" | null;

export interface PushConfig {
  /** False when the server sends no push notifications (`PARLEY_PUSH=false`); subscribing then fails. */
  enabled: boolean;
  /** The VAPID public key (base64url, uncompressed P-256 point) to pass as `applicationServerKey`; null when disabled. */
  vapidPublicKey: string | null;
}

export interface ConversationMute {
  conversationId: string;
  /** Until when the conversation sends the caller no push notifications; null: not muted. */
  mutedUntil: MuteUntil;
}

export interface NotificationSettings {
  /** Do not disturb: no push notifications at all until then; null: off. */
  dnd: MuteUntil;
  /** Whether a notification may carry the message text; otherwise it says only "New message from X". */
  previews: boolean;
  /** Whether messages that mention the user still notify in a muted conversation (do not disturb still silences them). */
  mentionsInMuted: boolean;
  /** The caller's muted conversations (only current mutes). */
  mutes: ConversationMute[];
}

/** Who may add the user to groups: anyone, only users in the user's own contacts, or nobody. */
export type GroupAdds = "everyone" | "contacts" | "nobody";

/** `settings.get`/`settings.update`: the notification settings and the privacy setting for group adds. */
export interface Settings extends NotificationSettings {
  groupAdds: GroupAdds;
}

/** The JSON a Web Push notification carries (encrypted for the subscription, RFC 8291). */
export interface PushPayload {
  /** "message": new messages; "added": the user was added to the group (and no message followed yet). */
  type: "message" | "added";
  conversationId: string;
  title: string;
  body: string;
  /** Unread messages from others in the conversation (at least the number this notification stands for); 0 for "added". */
  count: number;
  /** Seq of the newest message this notification stands for. */
  seq: number;
  /** Path of the web app that opens the conversation. */
  url: string;
  /** Present (true) for an end-to-end encrypted conversation (§6.15): `body` is never a preview then. */
  encrypted?: true;
}
