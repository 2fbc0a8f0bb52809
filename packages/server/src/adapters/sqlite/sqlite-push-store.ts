// Push subscriptions, notification settings and mutes in the embedded SQLite database (the tables of migration 4).

import {
  DEFAULT_NOTIFICATION_SETTINGS,
  type NotificationSettingsRecord,
  type PushStore,
  type PushSubscriptionRecord,
} from "../../ports/push-store.js";
import type { SqliteHandle } from "./sqlite-handle.js";

const SUBSCRIPTION_COLUMNS =
  "endpoint, kind, user_id AS userId, session_id AS sessionId, p256dh, auth, created_at AS createdAt, " +
  "last_success_at AS lastSuccessAt, last_failure_at AS lastFailureAt, failures";

/** A role over the SqliteStore's handle (`SqliteStore.handle`), which has already migrated the schema. */
export class SqlitePushStore implements PushStore {
  private readonly q;
  private readonly saveTx: (s: Omit<PushSubscriptionRecord, "lastSuccessAt" | "lastFailureAt" | "failures">, max: number) => void;

  constructor(handle: SqliteHandle) {
    this.q = {
      notifyAll: handle.prepare<[string, string]>(
        "INSERT INTO channel_notify_all (conversation_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
      ),
      notifyMentions: handle.prepare<[string, string]>(
        "DELETE FROM channel_notify_all WHERE conversation_id = ? AND user_id = ?",
      ),
      notifyAllOf: handle.pluck<[string], string>("SELECT user_id FROM channel_notify_all WHERE conversation_id = ?"),
      upsert: handle.prepare<[string, string, string, string, string, string, number]>(
        "INSERT INTO push_subscriptions (endpoint, kind, user_id, session_id, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT (endpoint) DO UPDATE SET kind = excluded.kind, user_id = excluded.user_id, session_id = excluded.session_id, " +
          "p256dh = excluded.p256dh, auth = excluded.auth, created_at = excluded.created_at, last_success_at = NULL, " +
          "last_failure_at = NULL, failures = 0",
      ),
      trim: handle.prepare<[string, string, number]>(
        "DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint IN " +
          "(SELECT endpoint FROM push_subscriptions WHERE user_id = ? ORDER BY created_at DESC, endpoint LIMIT -1 OFFSET ?)",
      ),
      delete: handle.prepare<[string]>("DELETE FROM push_subscriptions WHERE endpoint = ?"),
      deleteOwned: handle.prepare<[string, string]>("DELETE FROM push_subscriptions WHERE endpoint = ? AND user_id = ?"),
      deleteSession: handle.prepare<[string]>("DELETE FROM push_subscriptions WHERE session_id = ?"),
      // A JSON array parameter gives a variable-length IN list without preparing a statement per length.
      list: handle.prepare<[string], PushSubscriptionRecord>(
        `SELECT ${SUBSCRIPTION_COLUMNS} FROM push_subscriptions WHERE user_id IN (SELECT value FROM json_each(?)) ` +
          "ORDER BY user_id, created_at, endpoint",
      ),
      success: handle.prepare<[number, string]>(
        "UPDATE push_subscriptions SET last_success_at = ?, failures = 0 WHERE endpoint = ?",
      ),
      failure: handle.prepare<[number, string]>(
        "UPDATE push_subscriptions SET last_failure_at = ?, failures = failures + 1 WHERE endpoint = ?",
      ),
      settings: handle.prepare<[string], { dndUntil: number | null; previews: number; mentionsInMuted: number }>(
        "SELECT dnd_until AS dndUntil, previews, mentions_in_muted AS mentionsInMuted FROM notification_settings " +
          "WHERE user_id = ?",
      ),
      saveSettings: handle.prepare<[string, number | null, number, number]>(
        "INSERT INTO notification_settings (user_id, dnd_until, previews, mentions_in_muted) VALUES (?, ?, ?, ?) " +
          "ON CONFLICT (user_id) DO UPDATE SET dnd_until = excluded.dnd_until, previews = excluded.previews, " +
          "mentions_in_muted = excluded.mentions_in_muted",
      ),
      mute: handle.prepare<[string, string, number]>(
        "INSERT INTO conversation_mutes (user_id, conversation_id, until) VALUES (?, ?, ?) " +
          "ON CONFLICT (user_id, conversation_id) DO UPDATE SET until = excluded.until",
      ),
      unmute: handle.prepare<[string, string]>("DELETE FROM conversation_mutes WHERE user_id = ? AND conversation_id = ?"),
      mutes: handle.prepare<[string, number], { conversationId: string; until: number }>(
        "SELECT conversation_id AS conversationId, until FROM conversation_mutes WHERE user_id = ? AND until > ? ORDER BY conversation_id",
      ),
      muteOf: handle.pluck<[string, string, number], number>(
        "SELECT until FROM conversation_mutes WHERE user_id = ? AND conversation_id = ? AND until > ?",
      ),
    };
    this.saveTx = handle.transaction((s, max) => {
      this.q.upsert.run(s.endpoint, s.kind, s.userId, s.sessionId, s.p256dh, s.auth, s.createdAt);
      this.q.trim.run(s.userId, s.userId, max);
    });
  }

  async saveSubscription(
    subscription: Omit<PushSubscriptionRecord, "lastSuccessAt" | "lastFailureAt" | "failures">,
    maxPerUser: number,
  ): Promise<void> {
    this.saveTx(subscription, maxPerUser);
  }

  async deleteSubscription(endpoint: string, userId?: string): Promise<boolean> {
    const r = userId === undefined ? this.q.delete.run(endpoint) : this.q.deleteOwned.run(endpoint, userId);
    return r.changes > 0;
  }

  async deleteSessionSubscriptions(sessionId: string): Promise<number> {
    return this.q.deleteSession.run(sessionId).changes;
  }

  async listSubscriptions(userIds: readonly string[]): Promise<PushSubscriptionRecord[]> {
    if (userIds.length === 0) return [];
    return this.q.list.all(JSON.stringify(userIds));
  }

  async recordDelivery(endpoint: string, ok: boolean, at: number): Promise<void> {
    (ok ? this.q.success : this.q.failure).run(at, endpoint);
  }

  async getNotificationSettings(userId: string): Promise<NotificationSettingsRecord> {
    const row = this.q.settings.get(userId);
    return row
      ? { dndUntil: row.dndUntil, previews: row.previews === 1, mentionsInMuted: row.mentionsInMuted === 1 }
      : { ...DEFAULT_NOTIFICATION_SETTINGS };
  }

  async updateNotificationSettings(
    userId: string,
    patch: Partial<NotificationSettingsRecord>,
  ): Promise<NotificationSettingsRecord> {
    const next = { ...(await this.getNotificationSettings(userId)), ...patch };
    this.q.saveSettings.run(userId, next.dndUntil, next.previews ? 1 : 0, next.mentionsInMuted ? 1 : 0);
    return next;
  }

  async setMute(userId: string, conversationId: string, until: number | null): Promise<void> {
    if (until === null) this.q.unmute.run(userId, conversationId);
    else this.q.mute.run(userId, conversationId, until);
  }

  async listMutes(userId: string, now: number): Promise<{ conversationId: string; until: number }[]> {
    return this.q.mutes.all(userId, now);
  }

  async getMute(userId: string, conversationId: string, now: number): Promise<number | null> {
    return this.q.muteOf.get(userId, conversationId, now) ?? null;
  }

  async setChannelLevel(userId: string, conversationId: string, level: "all" | "mentions"): Promise<void> {
    if (level === "all") this.q.notifyAll.run(conversationId, userId);
    else this.q.notifyMentions.run(conversationId, userId);
  }

  async listChannelNotifyAll(conversationId: string): Promise<string[]> {
    return this.q.notifyAllOf.all(conversationId);
  }
}
