// The AdminStore in PostgreSQL (the tables of migration 10): each administrator action and its audit entry in one
// transaction.

import type { AuditEntry } from "@parley/protocol";
import type { Pool, PoolClient } from "pg";
import type { AdminStore, AuditDraft, InviteRecord, PasswordResetRecord, UserPage } from "../../ports/admin-store.js";
import type { SessionRecord, UserRecord } from "../../ports/store.js";
import { type AuditContext, auditEntries } from "../audit-entries.js";
import { likePattern } from "../like-pattern.js";
import { SESSION_COLUMNS, USER_COLUMNS } from "./postgres-accounts.js";
import type { PostgresHandle } from "./postgres-handle.js";

const INVITE_COLUMNS =
  'id, secret_hash AS "secretHash", note, created_by AS "createdBy", created_at AS "createdAt", expires_at AS "expiresAt", ' +
  'max_uses AS "maxUses", uses, revoked_at AS "revokedAt", conversation_id AS "conversationId"';
const RESET_COLUMNS =
  'id, user_id AS "userId", secret_hash AS "secretHash", created_at AS "createdAt", expires_at AS "expiresAt", used_at AS "usedAt"';

/** Appends one audit entry (also used by the other roles whose actions are audited, as moderation's reports). */
export const AUDIT_INSERT = "INSERT INTO audit_log (at, actor_id, action, target, details) VALUES ($1, $2, $3, $4, $5)";

/** A role over the store's shared handle (`PostgresStore.handle`: its pool, bigint parsing, timeouts and schema). */
export class PostgresAdminStore implements AdminStore {
  constructor(private readonly handle: PostgresHandle) {}

  private async audit(client: Pool | PoolClient, draft: AuditDraft): Promise<void> {
    await client.query(AUDIT_INSERT, [draft.at, draft.actorId, draft.action, draft.target, JSON.stringify(draft.details)]);
  }

  async claimFirstAdmin(userId: string, audit: AuditContext): Promise<boolean> {
    return this.handle.transaction(async (client) => {
      const others = await client.query("SELECT 1 FROM users WHERE id <> $1 LIMIT 1", [userId]);
      if (others.rowCount) return false;
      const claimed = await client.query(
        "INSERT INTO server_settings (key, value) VALUES ('first_admin', $1) ON CONFLICT DO NOTHING",
        [userId],
      );
      if (!claimed.rowCount) return false;
      await client.query("UPDATE users SET server_role = 'admin' WHERE id = $1", [userId]);
      await this.audit(client, auditEntries.firstAdmin(audit, userId));
      return true;
    });
  }

  async setAdmin(username: string, admin: boolean, audit: AuditContext): Promise<UserRecord | undefined> {
    return this.handle.transaction(async (client) => {
      const { rows } = await client.query<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1 FOR UPDATE`, [
        username,
      ]);
      const user = rows[0];
      if (!user) return undefined;
      const role: "admin" | null = admin ? "admin" : null;
      if (user.serverRole === role) return user;
      await client.query("UPDATE users SET server_role = $1 WHERE id = $2", [role, user.id]);
      await this.audit(client, auditEntries.roleChanged(audit, user, admin));
      return { ...user, serverRole: role };
    });
  }

  async listUsers(page: UserPage): Promise<UserRecord[]> {
    const pattern = page.query === undefined ? null : likePattern(page.query);
    const { rows } = await this.handle.pool.query<UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users WHERE username > $1
       AND ($2::text IS NULL OR username LIKE $2 ESCAPE '\\' OR lower(display_name) LIKE $2 ESCAPE '\\')
       ORDER BY username COLLATE "C" LIMIT $3`,
      [page.after ?? "", pattern, page.limit],
    );
    return rows;
  }

  async setDeactivated(userId: string, at: number | null, audit: AuditContext) {
    return this.handle.transaction(async (client) => {
      const { rows } = await client.query<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1 FOR UPDATE`, [userId]);
      const user = rows[0];
      if (!user) return undefined;
      if ((user.deactivatedAt === null) === (at === null)) return { user, changed: false, revokedSessions: [] as string[] };
      await client.query("UPDATE users SET deactivated_at = $1 WHERE id = $2", [at, userId]);
      const revokedSessions =
        at === null
          ? []
          : (
              await client.query<{ id: string }>(
                "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL RETURNING id",
                [at, userId],
              )
            ).rows.map((r) => r.id);
      await this.audit(client, auditEntries.activation(audit, user, at, revokedSessions.length));
      return { user: { ...user, deactivatedAt: at }, changed: true, revokedSessions };
    });
  }

  async getSettings(keys: readonly string[]): Promise<Record<string, string>> {
    const { rows } = await this.handle.pool.query<{ key: string; value: string }>(
      "SELECT key, value FROM server_settings WHERE key = ANY($1::text[])",
      [keys],
    );
    return Object.fromEntries(rows.map((r) => [r.key, r.value]));
  }

  async putSettings(values: Record<string, string>, audit: AuditContext): Promise<void> {
    await this.handle.transaction(async (client) => {
      for (const [key, value] of Object.entries(values)) {
        await client.query(
          "INSERT INTO server_settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
          [key, value],
        );
      }
      await this.audit(client, auditEntries.settingsUpdated(audit, values));
    });
  }

  async createInvite(invite: Omit<InviteRecord, "uses" | "revokedAt">, audit: AuditContext): Promise<void> {
    await this.handle.transaction(async (client) => {
      await client.query(
        `INSERT INTO invites (id, secret_hash, note, created_by, created_at, expires_at, max_uses, conversation_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)`,
        [invite.id, invite.secretHash, invite.note, invite.createdBy, invite.createdAt, invite.expiresAt, invite.maxUses],
      );
      await this.audit(client, auditEntries.inviteCreated(audit, invite));
    });
  }

  async getInvite(id: string): Promise<InviteRecord | undefined> {
    return (await this.handle.pool.query<InviteRecord>(`SELECT ${INVITE_COLUMNS} FROM invites WHERE id = $1`, [id])).rows[0];
  }

  async listInvites(after: string | undefined, limit: number): Promise<InviteRecord[]> {
    if (after === undefined) {
      return (
        await this.handle.pool.query<InviteRecord>(
          `SELECT ${INVITE_COLUMNS} FROM invites WHERE conversation_id IS NULL ORDER BY created_at DESC, id DESC LIMIT $1`,
          [limit],
        )
      ).rows;
    }
    const { rows } = await this.handle.pool.query<InviteRecord>(
      `SELECT ${INVITE_COLUMNS} FROM invites,
         (SELECT created_at AS c, id AS i FROM invites WHERE id = $1 AND conversation_id IS NULL) AS last
       WHERE conversation_id IS NULL AND (created_at, id) < (last.c, last.i) ORDER BY created_at DESC, id DESC LIMIT $2`,
      [after, limit],
    );
    return rows;
  }

  async revokeInvite(id: string, audit: AuditContext): Promise<InviteRecord | undefined> {
    return this.handle.transaction(async (client) => {
      const revoked = await client.query(
        "UPDATE invites SET revoked_at = $1 WHERE id = $2 AND conversation_id IS NULL AND revoked_at IS NULL",
        [audit.at, id],
      );
      if (revoked.rowCount) await this.audit(client, auditEntries.inviteRevoked(audit, id));
      return (
        await client.query<InviteRecord>(`SELECT ${INVITE_COLUMNS} FROM invites WHERE id = $1 AND conversation_id IS NULL`, [id])
      ).rows[0];
    });
  }

  async createChannelInvite(invite: Omit<InviteRecord, "uses" | "revokedAt"> & { conversationId: string }): Promise<void> {
    await this.handle.pool.query(
      `INSERT INTO invites (id, secret_hash, note, created_by, created_at, expires_at, max_uses, conversation_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        invite.id,
        invite.secretHash,
        invite.note,
        invite.createdBy,
        invite.createdAt,
        invite.expiresAt,
        invite.maxUses,
        invite.conversationId,
      ],
    );
  }

  async listChannelInvites(conversationId: string, now: number, limit: number): Promise<InviteRecord[]> {
    const { rows } = await this.handle.pool.query<InviteRecord>(
      `SELECT ${INVITE_COLUMNS} FROM invites
       WHERE conversation_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND (max_uses IS NULL OR uses < max_uses)
       ORDER BY created_at DESC, id DESC LIMIT $3`,
      [conversationId, now, limit],
    );
    return rows;
  }

  async revokeChannelInvite(conversationId: string, id: string, at: number): Promise<InviteRecord | undefined> {
    // The update's RETURNING shows a fresh revocation; an earlier one is read as it is.
    const { rows } = await this.handle.pool.query<InviteRecord>(
      `WITH revoked AS (
         UPDATE invites SET revoked_at = $3 WHERE conversation_id = $1 AND id = $2 AND revoked_at IS NULL
         RETURNING ${INVITE_COLUMNS}
       )
       SELECT * FROM revoked
       UNION ALL
       SELECT ${INVITE_COLUMNS} FROM invites WHERE conversation_id = $1 AND id = $2 AND NOT EXISTS (SELECT 1 FROM revoked)`,
      [conversationId, id, at],
    );
    return rows[0];
  }

  async useInvite(id: string, now: number): Promise<boolean> {
    const used = await this.handle.pool.query(
      `UPDATE invites SET uses = uses + 1 WHERE id = $1 AND revoked_at IS NULL AND expires_at > $2
       AND (max_uses IS NULL OR uses < max_uses)`,
      [id, now],
    );
    return (used.rowCount ?? 0) > 0;
  }

  async releaseInvite(id: string): Promise<void> {
    await this.handle.pool.query("UPDATE invites SET uses = uses - 1 WHERE id = $1 AND uses > 0", [id]);
  }

  async setPassword(userId: string, passwordHash: string, keepSessionId: string | null, at: number): Promise<string[]> {
    return this.handle.transaction(async (client) => {
      await client.query("UPDATE users SET password_hash = $1 WHERE id = $2", [passwordHash, userId]);
      const { rows } = await client.query<{ id: string }>(
        "UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id IS DISTINCT FROM $3 RETURNING id",
        [at, userId, keepSessionId],
      );
      return rows.map((r) => r.id);
    });
  }

  async listSessions(userId: string, now: number): Promise<SessionRecord[]> {
    const { rows } = await this.handle.pool.query<SessionRecord>(
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2
       ORDER BY created_at DESC, id COLLATE "C"`,
      [userId, now],
    );
    return rows;
  }

  async createPasswordReset(reset: Omit<PasswordResetRecord, "usedAt">, audit: AuditContext): Promise<void> {
    await this.handle.transaction(async (client) => {
      await client.query("UPDATE password_resets SET used_at = $1 WHERE user_id = $2 AND used_at IS NULL", [
        reset.createdAt,
        reset.userId,
      ]);
      await client.query(
        "INSERT INTO password_resets (id, user_id, secret_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        [reset.id, reset.userId, reset.secretHash, reset.createdAt, reset.expiresAt],
      );
      await this.audit(client, auditEntries.resetLink(audit, reset));
    });
  }

  async getPasswordReset(id: string): Promise<PasswordResetRecord | undefined> {
    return (await this.handle.pool.query<PasswordResetRecord>(`SELECT ${RESET_COLUMNS} FROM password_resets WHERE id = $1`, [id]))
      .rows[0];
  }

  async usePasswordReset(id: string, now: number): Promise<boolean> {
    const used = await this.handle.pool.query(
      "UPDATE password_resets SET used_at = $1 WHERE id = $2 AND used_at IS NULL AND expires_at > $1",
      [now, id],
    );
    return (used.rowCount ?? 0) > 0;
  }

  async appendAudit(entry: AuditDraft): Promise<void> {
    await this.audit(this.handle.pool, entry);
  }

  async listAudit(before: number | undefined, limit: number): Promise<AuditEntry[]> {
    const { rows } = await this.handle.pool.query<AuditEntry>(
      `SELECT id, at, actor_id AS "actorId", action, target, details FROM audit_log
       WHERE id < $1 ORDER BY id DESC LIMIT $2`,
      [before ?? Number.MAX_SAFE_INTEGER, limit],
    );
    return rows;
  }
}
