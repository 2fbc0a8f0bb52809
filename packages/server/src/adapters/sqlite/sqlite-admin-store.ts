// The AdminStore in the embedded SQLite database (the tables of migration 10): each administrator action and its audit
// entry in one transaction.

import type { AuditAction, AuditEntry } from "@parley/protocol";
import type { AdminStore, AuditDraft, InviteRecord, PasswordResetRecord, UserPage } from "../../ports/admin-store.js";
import type { SessionRecord, UserRecord } from "../../ports/store.js";
import { type AuditContext, auditEntries } from "../audit-entries.js";
import { likePattern } from "../like-pattern.js";
import { SESSION_COLUMNS, USER_COLUMNS } from "./sqlite-accounts.js";
import type { SqliteHandle } from "./sqlite-handle.js";

const INVITE_COLUMNS =
  "id, secret_hash AS secretHash, note, created_by AS createdBy, created_at AS createdAt, expires_at AS expiresAt, " +
  "max_uses AS maxUses, uses, revoked_at AS revokedAt, conversation_id AS conversationId";
const RESET_COLUMNS =
  "id, user_id AS userId, secret_hash AS secretHash, created_at AS createdAt, expires_at AS expiresAt, used_at AS usedAt";

/** Appends one audit entry (also used by the other roles whose actions are audited, as moderation's reports). */
export const AUDIT_INSERT = "INSERT INTO audit_log (at, actor_id, action, target, details) VALUES (?, ?, ?, ?, ?)";

/** A role over the store's shared handle (`SqliteStore.handle`), which has already migrated the schema. */
export class SqliteAdminStore implements AdminStore {
  private readonly q;

  constructor(private readonly handle: SqliteHandle) {
    const db = handle.db;
    this.q = {
      audit: db.prepare<[number, string | null, string, string | null, string]>(AUDIT_INSERT),
      listAudit: db.prepare<
        [number, number],
        { id: number; at: number; actorId: string | null; action: AuditAction; target: string | null; details: string }
      >("SELECT id, at, actor_id AS actorId, action, target, details FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?"),
      userById: db.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`),
      userByUsername: db.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`),
      otherUser: db.prepare<[string], number>("SELECT 1 FROM users WHERE id <> ? LIMIT 1").pluck(),
      claim: db.prepare<[string]>("INSERT INTO server_settings (key, value) VALUES ('first_admin', ?) ON CONFLICT DO NOTHING"),
      setRole: db.prepare<[string | null, string]>("UPDATE users SET server_role = ? WHERE id = ?"),
      listUsers: db.prepare<[string, string | null, string | null, string | null, number], UserRecord>(
        `SELECT ${USER_COLUMNS} FROM users WHERE username > ? ` +
          "AND (? IS NULL OR username LIKE ? ESCAPE '\\' OR lower(display_name) LIKE ? ESCAPE '\\') " +
          "ORDER BY username LIMIT ?",
      ),
      setDeactivated: db.prepare<[number | null, string]>("UPDATE users SET deactivated_at = ? WHERE id = ?"),
      revokeAll: db.prepare<[number, string], { id: string }>(
        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL RETURNING id",
      ),
      revokeOthers: db.prepare<[number, string, string], { id: string }>(
        "UPDATE sessions SET revoked_at = ? WHERE user_id = ? AND id <> ? AND revoked_at IS NULL RETURNING id",
      ),
      setPassword: db.prepare<[string, string]>("UPDATE users SET password_hash = ? WHERE id = ?"),
      liveSessions: db.prepare<[string, number], SessionRecord>(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ? ` +
          "ORDER BY created_at DESC, id",
      ),
      setting: db.prepare<[string], string>("SELECT value FROM server_settings WHERE key = ?").pluck(),
      putSetting: db.prepare<[string, string]>(
        "INSERT INTO server_settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ),
      insertInvite: db.prepare<[string, string, string | null, string, number, number, number | null, string | null]>(
        "INSERT INTO invites (id, secret_hash, note, created_by, created_at, expires_at, max_uses, conversation_id) " +
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      invite: db.prepare<[string], InviteRecord>(`SELECT ${INVITE_COLUMNS} FROM invites WHERE id = ?`),
      invitesFirst: db.prepare<[number], InviteRecord>(
        `SELECT ${INVITE_COLUMNS} FROM invites WHERE conversation_id IS NULL ORDER BY created_at DESC, id DESC LIMIT ?`,
      ),
      invitesAfter: db.prepare<[number, number, string, number], InviteRecord>(
        `SELECT ${INVITE_COLUMNS} FROM invites WHERE conversation_id IS NULL AND (created_at < ? OR (created_at = ? AND id < ?)) ` +
          "ORDER BY created_at DESC, id DESC LIMIT ?",
      ),
      revokeInvite: db.prepare<[number, string]>(
        "UPDATE invites SET revoked_at = ? WHERE id = ? AND conversation_id IS NULL AND revoked_at IS NULL",
      ),
      serverInvite: db.prepare<[string], InviteRecord>(
        `SELECT ${INVITE_COLUMNS} FROM invites WHERE id = ? AND conversation_id IS NULL`,
      ),
      channelInvite: db.prepare<[string, string], InviteRecord>(
        `SELECT ${INVITE_COLUMNS} FROM invites WHERE conversation_id = ? AND id = ?`,
      ),
      channelInvites: db.prepare<[string, number, number], InviteRecord>(
        `SELECT ${INVITE_COLUMNS} FROM invites WHERE conversation_id = ? AND revoked_at IS NULL AND expires_at > ? ` +
          "AND (max_uses IS NULL OR uses < max_uses) ORDER BY created_at DESC, id DESC LIMIT ?",
      ),
      revokeChannelInvite: db.prepare<[number, string, string]>(
        "UPDATE invites SET revoked_at = ? WHERE conversation_id = ? AND id = ? AND revoked_at IS NULL",
      ),
      useInvite: db.prepare<[string, number]>(
        "UPDATE invites SET uses = uses + 1 WHERE id = ? AND revoked_at IS NULL AND expires_at > ? " +
          "AND (max_uses IS NULL OR uses < max_uses)",
      ),
      releaseInvite: db.prepare<[string]>("UPDATE invites SET uses = uses - 1 WHERE id = ? AND uses > 0"),
      spendResets: db.prepare<[number, string]>("UPDATE password_resets SET used_at = ? WHERE user_id = ? AND used_at IS NULL"),
      insertReset: db.prepare<[string, string, string, number, number]>(
        "INSERT INTO password_resets (id, user_id, secret_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
      ),
      reset: db.prepare<[string], PasswordResetRecord>(`SELECT ${RESET_COLUMNS} FROM password_resets WHERE id = ?`),
      useReset: db.prepare<[number, string, number]>(
        "UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?",
      ),
    };
  }

  private audit(draft: AuditDraft): void {
    this.q.audit.run(draft.at, draft.actorId, draft.action, draft.target, JSON.stringify(draft.details));
  }

  async claimFirstAdmin(userId: string, audit: AuditContext): Promise<boolean> {
    return this.handle.transaction(() => {
      if (this.q.otherUser.get(userId) !== undefined) return false;
      if (this.q.claim.run(userId).changes === 0) return false;
      this.q.setRole.run("admin", userId);
      this.audit(auditEntries.firstAdmin(audit, userId));
      return true;
    })();
  }

  async setAdmin(username: string, admin: boolean, audit: AuditContext): Promise<UserRecord | undefined> {
    return this.handle.transaction(() => {
      const user = this.q.userByUsername.get(username);
      if (!user) return undefined;
      const role: "admin" | null = admin ? "admin" : null;
      if (user.serverRole === role) return user;
      this.q.setRole.run(role, user.id);
      this.audit(auditEntries.roleChanged(audit, user, admin));
      return { ...user, serverRole: role };
    })();
  }

  async listUsers(page: UserPage): Promise<UserRecord[]> {
    const pattern = page.query === undefined ? null : likePattern(page.query);
    return this.q.listUsers.all(page.after ?? "", pattern, pattern, pattern, page.limit);
  }

  async setDeactivated(userId: string, at: number | null, audit: AuditContext) {
    return this.handle.transaction(() => {
      const user = this.q.userById.get(userId);
      if (!user) return undefined;
      if ((user.deactivatedAt === null) === (at === null)) return { user, changed: false, revokedSessions: [] };
      this.q.setDeactivated.run(at, userId);
      const revokedSessions = at === null ? [] : this.q.revokeAll.all(at, userId).map((r) => r.id);
      this.audit(auditEntries.activation(audit, user, at, revokedSessions.length));
      return { user: { ...user, deactivatedAt: at }, changed: true, revokedSessions };
    })();
  }

  async getSettings(keys: readonly string[]): Promise<Record<string, string>> {
    const values: Record<string, string> = {};
    for (const key of keys) {
      const value = this.q.setting.get(key);
      if (value !== undefined) values[key] = value;
    }
    return values;
  }

  async putSettings(values: Record<string, string>, audit: AuditContext): Promise<void> {
    this.handle.transaction(() => {
      for (const [key, value] of Object.entries(values)) this.q.putSetting.run(key, value);
      this.audit(auditEntries.settingsUpdated(audit, values));
    })();
  }

  async createInvite(invite: Omit<InviteRecord, "uses" | "revokedAt">, audit: AuditContext): Promise<void> {
    this.handle.transaction(() => {
      this.q.insertInvite.run(
        invite.id,
        invite.secretHash,
        invite.note,
        invite.createdBy,
        invite.createdAt,
        invite.expiresAt,
        invite.maxUses,
        null,
      );
      this.audit(auditEntries.inviteCreated(audit, invite));
    })();
  }

  async getInvite(id: string): Promise<InviteRecord | undefined> {
    return this.q.invite.get(id);
  }

  async listInvites(after: string | undefined, limit: number): Promise<InviteRecord[]> {
    const last = after === undefined ? undefined : this.q.serverInvite.get(after);
    if (after !== undefined && !last) return [];
    return last ? this.q.invitesAfter.all(last.createdAt, last.createdAt, last.id, limit) : this.q.invitesFirst.all(limit);
  }

  async revokeInvite(id: string, audit: AuditContext): Promise<InviteRecord | undefined> {
    return this.handle.transaction(() => {
      if (this.q.revokeInvite.run(audit.at, id).changes > 0) this.audit(auditEntries.inviteRevoked(audit, id));
      return this.q.serverInvite.get(id);
    })();
  }

  async createChannelInvite(invite: Omit<InviteRecord, "uses" | "revokedAt"> & { conversationId: string }): Promise<void> {
    this.q.insertInvite.run(
      invite.id,
      invite.secretHash,
      invite.note,
      invite.createdBy,
      invite.createdAt,
      invite.expiresAt,
      invite.maxUses,
      invite.conversationId,
    );
  }

  async listChannelInvites(conversationId: string, now: number, limit: number): Promise<InviteRecord[]> {
    return this.q.channelInvites.all(conversationId, now, limit);
  }

  async revokeChannelInvite(conversationId: string, id: string, at: number): Promise<InviteRecord | undefined> {
    return this.handle.transaction(() => {
      this.q.revokeChannelInvite.run(at, conversationId, id);
      return this.q.channelInvite.get(conversationId, id);
    })();
  }

  async useInvite(id: string, now: number): Promise<boolean> {
    return this.q.useInvite.run(id, now).changes > 0;
  }

  async releaseInvite(id: string): Promise<void> {
    this.q.releaseInvite.run(id);
  }

  async setPassword(userId: string, passwordHash: string, keepSessionId: string | null, at: number): Promise<string[]> {
    return this.handle.transaction(() => {
      this.q.setPassword.run(passwordHash, userId);
      const revoked =
        keepSessionId === null ? this.q.revokeAll.all(at, userId) : this.q.revokeOthers.all(at, userId, keepSessionId);
      return revoked.map((r) => r.id);
    })();
  }

  async listSessions(userId: string, now: number): Promise<SessionRecord[]> {
    return this.q.liveSessions.all(userId, now);
  }

  async createPasswordReset(reset: Omit<PasswordResetRecord, "usedAt">, audit: AuditContext): Promise<void> {
    this.handle.transaction(() => {
      this.q.spendResets.run(reset.createdAt, reset.userId);
      this.q.insertReset.run(reset.id, reset.userId, reset.secretHash, reset.createdAt, reset.expiresAt);
      this.audit(auditEntries.resetLink(audit, reset));
    })();
  }

  async getPasswordReset(id: string): Promise<PasswordResetRecord | undefined> {
    return this.q.reset.get(id);
  }

  async usePasswordReset(id: string, now: number): Promise<boolean> {
    return this.q.useReset.run(now, id, now).changes > 0;
  }

  async appendAudit(entry: AuditDraft): Promise<void> {
    this.audit(entry);
  }

  async listAudit(before: number | undefined, limit: number): Promise<AuditEntry[]> {
    return this.q.listAudit
      .all(before ?? Number.MAX_SAFE_INTEGER, limit)
      .map((row) => ({ ...row, details: JSON.parse(row.details) as Record<string, unknown> }));
  }
}
