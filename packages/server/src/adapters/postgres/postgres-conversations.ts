// The cluster conversations role: creating conversations, reading them and their members (ConversationStore), and
// the membership changes the log appends (`membershipEntry`, under the log's conversation locks).

import type { Message } from "@parley/protocol";
import type { PoolClient, QueryResultRow } from "pg";
import type {
  AppendOutcome,
  ConversationRecord,
  ConversationStore,
  MemberRecord,
  MembershipDraft,
  MembershipPage,
} from "../../ports/store.js";
import { directCreation, groupCreation, NO_RETENTION } from "../conversation-rules.js";
import { type MembershipRow, splitMembershipRow } from "../membership-row.js";
import {
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

const CONVERSATION_COLUMNS =
  'id, kind, title, created_at AS "createdAt", last_seq AS "lastSeq", retention_seconds AS "retentionSeconds", ' +
  'disappear_seconds AS "disappearSeconds", expired_seq AS "expiredSeq", expired_at AS "expiredAt", encrypted';
const MEMBER_COLUMNS =
  'conversation_id AS "conversationId", user_id AS "userId", role, joined_seq AS "joinedSeq", left_seq AS "leftSeq", ' +
  'delivered_seq AS "deliveredSeq", read_seq AS "readSeq", receipt_at AS "receiptAt"';

type OpenDirectInput = Parameters<ConversationStore["openDirect"]>[0];
type CreateGroupInput = Parameters<ConversationStore["createGroup"]>[0];

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
          encrypted,
        },
        created: true,
      };
    }
    const [existing] = await this.db.rows<ConversationRecord>(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE direct_key = $1`,
      [key],
    );
    if (existing === undefined) throw new Error(`direct conversation ${key} vanished while being opened`);
    return { conversation: existing, created: false };
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
      },
      message,
    };
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    return (await this.db.rows<ConversationRecord>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = $1`, [id]))[0];
  }

  async getMembers(conversationId: string): Promise<MemberRecord[]> {
    return this.db.rows<MemberRecord>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND left_seq IS NULL ORDER BY joined_seq, user_id`,
      [conversationId],
    );
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
              m.receipt_at AS "receiptAt", c.kind, c.title, c.created_at AS "conversationCreatedAt", c.last_seq AS "lastSeq",
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
    if (actor === undefined || actor.leftSeq !== null) return membershipRefusal.actorNotMember;
    // The event's own seq: a departing member's left_seq equals it, so they still receive their own removal.
    const seq = lastSeq + 1;
    let admitted: string[] = [];
    switch (change.type) {
      case "add": {
        const candidates = [...new Set(change.userIds)];
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
        const [count] = await q<{ count: number }>(
          "SELECT count(*) AS count FROM members WHERE conversation_id = $1 AND left_seq IS NULL",
          [conversationId],
        );
        if (exceedsMembers(count?.count ?? 0, admitted.length, change.maxMembers)) {
          return membershipRefusal.groupFull(change.maxMembers);
        }
        const floor = readmittedWatermark(seq);
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
              seq,
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
            [conversationId, fresh, seq, floor, input.createdAt],
          );
        }
        break;
      }
      case "remove": {
        const target = await membership(change.userId);
        if (target === undefined || target.leftSeq !== null) return membershipRefusal.userNotMember;
        await this.endMembership(client, conversationId, change.userId, seq, target.role === "owner");
        break;
      }
      case "leave": {
        await this.endMembership(client, conversationId, actorId, seq, actor.role === "owner");
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
