// The cluster accounts role: users, sessions, contacts, blocks and the group-add setting (AccountStore).

import type { GroupAdds } from "@parley/protocol";
import { type AccountStore, type LastSeen, type SessionRecord, StoreError, type UserRecord } from "../../ports/store.js";
import { likePattern } from "../like-pattern.js";
import { isUniqueViolation, type PostgresHandle } from "./postgres-handle.js";

// Columns are aliased to the records' camelCase names so rows need no mapping.
export const USER_COLUMNS =
  'id, username, display_name AS "displayName", password_hash AS "passwordHash", created_at AS "createdAt", ' +
  'last_seen_at AS "lastSeenAt", server_role AS "serverRole", deactivated_at AS "deactivatedAt", ' +
  'avatar_id AS "avatarId"';
export const SESSION_COLUMNS =
  'id, user_id AS "userId", device_name AS "deviceName", refresh_hash AS "refreshHash", ' +
  'previous_refresh_hash AS "previousRefreshHash", created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"';

type NewUser = Parameters<AccountStore["createUser"]>[0];

export class PostgresAccounts implements AccountStore {
  constructor(private readonly db: PostgresHandle) {}

  async createUser(user: NewUser): Promise<UserRecord> {
    try {
      await this.db.write(
        "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        [user.id, user.username, user.displayName, user.passwordHash, user.createdAt],
      );
    } catch (error) {
      if (isUniqueViolation(error, "users_username_key")) throw new StoreError("username_taken", "username is taken");
      throw error;
    }
    return { ...user, lastSeenAt: null, serverRole: null, deactivatedAt: null, avatarId: null };
  }

  async getUserById(id: string): Promise<UserRecord | undefined> {
    return (await this.db.rows<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]))[0];
  }

  async getUserByUsername(username: string): Promise<UserRecord | undefined> {
    return (await this.db.rows<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, [username]))[0];
  }

  async getUsersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    return this.db.rows<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::text[])`, [ids]);
  }

  async updateDisplayName(id: string, displayName: string): Promise<UserRecord | undefined> {
    return (
      await this.db.rows<UserRecord>(`UPDATE users SET display_name = $1 WHERE id = $2 RETURNING ${USER_COLUMNS}`, [
        displayName,
        id,
      ])
    )[0];
  }

  async setAvatar(id: string, avatarId: string | null): Promise<UserRecord | undefined> {
    return (
      await this.db.rows<UserRecord>(`UPDATE users SET avatar_id = $1 WHERE id = $2 RETURNING ${USER_COLUMNS}`, [avatarId, id])
    )[0];
  }

  async searchUsers(viewerId: string, query: string, afterUsername: string, limit: number): Promise<UserRecord[]> {
    return this.db.rows<UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users AS u
       WHERE u.username > $3 AND u.id <> $1 AND u.deactivated_at IS NULL
         AND (u.username LIKE $2 ESCAPE '\\' OR lower(u.display_name) LIKE $2 ESCAPE '\\')
         AND NOT EXISTS (SELECT 1 FROM blocks WHERE (owner_id = $1 AND blocked_id = u.id)
                                                 OR (owner_id = u.id AND blocked_id = $1))
       ORDER BY u.username LIMIT $4`,
      [viewerId, likePattern(query), afterUsername, limit],
    );
  }

  async setLastSeen(userId: string, at: number): Promise<void> {
    await this.db.write("UPDATE users SET last_seen_at = $1 WHERE id = $2", [at, userId]);
  }

  async setLastSeenMany(seen: readonly LastSeen[]): Promise<void> {
    if (seen.length === 0) return;
    await this.db.write(
      "UPDATE users SET last_seen_at = s.at FROM unnest($1::text[], $2::bigint[]) AS s(id, at) WHERE users.id = s.id",
      [seen.map((s) => s.userId), seen.map((s) => s.at)],
    );
  }

  async createSession(session: Omit<SessionRecord, "previousRefreshHash" | "revokedAt">): Promise<void> {
    await this.db.write(
      "INSERT INTO sessions (id, user_id, device_name, refresh_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [session.id, session.userId, session.deviceName, session.refreshHash, session.createdAt, session.expiresAt],
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    return (await this.db.rows<SessionRecord>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`, [id]))[0];
  }

  async rotateRefresh(sessionId: string, expectedHash: string, newHash: string, expiresAt: number): Promise<boolean> {
    // A racing rotation waits for the row lock, then re-checks refresh_hash against the committed value: one wins.
    const written = await this.db.write(
      "UPDATE sessions SET previous_refresh_hash = refresh_hash, refresh_hash = $1, expires_at = $2 " +
        "WHERE id = $3 AND refresh_hash = $4",
      [newHash, expiresAt, sessionId, expectedHash],
    );
    return written === 1;
  }

  async revokeSession(id: string, at: number): Promise<void> {
    // The first revocation time is kept: it is when the device lost access.
    await this.db.write("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [at, id]);
  }

  async addContact(ownerId: string, contactId: string, at: number): Promise<void> {
    await this.db.write("INSERT INTO contacts (owner_id, contact_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
      ownerId,
      contactId,
      at,
    ]);
  }

  async removeContact(ownerId: string, contactId: string): Promise<void> {
    await this.db.write("DELETE FROM contacts WHERE owner_id = $1 AND contact_id = $2", [ownerId, contactId]);
  }

  async listContacts(ownerId: string): Promise<UserRecord[]> {
    return this.db.rows<UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT contact_id FROM contacts WHERE owner_id = $1) ORDER BY username`,
      [ownerId],
    );
  }

  async getGroupAdds(userId: string): Promise<GroupAdds | null> {
    const rows = await this.db.rows<{ groupAdds: GroupAdds | null }>(
      'SELECT group_adds AS "groupAdds" FROM users WHERE id = $1',
      [userId],
    );
    return rows[0]?.groupAdds ?? null;
  }

  async setGroupAdds(userId: string, value: GroupAdds | null): Promise<void> {
    await this.db.write("UPDATE users SET group_adds = $1 WHERE id = $2", [value, userId]);
  }

  async addBlock(ownerId: string, blockedId: string, at: number): Promise<void> {
    await this.db.write("INSERT INTO blocks (owner_id, blocked_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
      ownerId,
      blockedId,
      at,
    ]);
  }

  async removeBlock(ownerId: string, blockedId: string): Promise<void> {
    await this.db.write("DELETE FROM blocks WHERE owner_id = $1 AND blocked_id = $2", [ownerId, blockedId]);
  }

  async listBlocked(ownerId: string): Promise<UserRecord[]> {
    return this.db.rows<UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT blocked_id FROM blocks WHERE owner_id = $1) ORDER BY username`,
      [ownerId],
    );
  }

  async blockedBy(userId: string, ownerIds: readonly string[]): Promise<string[]> {
    if (ownerIds.length === 0) return [];
    const rows = await this.db.rows<{ id: string }>(
      "SELECT owner_id AS id FROM blocks WHERE blocked_id = $1 AND owner_id = ANY($2::text[])",
      [userId, [...ownerIds]],
    );
    return rows.map((r) => r.id);
  }

  async blockPeers(userId: string): Promise<string[]> {
    const rows = await this.db.rows<{ id: string }>(
      "SELECT blocked_id AS id FROM blocks WHERE owner_id = $1 UNION SELECT owner_id AS id FROM blocks WHERE blocked_id = $1",
      [userId],
    );
    return rows.map((r) => r.id);
  }

  async refusingGroupAdd(actorId: string, userIds: readonly string[], defaultPolicy: GroupAdds): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db.rows<{ id: string }>(
      `SELECT u.id FROM users AS u
       WHERE u.id = ANY($2::text[])
         AND (EXISTS (SELECT 1 FROM blocks WHERE owner_id = u.id AND blocked_id = $1)
              OR COALESCE(u.group_adds, $3) = 'nobody'
              OR (COALESCE(u.group_adds, $3) = 'contacts'
                  AND NOT EXISTS (SELECT 1 FROM contacts WHERE owner_id = u.id AND contact_id = $1)))`,
      [actorId, [...userIds], defaultPolicy],
    );
    return rows.map((r) => r.id);
  }

  async filterPresenceVisible(viewerId: string, targetIds: readonly string[]): Promise<string[]> {
    if (targetIds.length === 0) return [];
    const rows = await this.db.rows<{ id: string }>(
      `SELECT t.id FROM unnest($2::text[]) WITH ORDINALITY AS t (id, ord)
       WHERE t.id = $1
          OR ((EXISTS (SELECT 1 FROM members AS mine
                       JOIN members AS theirs ON theirs.conversation_id = mine.conversation_id AND theirs.user_id = t.id
                       WHERE mine.user_id = $1 AND mine.left_seq IS NULL AND theirs.left_seq IS NULL
                         -- Sharing a channel does not make presence visible (docs/channels.md, decision 4).
                         AND NOT EXISTS (SELECT 1 FROM conversations AS c
                                         WHERE c.id = mine.conversation_id AND c.channel_visibility IS NOT NULL))
               OR EXISTS (SELECT 1 FROM contacts WHERE owner_id = t.id AND contact_id = $1))
              AND NOT EXISTS (SELECT 1 FROM blocks WHERE (owner_id = $1 AND blocked_id = t.id)
                                                      OR (owner_id = t.id AND blocked_id = $1)))
       ORDER BY t.ord`,
      [viewerId, [...new Set(targetIds)]],
    );
    return rows.map((r) => r.id);
  }
}
