// Push subscriptions, notification settings, mutes and the shared VAPID keys in PostgreSQL (migration 4).

import type { Pool } from "pg";
import {
  DEFAULT_NOTIFICATION_SETTINGS,
  type NotificationSettingsRecord,
  type PushStore,
  type PushSubscriptionRecord,
  type VapidKeys,
} from "../../ports/push-store.js";
import type { PostgresHandle } from "./postgres-handle.js";

const SUBSCRIPTION_COLUMNS =
  'endpoint, kind, user_id AS "userId", session_id AS "sessionId", p256dh, auth, created_at AS "createdAt", ' +
  'last_success_at AS "lastSuccessAt", last_failure_at AS "lastFailureAt", failures';

/** A role over the PostgresStore's handle (`PostgresStore.handle`: its pool, bigint parsing, timeouts and schema). */
export class PostgresPushStore implements PushStore {
  private readonly pool: Pool;

  constructor(handle: PostgresHandle) {
    this.pool = handle.pool;
  }

  async saveSubscription(
    s: Omit<PushSubscriptionRecord, "lastSuccessAt" | "lastFailureAt" | "failures">,
    maxPerUser: number,
  ): Promise<void> {
    // One statement, so no transaction is needed: upsert, then trim the user's oldest beyond the limit.
    await this.pool.query(
      `WITH saved AS (
         INSERT INTO push_subscriptions (endpoint, kind, user_id, session_id, p256dh, auth, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (endpoint) DO UPDATE SET kind = excluded.kind, user_id = excluded.user_id,
           session_id = excluded.session_id, p256dh = excluded.p256dh, auth = excluded.auth,
           created_at = excluded.created_at, last_success_at = NULL, last_failure_at = NULL, failures = 0
         RETURNING endpoint
       )
       DELETE FROM push_subscriptions WHERE endpoint IN (
         SELECT endpoint FROM push_subscriptions WHERE user_id = $3 AND endpoint <> $1
         ORDER BY created_at DESC, endpoint OFFSET $8
       )`,
      [s.endpoint, s.kind, s.userId, s.sessionId, s.p256dh, s.auth, s.createdAt, Math.max(0, maxPerUser - 1)],
    );
  }

  async deleteSubscription(endpoint: string, userId?: string): Promise<boolean> {
    const r =
      userId === undefined
        ? await this.pool.query("DELETE FROM push_subscriptions WHERE endpoint = $1", [endpoint])
        : await this.pool.query("DELETE FROM push_subscriptions WHERE endpoint = $1 AND user_id = $2", [endpoint, userId]);
    return (r.rowCount ?? 0) > 0;
  }

  async deleteSessionSubscriptions(sessionId: string): Promise<number> {
    return (await this.pool.query("DELETE FROM push_subscriptions WHERE session_id = $1", [sessionId])).rowCount ?? 0;
  }

  async listSubscriptions(userIds: readonly string[]): Promise<PushSubscriptionRecord[]> {
    if (userIds.length === 0) return [];
    return (
      await this.pool.query<PushSubscriptionRecord>(
        `SELECT ${SUBSCRIPTION_COLUMNS} FROM push_subscriptions WHERE user_id = ANY($1::text[])
         ORDER BY user_id, created_at, endpoint`,
        [userIds],
      )
    ).rows;
  }

  async recordDelivery(endpoint: string, ok: boolean, at: number): Promise<void> {
    await this.pool.query(
      ok
        ? "UPDATE push_subscriptions SET last_success_at = $1, failures = 0 WHERE endpoint = $2"
        : "UPDATE push_subscriptions SET last_failure_at = $1, failures = failures + 1 WHERE endpoint = $2",
      [at, endpoint],
    );
  }

  async getNotificationSettings(userId: string): Promise<NotificationSettingsRecord> {
    const { rows } = await this.pool.query<NotificationSettingsRecord>(
      'SELECT dnd_until AS "dndUntil", previews, mentions_in_muted AS "mentionsInMuted" FROM notification_settings WHERE user_id = $1',
      [userId],
    );
    return rows[0] ?? { ...DEFAULT_NOTIFICATION_SETTINGS };
  }

  async updateNotificationSettings(
    userId: string,
    patch: Partial<NotificationSettingsRecord>,
  ): Promise<NotificationSettingsRecord> {
    // COALESCE keeps the fields not given; dnd_until may be set to NULL explicitly, hence the flag.
    const { rows } = await this.pool.query<NotificationSettingsRecord>(
      `INSERT INTO notification_settings AS s (user_id, dnd_until, previews, mentions_in_muted)
       VALUES ($1, $2, COALESCE($4, false), COALESCE($5, false))
       ON CONFLICT (user_id) DO UPDATE SET
         dnd_until = CASE WHEN $3 THEN excluded.dnd_until ELSE s.dnd_until END,
         previews = COALESCE($4, s.previews),
         mentions_in_muted = COALESCE($5, s.mentions_in_muted)
       RETURNING dnd_until AS "dndUntil", previews, mentions_in_muted AS "mentionsInMuted"`,
      [userId, patch.dndUntil ?? null, patch.dndUntil !== undefined, patch.previews ?? null, patch.mentionsInMuted ?? null],
    );
    return rows[0]!;
  }

  async setChannelLevel(userId: string, conversationId: string, level: "all" | "mentions"): Promise<void> {
    if (level === "all") {
      await this.pool.query("INSERT INTO channel_notify_all (conversation_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING", [
        conversationId,
        userId,
      ]);
    } else {
      await this.pool.query("DELETE FROM channel_notify_all WHERE conversation_id = $1 AND user_id = $2", [
        conversationId,
        userId,
      ]);
    }
  }

  async listChannelNotifyAll(conversationId: string): Promise<string[]> {
    const { rows } = await this.pool.query<{ userId: string }>(
      'SELECT user_id AS "userId" FROM channel_notify_all WHERE conversation_id = $1',
      [conversationId],
    );
    return rows.map((r) => r.userId);
  }

  async setMute(userId: string, conversationId: string, until: number | null): Promise<void> {
    if (until === null) {
      await this.pool.query("DELETE FROM conversation_mutes WHERE user_id = $1 AND conversation_id = $2", [
        userId,
        conversationId,
      ]);
      return;
    }
    await this.pool.query(
      `INSERT INTO conversation_mutes (user_id, conversation_id, until) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, conversation_id) DO UPDATE SET until = excluded.until`,
      [userId, conversationId, until],
    );
  }

  async listMutes(userId: string, now: number): Promise<{ conversationId: string; until: number }[]> {
    return (
      await this.pool.query<{ conversationId: string; until: number }>(
        'SELECT conversation_id AS "conversationId", until FROM conversation_mutes WHERE user_id = $1 AND until > $2 ORDER BY conversation_id',
        [userId, now],
      )
    ).rows;
  }

  async getMute(userId: string, conversationId: string, now: number): Promise<number | null> {
    const { rows } = await this.pool.query<{ until: number }>(
      "SELECT until FROM conversation_mutes WHERE user_id = $1 AND conversation_id = $2 AND until > $3",
      [userId, conversationId, now],
    );
    return rows[0]?.until ?? null;
  }

  async claimVapidKeys(candidate: VapidKeys, at: number): Promise<VapidKeys> {
    await this.pool.query(
      "INSERT INTO push_vapid_keys (id, public_key, private_key, created_at) VALUES (1, $1, $2, $3) ON CONFLICT (id) DO NOTHING",
      [candidate.publicKey, candidate.privateKey, at],
    );
    const { rows } = await this.pool.query<VapidKeys>(
      'SELECT public_key AS "publicKey", private_key AS "privateKey" FROM push_vapid_keys WHERE id = 1',
    );
    return rows[0]!;
  }
}
