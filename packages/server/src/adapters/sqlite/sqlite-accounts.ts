// The embedded accounts role: users, sessions, contacts, blocks and the group-add setting (AccountStore).

import type { GroupAdds } from "@parley/protocol";
import { type AccountStore, type LastSeen, type SessionRecord, StoreError, type UserRecord } from "../../ports/store.js";
import { likePattern } from "../like-pattern.js";
import { isUniqueViolation, type SqliteHandle } from "./sqlite-handle.js";

// Columns are aliased to the records' camelCase names so rows need no mapping.
export const USER_COLUMNS =
  "id, username, display_name AS displayName, password_hash AS passwordHash, created_at AS createdAt, last_seen_at AS lastSeenAt, " +
  "server_role AS serverRole, deactivated_at AS deactivatedAt, avatar_id AS avatarId";
export const SESSION_COLUMNS =
  "id, user_id AS userId, device_name AS deviceName, refresh_hash AS refreshHash, " +
  "previous_refresh_hash AS previousRefreshHash, created_at AS createdAt, expires_at AS expiresAt, revoked_at AS revokedAt";

function prepareStatements(h: SqliteHandle) {
  return {
    insertUser: h.prepare<[string, string, string, string, number]>(
      "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    ),
    userById: h.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`),
    userByUsername: h.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`),
    // A JSON array parameter gives a variable-length IN list without preparing a statement per length.
    usersByIds: h.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT value FROM json_each(?))`),
    updateDisplayName: h.prepare<[string, string], UserRecord>(
      `UPDATE users SET display_name = ? WHERE id = ? RETURNING ${USER_COLUMNS}`,
    ),
    setAvatar: h.prepare<[string | null, string], UserRecord>(
      `UPDATE users SET avatar_id = ? WHERE id = ? RETURNING ${USER_COLUMNS}`,
    ),
    searchUsers: h.prepare<{ viewer: string; pattern: string; after: string; limit: number }, UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users AS u
       WHERE u.username > @after AND u.id <> @viewer AND u.deactivated_at IS NULL
         AND (u.username LIKE @pattern ESCAPE '\\' OR lower(u.display_name) LIKE @pattern ESCAPE '\\')
         AND NOT EXISTS (SELECT 1 FROM blocks WHERE (owner_id = @viewer AND blocked_id = u.id)
                                                 OR (owner_id = u.id AND blocked_id = @viewer))
       ORDER BY u.username LIMIT @limit`,
    ),
    setLastSeen: h.prepare<[number, string]>("UPDATE users SET last_seen_at = ? WHERE id = ?"),

    insertSession: h.prepare<[string, string, string, string, number, number]>(
      "INSERT INTO sessions (id, user_id, device_name, refresh_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    sessionById: h.prepare<[string], SessionRecord>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`),
    rotateRefresh: h.prepare<[string, number, string, string]>(
      "UPDATE sessions SET previous_refresh_hash = refresh_hash, refresh_hash = ?, expires_at = ? " +
        "WHERE id = ? AND refresh_hash = ?",
    ),
    // The first revocation time is kept: it is when the device lost access.
    revokeSession: h.prepare<[number, string]>("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"),

    addContact: h.prepare<[string, string, number]>(
      "INSERT INTO contacts (owner_id, contact_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    removeContact: h.prepare<[string, string]>("DELETE FROM contacts WHERE owner_id = ? AND contact_id = ?"),
    listContacts: h.prepare<[string], UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT contact_id FROM contacts WHERE owner_id = ?) ORDER BY username`,
    ),
    groupAdds: h.pluck<[string], GroupAdds | null>("SELECT group_adds FROM users WHERE id = ?"),
    setGroupAdds: h.prepare<[GroupAdds | null, string]>("UPDATE users SET group_adds = ? WHERE id = ?"),
    addBlock: h.prepare<[string, string, number]>(
      "INSERT INTO blocks (owner_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    removeBlock: h.prepare<[string, string]>("DELETE FROM blocks WHERE owner_id = ? AND blocked_id = ?"),
    listBlocked: h.prepare<[string], UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT blocked_id FROM blocks WHERE owner_id = ?) ORDER BY username`,
    ),
    blockedBy: h.pluck<[string, string], string>(
      "SELECT owner_id FROM blocks WHERE blocked_id = ? AND owner_id IN (SELECT value FROM json_each(?))",
    ),
    refusingGroupAdd: h.pluck<{ actor: string; users: string; fallback: GroupAdds }, string>(
      `SELECT u.id FROM users AS u
       WHERE u.id IN (SELECT value FROM json_each(@users))
         AND (EXISTS (SELECT 1 FROM blocks WHERE owner_id = u.id AND blocked_id = @actor)
              OR COALESCE(u.group_adds, @fallback) = 'nobody'
              OR (COALESCE(u.group_adds, @fallback) = 'contacts'
                  AND NOT EXISTS (SELECT 1 FROM contacts WHERE owner_id = u.id AND contact_id = @actor)))`,
    ),
    presenceVisible: h.pluck<{ viewer: string; targets: string }, string>(
      `SELECT t.value FROM json_each(@targets) AS t
       WHERE t.value = @viewer
          OR ((EXISTS (SELECT 1 FROM members AS mine
                       JOIN members AS theirs ON theirs.conversation_id = mine.conversation_id AND theirs.user_id = t.value
                       WHERE mine.user_id = @viewer AND mine.left_seq IS NULL AND theirs.left_seq IS NULL
                         -- Sharing a channel does not make presence visible (docs/channels.md, decision 4).
                         AND NOT EXISTS (SELECT 1 FROM conversations AS c
                                         WHERE c.id = mine.conversation_id AND c.channel_visibility IS NOT NULL))
               OR EXISTS (SELECT 1 FROM contacts WHERE owner_id = t.value AND contact_id = @viewer))
              AND NOT EXISTS (SELECT 1 FROM blocks WHERE (owner_id = @viewer AND blocked_id = t.value)
                                                      OR (owner_id = t.value AND blocked_id = @viewer)))`,
    ),
    blockPeers: h.pluck<{ user: string }, string>(
      "SELECT blocked_id FROM blocks WHERE owner_id = @user UNION SELECT owner_id FROM blocks WHERE blocked_id = @user",
    ),
  };
}

type NewUser = Parameters<AccountStore["createUser"]>[0];

export class SqliteAccounts implements AccountStore {
  private readonly q: ReturnType<typeof prepareStatements>;
  private readonly lastSeenTx: (seen: readonly LastSeen[]) => void;

  constructor(handle: SqliteHandle) {
    const q = prepareStatements(handle);
    this.q = q;
    this.lastSeenTx = handle.transaction((seen: readonly LastSeen[]) => {
      for (const { userId, at } of seen) q.setLastSeen.run(at, userId);
    });
  }

  async createUser(user: NewUser): Promise<UserRecord> {
    try {
      this.q.insertUser.run(user.id, user.username, user.displayName, user.passwordHash, user.createdAt);
    } catch (error) {
      if (isUniqueViolation(error, "users.username")) throw new StoreError("username_taken", "username is taken");
      throw error;
    }
    return { ...user, lastSeenAt: null, serverRole: null, deactivatedAt: null, avatarId: null };
  }

  async getUserById(id: string): Promise<UserRecord | undefined> {
    return this.q.userById.get(id);
  }

  async getUserByUsername(username: string): Promise<UserRecord | undefined> {
    return this.q.userByUsername.get(username);
  }

  async getUsersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    return this.q.usersByIds.all(JSON.stringify(ids));
  }

  async updateDisplayName(id: string, displayName: string): Promise<UserRecord | undefined> {
    return this.q.updateDisplayName.get(displayName, id);
  }

  async setAvatar(id: string, avatarId: string | null): Promise<UserRecord | undefined> {
    return this.q.setAvatar.get(avatarId, id);
  }

  async searchUsers(viewerId: string, query: string, afterUsername: string, limit: number): Promise<UserRecord[]> {
    return this.q.searchUsers.all({ viewer: viewerId, pattern: likePattern(query), after: afterUsername, limit });
  }

  async setLastSeen(userId: string, at: number): Promise<void> {
    this.q.setLastSeen.run(at, userId);
  }

  async setLastSeenMany(seen: readonly LastSeen[]): Promise<void> {
    if (seen.length > 0) this.lastSeenTx(seen);
  }

  async createSession(session: Omit<SessionRecord, "previousRefreshHash" | "revokedAt">): Promise<void> {
    this.q.insertSession.run(
      session.id,
      session.userId,
      session.deviceName,
      session.refreshHash,
      session.createdAt,
      session.expiresAt,
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    return this.q.sessionById.get(id);
  }

  async rotateRefresh(sessionId: string, expectedHash: string, newHash: string, expiresAt: number): Promise<boolean> {
    return this.q.rotateRefresh.run(newHash, expiresAt, sessionId, expectedHash).changes === 1;
  }

  async revokeSession(id: string, at: number): Promise<void> {
    this.q.revokeSession.run(at, id);
  }

  async addContact(ownerId: string, contactId: string, at: number): Promise<void> {
    this.q.addContact.run(ownerId, contactId, at);
  }

  async removeContact(ownerId: string, contactId: string): Promise<void> {
    this.q.removeContact.run(ownerId, contactId);
  }

  async listContacts(ownerId: string): Promise<UserRecord[]> {
    return this.q.listContacts.all(ownerId);
  }

  async getGroupAdds(userId: string): Promise<GroupAdds | null> {
    return this.q.groupAdds.get(userId) ?? null;
  }

  async setGroupAdds(userId: string, value: GroupAdds | null): Promise<void> {
    this.q.setGroupAdds.run(value, userId);
  }

  async addBlock(ownerId: string, blockedId: string, at: number): Promise<void> {
    this.q.addBlock.run(ownerId, blockedId, at);
  }

  async removeBlock(ownerId: string, blockedId: string): Promise<void> {
    this.q.removeBlock.run(ownerId, blockedId);
  }

  async listBlocked(ownerId: string): Promise<UserRecord[]> {
    return this.q.listBlocked.all(ownerId);
  }

  async blockedBy(userId: string, ownerIds: readonly string[]): Promise<string[]> {
    if (ownerIds.length === 0) return [];
    return this.q.blockedBy.all(userId, JSON.stringify(ownerIds));
  }

  async blockPeers(userId: string): Promise<string[]> {
    return this.q.blockPeers.all({ user: userId });
  }

  async refusingGroupAdd(actorId: string, userIds: readonly string[], defaultPolicy: GroupAdds): Promise<string[]> {
    if (userIds.length === 0) return [];
    return this.q.refusingGroupAdd.all({ actor: actorId, users: JSON.stringify(userIds), fallback: defaultPolicy });
  }

  async filterPresenceVisible(viewerId: string, targetIds: readonly string[]): Promise<string[]> {
    if (targetIds.length === 0) return [];
    return this.q.presenceVisible.all({ viewer: viewerId, targets: JSON.stringify([...new Set(targetIds)]) });
  }
}
