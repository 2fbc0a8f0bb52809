// The cluster conversations role: creating conversations, reading them and their members (ConversationStore), and
// the membership changes the log appends (`membershipEntry`, under the log's conversation locks).

import type { Message } from "@parley/protocol";
import type { PoolClient, QueryResultRow } from "pg";
import type {
  AppendOutcome,
  ChannelDirectoryPosition,
  ChannelMemberPosition,
  ConversationRecord,
  ConversationStore,
  GroupBanRecord,
  MemberRecord,
  MembershipDraft,
  MembershipPage,
  UserRecord,
} from "../../ports/store.js";
import { type ConversationRow, kindColumn, toConversationRecord } from "../conversation-row.js";
import { channelCreation, directCreation, groupCreation, NO_RETENTION } from "../conversation-rules.js";
import { likePrefix } from "../like-pattern.js";
import { type MembershipRow, splitMemberAndUser, splitMembershipRow } from "../membership-row.js";
import {
  admissionJoinedSeq,
  admissions,
  exceedsMembers,
  membershipEvent,
  membershipRefusal,
  ownerSuccessor,
  readmission,
  readmittedWatermark,
  type SuccessionCandidate,
} from "../membership-rules.js";
import { systemMessage } from "../message-row.js";
import type { PostgresHandle } from "./postgres-handle.js";

const CHANNEL_COLUMNS = (t = "") =>
  `${t}channel_visibility AS "channelVisibility", ${t}channel_posting AS "channelPosting", ` +
  `${t}channel_history AS "channelHistory"`;
const CONVERSATION_COLUMNS =
  `id, ${kindColumn()} AS kind, title, created_at AS "createdAt", last_seq AS "lastSeq", ` +
  'retention_seconds AS "retentionSeconds", disappear_seconds AS "disappearSeconds", expired_seq AS "expiredSeq", ' +
  `expired_at AS "expiredAt", encrypted, ${CHANNEL_COLUMNS()}`;
const BAN_COLUMNS =
  'conversation_id AS "conversationId", user_id AS "userId", banned_by AS "bannedBy", reason, created_at AS "createdAt"';
const MEMBER_COLUMNS =
  'conversation_id AS "conversationId", user_id AS "userId", role, joined_seq AS "joinedSeq", left_seq AS "leftSeq", ' +
  'delivered_seq AS "deliveredSeq", read_seq AS "readSeq", receipt_at AS "receiptAt"';

type OpenDirectInput = Parameters<ConversationStore["openDirect"]>[0];
type CreateGroupInput = Parameters<ConversationStore["createGroup"]>[0];
type CreateChannelInput = Parameters<ConversationStore["createChannel"]>[0];

/** Like SqliteConversations, permission rules (who may add or rename) belong to the services. */
export class PostgresConversations implements ConversationStore {
  constructor(private readonly db: PostgresHandle) {}

  async openDirect(input: OpenDirectInput): Promise<{ conversation: ConversationRecord; created: boolean }> {
    const encrypted = input.encrypted === true;
    const { key, userIds, event } = directCreation(input.userA, input.userB, encrypted);
    // One statement, so atomic without a transaction. When another node created the pair first, ON CONFLICT waits
    // for its commit and inserts nothing, the dependent inserts see no row, and the next statement reads the winner.
    const created = await this.db.rows(
      `WITH conversation AS (
         INSERT INTO conversations (id, kind, title, direct_key, created_at, last_seq, encrypted)
         VALUES ($1, 'direct', NULL, $2, $3, 1, $8)
         ON CONFLICT (direct_key) DO NOTHING
         RETURNING id
       ), member AS (
         INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
         SELECT conversation.id, u.id, 'member', 1, 0, 0, $3 FROM conversation, unnest($4::text[]) AS u (id)
       ), message AS (
         INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event, created_at)
         SELECT conversation.id, 1, $5, $6, NULL, 'system', NULL, $7::json, $3 FROM conversation
       )
       SELECT id FROM conversation`,
      [input.id, key, input.createdAt, userIds, input.messageId, input.userA, JSON.stringify(event), encrypted],
    );
    if (created.length > 0) {
      return {
        conversation: {
          id: input.id,
          kind: "direct",
          title: null,
          createdAt: input.createdAt,
          lastSeq: 1,
          ...NO_RETENTION,
          channel: null,
          encrypted,
        },
        created: true,
      };
    }
    const [existing] = await this.db.rows<ConversationRow>(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE direct_key = $1`,
      [key],
    );
    if (existing === undefined) throw new Error(`direct conversation ${key} vanished while being opened`);
    return { conversation: toConversationRecord(existing), created: false };
  }

  async createGroup(input: CreateGroupInput): Promise<{ conversation: ConversationRecord; message: Message }> {
    const { userIds, event } = groupCreation(input.ownerId, input.memberIds, input.title);
    // One statement: the conversation, its members and the creation event commit together or not at all.
    await this.db.write(
      `WITH conversation AS (
         INSERT INTO conversations (id, kind, title, direct_key, created_at, last_seq, created_by, encrypted)
         VALUES ($1, 'group', $2, NULL, $3, 1, $6, $8)
       ), member AS (
         INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
         SELECT $1, u.id, CASE WHEN u.ord = 1 THEN 'owner' ELSE 'member' END, 1, 0, 0, $3
         FROM unnest($4::text[]) WITH ORDINALITY AS u (id, ord)
       )
       INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event, created_at)
       VALUES ($1, 1, $5, $6, NULL, 'system', NULL, $7::json, $3)`,
      [
        input.id,
        input.title,
        input.createdAt,
        userIds,
        input.messageId,
        input.ownerId,
        JSON.stringify(event),
        input.encrypted === true,
      ],
    );
    const message = systemMessage({
      id: input.messageId,
      conversationId: input.id,
      seq: 1,
      senderId: input.ownerId,
      event,
      createdAt: input.createdAt,
    });
    return {
      conversation: {
        id: input.id,
        kind: "group",
        title: input.title,
        createdAt: input.createdAt,
        lastSeq: 1,
        ...NO_RETENTION,
        encrypted: input.encrypted === true,
        channel: null,
      },
      message,
    };
  }

  async createChannel(input: CreateChannelInput): Promise<{ conversation: ConversationRecord; message: Message }> {
    const { event, conversation } = channelCreation(input);
    const s = input.settings;
    // One statement, as createGroup: the channel, its creator (admin) and the creation event.
    await this.db.write(
      `WITH conversation AS (
         INSERT INTO conversations (id, kind, title, direct_key, created_at, last_seq, created_by,
                                    channel_visibility, channel_posting, channel_history)
         VALUES ($1, 'group', $2, NULL, $3, 1, $4, $7, $8, $9)
       ), member AS (
         INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
         VALUES ($1, $4, 'admin', 1, 0, 0, $3)
       )
       INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event, created_at)
       VALUES ($1, 1, $5, $4, NULL, 'system', NULL, $6::json, $3)`,
      [
        input.id,
        input.title,
        input.createdAt,
        input.creatorId,
        input.messageId,
        JSON.stringify(event),
        s.visibility,
        s.posting,
        s.history,
      ],
    );
    const message = systemMessage({
      id: input.messageId,
      conversationId: input.id,
      seq: 1,
      senderId: input.creatorId,
      event,
      createdAt: input.createdAt,
    });
    return { conversation, message };
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    const [row] = await this.db.rows<ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = $1`, [id]);
    return row === undefined ? undefined : toConversationRecord(row);
  }

  async countMembers(conversationId: string): Promise<number> {
    const [row] = await this.db.rows<{ n: number }>("SELECT member_count AS n FROM conversations WHERE id = $1", [
      conversationId,
    ]);
    return row?.n ?? 0;
  }

  async currentMembersAmong(conversationId: string, userIds: readonly string[]): Promise<MemberRecord[]> {
    if (userIds.length === 0) return [];
    return this.db.rows<MemberRecord>(
      `SELECT ${MEMBER_COLUMNS} FROM members
       WHERE conversation_id = $1 AND user_id = ANY($2::text[]) AND left_seq IS NULL`,
      [conversationId, [...userIds]],
    );
  }

  async listChannelMembers(
    conversationId: string,
    page: { after?: ChannelMemberPosition; prefix?: string; limit: number },
  ): Promise<{ member: MemberRecord; user: UserRecord }[]> {
    const rows = await this.db.rows<MemberRecord & UserRecord>(
      `SELECT m.conversation_id AS "conversationId", m.user_id AS "userId", m.role, m.joined_seq AS "joinedSeq",
              m.left_seq AS "leftSeq", m.delivered_seq AS "deliveredSeq", m.read_seq AS "readSeq",
              m.receipt_at AS "receiptAt", u.id, u.username, u.display_name AS "displayName",
              u.password_hash AS "passwordHash", u.created_at AS "createdAt", u.last_seen_at AS "lastSeenAt",
              u.server_role AS "serverRole", u.deactivated_at AS "deactivatedAt", u.avatar_id AS "avatarId"
       FROM members AS m JOIN users AS u ON u.id = m.user_id
       WHERE m.conversation_id = $1 AND m.left_seq IS NULL
         AND ($2::text IS NULL OR (m.role COLLATE "C", m.user_id COLLATE "C") > ($2::text COLLATE "C", $3::text COLLATE "C"))
         AND ($4::text IS NULL OR lower(u.username) LIKE $4 ESCAPE '\\' OR lower(u.display_name) LIKE $4 ESCAPE '\\')
       ORDER BY m.role COLLATE "C", m.user_id COLLATE "C" LIMIT $5`,
      [
        conversationId,
        page.after?.role ?? null,
        page.after?.userId ?? "",
        page.prefix === undefined ? null : likePrefix(page.prefix),
        page.limit,
      ],
    );
    return rows.map(splitMemberAndUser);
  }

  async listPublicChannels(page: {
    after?: ChannelDirectoryPosition;
    prefix?: string;
    limit: number;
  }): Promise<{ conversation: ConversationRecord; memberCount: number }[]> {
    const rows = await this.db.rows<ConversationRow & { memberCount: number }>(
      `SELECT ${CONVERSATION_COLUMNS}, member_count AS "memberCount"
       FROM conversations
       WHERE channel_visibility = 'public'
         AND ($1::text IS NULL OR (lower(title) COLLATE "C", id) > ($1::text COLLATE "C", $2::text))
         AND ($3::text IS NULL OR lower(title) LIKE $3 ESCAPE '\\')
       ORDER BY lower(title) COLLATE "C", id LIMIT $4`,
      [page.after?.title ?? null, page.after?.id ?? "", page.prefix === undefined ? null : likePrefix(page.prefix), page.limit],
    );
    return rows.map(({ memberCount, ...row }) => ({ conversation: toConversationRecord(row), memberCount }));
  }

  async listChannelMemberships(userId: string): Promise<{ conversationId: string; joinedSeq: number }[]> {
    return this.db.rows<{ conversationId: string; joinedSeq: number }>(
      `SELECT m.conversation_id AS "conversationId", m.joined_seq AS "joinedSeq"
       FROM members AS m JOIN conversations AS c ON c.id = m.conversation_id
       WHERE m.user_id = $1 AND m.left_seq IS NULL AND c.channel_visibility IS NOT NULL`,
      [userId],
    );
  }

  async countReadThrough(conversationId: string, seq: number): Promise<number> {
    const [row] = await this.db.rows<{ n: string | number }>(
      "SELECT count(*) AS n FROM members WHERE conversation_id = $1 AND left_seq IS NULL AND read_seq >= $2",
      [conversationId, seq],
    );
    return Number(row?.n ?? 0);
  }

  async getMembers(conversationId: string): Promise<MemberRecord[]> {
    return this.db.rows<MemberRecord>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND left_seq IS NULL ORDER BY joined_seq, user_id`,
      [conversationId],
    );
  }

  async addBan(ban: GroupBanRecord): Promise<GroupBanRecord> {
    // A conflicting insert returns nothing: the existing ban is read after it.
    const inserted = await this.db.rows<GroupBanRecord>(
      `INSERT INTO group_bans (conversation_id, user_id, banned_by, reason, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT DO NOTHING RETURNING ${BAN_COLUMNS}`,
      [ban.conversationId, ban.userId, ban.bannedBy, ban.reason, ban.createdAt],
    );
    if (inserted[0]) return inserted[0];
    const existing = await this.db.rows<GroupBanRecord>(
      `SELECT ${BAN_COLUMNS} FROM group_bans WHERE conversation_id = $1 AND user_id = $2`,
      [ban.conversationId, ban.userId],
    );
    return existing[0]!;
  }

  async removeBan(conversationId: string, userId: string): Promise<boolean> {
    const removed = await this.db.rows<{ userId: string }>(
      'DELETE FROM group_bans WHERE conversation_id = $1 AND user_id = $2 RETURNING user_id AS "userId"',
      [conversationId, userId],
    );
    return removed.length > 0;
  }

  async listBans(conversationId: string): Promise<GroupBanRecord[]> {
    return this.db.rows<GroupBanRecord>(
      `SELECT ${BAN_COLUMNS} FROM group_bans WHERE conversation_id = $1 ORDER BY created_at, user_id`,
      [conversationId],
    );
  }

  async bannedAmong(conversationId: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.db.rows<{ id: string }>(
      "SELECT user_id AS id FROM group_bans WHERE conversation_id = $1 AND user_id = ANY($2::text[])",
      [conversationId, [...userIds]],
    );
    return rows.map((r) => r.id);
  }

  async conversationsWithReceiptsAfter(conversationIds: readonly string[], since: number): Promise<Set<string>> {
    if (conversationIds.length === 0) return new Set();
    const rows = await this.db.rows<{ id: string }>(
      `SELECT DISTINCT conversation_id AS id FROM members
       WHERE conversation_id = ANY($1::text[]) AND left_seq IS NULL AND receipt_at > $2`,
      [[...conversationIds], since],
    );
    return new Set(rows.map((r) => r.id));
  }

  async getMembership(conversationId: string, userId: string): Promise<MemberRecord | undefined> {
    return (
      await this.db.rows<MemberRecord>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND user_id = $2`, [
        conversationId,
        userId,
      ])
    )[0];
  }

  async listMemberships(
    userId: string,
    page?: MembershipPage,
  ): Promise<{ membership: MemberRecord; conversation: ConversationRecord }[]> {
    // NULL bounds are open; without a page there is no LIMIT (LIMIT NULL).
    const rows = await this.db.rows<MembershipRow>(
      `SELECT m.conversation_id AS "conversationId", m.user_id AS "userId", m.role, m.joined_seq AS "joinedSeq",
              m.left_seq AS "leftSeq", m.delivered_seq AS "deliveredSeq", m.read_seq AS "readSeq",
              m.receipt_at AS "receiptAt", ${kindColumn("c.")} AS kind, ${CHANNEL_COLUMNS("c.")}, c.title, c.created_at AS "conversationCreatedAt", c.last_seq AS "lastSeq",
              c.retention_seconds AS "retentionSeconds", c.disappear_seconds AS "disappearSeconds",
              c.expired_seq AS "expiredSeq", c.expired_at AS "expiredAt", c.encrypted
       FROM members AS m JOIN conversations AS c ON c.id = m.conversation_id
       WHERE m.user_id = $1 AND ($2::text IS NULL OR m.conversation_id COLLATE "C" > $2)
         AND ($3::text IS NULL OR m.conversation_id COLLATE "C" <= $3)
       ORDER BY m.conversation_id COLLATE "C" LIMIT $4`,
      [userId, page?.after ?? null, page?.through ?? null, page?.limit ?? null],
    );
    return rows.map(splitMembershipRow);
  }

  async countMemberships(userIds: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(userIds.map((id) => [id, 0]));
    if (userIds.length === 0) return counts;
    const rows = await this.db.rows<{ userId: string; n: string }>(
      `SELECT user_id AS "userId", count(*) AS n FROM members
       WHERE user_id = ANY($1::text[]) AND left_seq IS NULL GROUP BY user_id`,
      [[...userIds]],
    );
    for (const row of rows) counts.set(row.userId, Number(row.n));
    return counts;
  }

  async groupsCreatedSince(ownerId: string, since: number): Promise<{ count: number; oldest: number | null }> {
    const rows = await this.db.rows<{ count: string; oldest: string | number | null }>(
      "SELECT count(*) AS count, min(created_at) AS oldest FROM conversations WHERE created_by = $1 AND created_at >= $2",
      [ownerId, since],
    );
    const row = rows[0];
    return { count: Number(row?.count ?? 0), oldest: row?.oldest == null ? null : Number(row.oldest) };
  }

  // ── inside the log's append transaction ─────────────────────────────────────────────────────────────────────

  /**
   * A membership change and its system entry, under the conversation locks of the log's append (which serialize the
   * event's seq and the member rows it changes with every send); refusals are checked before anything is written.
   * `lastSeqs` holds the locked conversations' last seqs and learns the one this entry takes.
   */
  async membershipEntry(client: PoolClient, input: MembershipDraft, lastSeqs: Map<string, number>): Promise<AppendOutcome> {
    const { conversationId, senderId: actorId, change } = input;
    const q = async <R extends QueryResultRow>(text: string, values: unknown[]) => (await client.query<R>(text, values)).rows;
    const lastSeq = lastSeqs.get(conversationId);
    if (lastSeq === undefined) return membershipRefusal.conversationNotFound;
    const membership = async (userId: string) =>
      (
        await q<MemberRecord>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND user_id = $2`, [
          conversationId,
          userId,
        ])
      )[0];
    const actor = await membership(actorId);
    const actorIsMember = actor !== undefined && actor.leftSeq === null;
    if (change.type === "join" ? actorIsMember : !actorIsMember) {
      return change.type === "join" ? membershipRefusal.alreadyMember : membershipRefusal.actorNotMember;
    }
    // The event's own seq: a departing member's left_seq equals it, so they still receive their own removal.
    const seq = lastSeq + 1;
    let admitted: string[] = [];
    switch (change.type) {
      case "add":
      case "join": {
        const candidates = change.type === "join" ? [actorId] : [...new Set(change.userIds)];
        const existing = new Map(
          (
            await q<MemberRecord>(
              `SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND user_id = ANY($2::text[])`,
              [conversationId, candidates],
            )
          ).map((r) => [r.userId, r]),
        );
        const { fresh, past, ...admission } = admissions(candidates, (userId) => existing.get(userId)?.leftSeq);
        admitted = admission.admitted;
        if (admitted.length === 0) return membershipRefusal.allMembers;
        const [count] = await q<{ count: number }>("SELECT member_count AS count FROM conversations WHERE id = $1", [
          conversationId,
        ]);
        if (exceedsMembers(count?.count ?? 0, admitted.length, change.maxMembers)) {
          return membershipRefusal.groupFull(change.maxMembers);
        }
        const floor = readmittedWatermark(seq);
        const joinedSeq = admissionJoinedSeq(seq, change.fullHistory);
        if (past.length > 0) {
          const lifted = past.map((userId) => readmission(existing.get(userId)!, seq, input.createdAt));
          await q(
            `UPDATE members AS m SET role = 'member', joined_seq = $2, left_seq = NULL,
               delivered_seq = u.delivered_seq, read_seq = u.read_seq, receipt_at = u.receipt_at
             FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
               AS u (user_id, delivered_seq, read_seq, receipt_at)
             WHERE m.conversation_id = $1 AND m.user_id = u.user_id`,
            [
              conversationId,
              joinedSeq,
              past,
              lifted.map((w) => w.deliveredSeq),
              lifted.map((w) => w.readSeq),
              lifted.map((w) => w.receiptAt),
            ],
          );
        }
        if (fresh.length > 0) {
          await q(
            `INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
             SELECT $1, u.id, 'member', $3, $4, $4, $5 FROM unnest($2::text[]) AS u (id)`,
            [conversationId, fresh, joinedSeq, floor, input.createdAt],
          );
        }
        break;
      }
      case "removeMany": {
        const removed = await q<{ userId: string }>(
          `UPDATE members SET left_seq = $3
           WHERE conversation_id = $1 AND user_id = ANY($2::text[]) AND left_seq IS NULL
           RETURNING user_id AS "userId"`,
          [conversationId, [...new Set(change.userIds)], seq],
        );
        const gone = new Set(removed.map((r) => r.userId));
        admitted = [...new Set(change.userIds)].filter((id) => gone.has(id));
        if (admitted.length === 0) return membershipRefusal.userNotMember;
        break;
      }
      case "remove": {
        const target = await membership(change.userId);
        if (target === undefined || target.leftSeq !== null) return membershipRefusal.userNotMember;
        await this.endMembership(client, conversationId, change.userId, seq, target.role === "owner");
        break;
      }
      case "leave": {
        await this.endMembership(client, conversationId, actorId, seq, actor?.role === "owner");
        break;
      }
      case "role": {
        const target = await membership(change.userId);
        if (target === undefined || target.leftSeq !== null) return membershipRefusal.userNotMember;
        await q("UPDATE members SET role = $1 WHERE conversation_id = $2 AND user_id = $3", [
          change.role,
          conversationId,
          change.userId,
        ]);
        break;
      }
      case "rename": {
        await q("UPDATE conversations SET title = $1 WHERE id = $2", [change.title, conversationId]);
        break;
      }
      case "disappear": {
        await q("UPDATE conversations SET disappear_seconds = $1 WHERE id = $2", [change.seconds, conversationId]);
        break;
      }
      case "retention": {
        await q("UPDATE conversations SET retention_seconds = $1 WHERE id = $2", [change.seconds, conversationId]);
        break;
      }
    }
    const event = membershipEvent(change, actorId, admitted);
    await q(
      `WITH message AS (
         INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event, created_at)
         VALUES ($1, $2, $3, $4, NULL, 'system', NULL, $5::json, $6)
       )
       UPDATE conversations SET last_seq = $2 WHERE id = $1`,
      [conversationId, seq, input.id, actorId, JSON.stringify(event), input.createdAt],
    );
    lastSeqs.set(conversationId, seq);
    const message = systemMessage({ id: input.id, conversationId, seq, senderId: actorId, event, createdAt: input.createdAt });
    return { ok: true, message, duplicate: false };
  }

  /** Ends a membership at `seq`; when an owner goes, the successor (membership-rules.ts) becomes owner. */
  private async endMembership(
    client: PoolClient,
    conversationId: string,
    userId: string,
    seq: number,
    wasOwner: boolean,
  ): Promise<void> {
    await client.query("UPDATE members SET left_seq = $1 WHERE conversation_id = $2 AND user_id = $3", [
      seq,
      conversationId,
      userId,
    ]);
    if (!wasOwner) return;
    const { rows } = await client.query<SuccessionCandidate>(
      'SELECT user_id AS "userId", role, joined_seq AS "joinedSeq" FROM members WHERE conversation_id = $1 AND left_seq IS NULL',
      [conversationId],
    );
    const successor = ownerSuccessor(rows);
    if (successor === undefined) return;
    await client.query("UPDATE members SET role = 'owner' WHERE conversation_id = $1 AND user_id = $2", [
      conversationId,
      successor,
    ]);
  }
}
