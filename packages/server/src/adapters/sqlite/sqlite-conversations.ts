// The embedded conversations role: creating conversations, reading them and their members (ConversationStore), and
// the membership changes the log appends (`membershipEntry`, inside the log's transaction).

import type { ChannelSettings, ConversationKind, Message, Role, SystemEvent } from "@parley/protocol";
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
} from "../membership-rules.js";
import type { Prepared, SqliteHandle } from "./sqlite-handle.js";

const CHANNEL_COLUMNS = (t = "") =>
  `${t}channel_visibility AS channelVisibility, ${t}channel_posting AS channelPosting, ${t}channel_history AS channelHistory`;
const CONVERSATION_COLUMNS =
  `id, ${kindColumn()} AS kind, title, created_at AS createdAt, last_seq AS lastSeq, ` +
  "retention_seconds AS retentionSeconds, disappear_seconds AS disappearSeconds, expired_seq AS expiredSeq, " +
  `expired_at AS expiredAt, encrypted, ${CHANNEL_COLUMNS()}`;
const MEMBER_COLUMNS =
  "conversation_id AS conversationId, user_id AS userId, role, joined_seq AS joinedSeq, left_seq AS leftSeq, " +
  "delivered_seq AS deliveredSeq, read_seq AS readSeq, receipt_at AS receiptAt";
const BAN_COLUMNS =
  "conversation_id AS conversationId, user_id AS userId, banned_by AS bannedBy, reason, created_at AS createdAt";
const MEMBERSHIPS_OF_USER = `SELECT m.conversation_id AS conversationId, m.user_id AS userId, m.role,
    m.joined_seq AS joinedSeq, m.left_seq AS leftSeq, m.delivered_seq AS deliveredSeq, m.read_seq AS readSeq,
    m.receipt_at AS receiptAt, ${kindColumn("c.")} AS kind, ${CHANNEL_COLUMNS("c.")}, c.title, c.created_at AS conversationCreatedAt, c.last_seq AS lastSeq,
    c.retention_seconds AS retentionSeconds, c.disappear_seconds AS disappearSeconds, c.expired_seq AS expiredSeq,
    c.expired_at AS expiredAt, c.encrypted
  FROM members AS m JOIN conversations AS c ON c.id = m.conversation_id`;

/** The reads of one membership row that the log and receipts make inside their transactions too. */
export function memberReads(h: SqliteHandle): {
  isCurrentMember: Prepared<[string, string], number>;
  membership: Prepared<[string, string], MemberRecord>;
} {
  return {
    isCurrentMember: h.pluck<[string, string], number>(
      "SELECT 1 FROM members WHERE conversation_id = ? AND user_id = ? AND left_seq IS NULL",
    ),
    membership: h.prepare<[string, string], MemberRecord>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = ? AND user_id = ?`,
    ),
  };
}

function prepareStatements(h: SqliteHandle) {
  return {
    ...memberReads(h),
    insertConversation: h.prepare<[string, ConversationKind, string | null, string | null, number, number, number]>(
      "INSERT INTO conversations (id, kind, title, direct_key, created_at, last_seq, encrypted) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    conversationById: h.prepare<[string], ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ?`),
    conversationByDirectKey: h.prepare<[string], ConversationRow>(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE direct_key = ?`,
    ),
    setChannel: h.prepare<[string, string, string, string]>(
      "UPDATE conversations SET channel_visibility = ?, channel_posting = ?, channel_history = ? WHERE id = ?",
    ),
    membersAmong: h.prepare<[string, string], MemberRecord>(
      `SELECT ${MEMBER_COLUMNS} FROM members
       WHERE conversation_id = ? AND user_id IN (SELECT value FROM json_each(?)) AND left_seq IS NULL`,
    ),
    channelMembersPage: h.prepare<
      { conversation: string; role: string | null; user: string; pattern: string | null; limit: number },
      MemberRecord & UserRecord
    >(
      `SELECT m.conversation_id AS conversationId, m.user_id AS userId, m.role, m.joined_seq AS joinedSeq,
         m.left_seq AS leftSeq, m.delivered_seq AS deliveredSeq, m.read_seq AS readSeq, m.receipt_at AS receiptAt,
         u.id, u.username, u.display_name AS displayName, u.password_hash AS passwordHash, u.created_at AS createdAt,
         u.last_seen_at AS lastSeenAt, u.server_role AS serverRole, u.deactivated_at AS deactivatedAt,
         u.avatar_id AS avatarId
       FROM members AS m JOIN users AS u ON u.id = m.user_id
       WHERE m.conversation_id = @conversation AND m.left_seq IS NULL
         AND (@role IS NULL OR (m.role, m.user_id) > (@role, @user))
         AND (@pattern IS NULL OR u.username LIKE @pattern ESCAPE '\\' OR lower(u.display_name) LIKE @pattern ESCAPE '\\')
       ORDER BY m.role, m.user_id LIMIT @limit`,
    ),
    publicChannelsPage: h.prepare<
      { title: string | null; id: string; pattern: string | null; limit: number },
      ConversationRow & { memberCount: number }
    >(
      `SELECT ${CONVERSATION_COLUMNS},
         member_count AS memberCount
       FROM conversations
       WHERE channel_visibility = 'public'
         AND (@title IS NULL OR (lower(title), id) > (@title, @id))
         AND (@pattern IS NULL OR lower(title) LIKE @pattern ESCAPE '\\')
       ORDER BY lower(title), id LIMIT @limit`,
    ),
    channelMemberships: h.prepare<[string], { conversationId: string; joinedSeq: number }>(
      `SELECT m.conversation_id AS conversationId, m.joined_seq AS joinedSeq
       FROM members AS m JOIN conversations AS c ON c.id = m.conversation_id
       WHERE m.user_id = ? AND m.left_seq IS NULL AND c.channel_visibility IS NOT NULL`,
    ),
    countReadThrough: h.pluck<[string, number], number>(
      "SELECT count(*) FROM members WHERE conversation_id = ? AND left_seq IS NULL AND read_seq >= ?",
    ),
    setTitle: h.prepare<[string, string]>("UPDATE conversations SET title = ? WHERE id = ?"),
    setDisappear: h.prepare<[number | null, string]>("UPDATE conversations SET disappear_seconds = ? WHERE id = ?"),
    setRetention: h.prepare<[number | null, string]>("UPDATE conversations SET retention_seconds = ? WHERE id = ?"),
    setCreator: h.prepare<[string, string]>("UPDATE conversations SET created_by = ? WHERE id = ?"),
    insertMember: h.prepare<[string, string, Role, number, number, number, number]>(
      "INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    // The watermarks come from readmission() (membership-rules.ts): lifted to just before the re-join, never lowered.
    readmitMember: h.prepare<{
      conversationId: string;
      userId: string;
      seq: number;
      deliveredSeq: number;
      readSeq: number;
      receiptAt: number;
    }>(
      `UPDATE members SET role = 'member', joined_seq = @seq, left_seq = NULL,
         delivered_seq = @deliveredSeq, read_seq = @readSeq, receipt_at = @receiptAt
       WHERE conversation_id = @conversationId AND user_id = @userId`,
    ),
    currentMembers: h.prepare<[string], MemberRecord>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = ? AND left_seq IS NULL ORDER BY joined_seq, user_id`,
    ),
    // The counter of current members, kept by the schema's triggers (migration 24).
    memberCount: h.pluck<[string], number>("SELECT member_count FROM conversations WHERE id = ?"),
    setLeft: h.prepare<[number, string, string]>("UPDATE members SET left_seq = ? WHERE conversation_id = ? AND user_id = ?"),
    setRole: h.prepare<[Role, string, string]>("UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ?"),
    // A JSON array parameter: one statement for any number of conversations.
    receiptsMovedIn: h.pluck<[string, number], string>(
      `SELECT DISTINCT conversation_id FROM members
       WHERE conversation_id IN (SELECT value FROM json_each(?)) AND left_seq IS NULL AND receipt_at > ?`,
    ),
    membershipsOfUser: h.prepare<[string], MembershipRow>(
      `${MEMBERSHIPS_OF_USER} WHERE m.user_id = ? ORDER BY m.conversation_id`,
    ),
    // The same rows, one page: NULL bounds are open.
    membershipsPage: h.prepare<{ user: string; after: string | null; through: string | null; limit: number }, MembershipRow>(
      `${MEMBERSHIPS_OF_USER}
       WHERE m.user_id = @user AND (@after IS NULL OR m.conversation_id > @after)
         AND (@through IS NULL OR m.conversation_id <= @through)
       ORDER BY m.conversation_id LIMIT @limit`,
    ),
    membershipCounts: h.prepare<[string], { userId: string; n: number }>(
      `SELECT user_id AS userId, count(*) AS n FROM members
       WHERE user_id IN (SELECT value FROM json_each(?)) AND left_seq IS NULL GROUP BY user_id`,
    ),
    insertBan: h.prepare<[string, string, string, string | null, number]>(
      "INSERT INTO group_bans (conversation_id, user_id, banned_by, reason, created_at) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT DO NOTHING",
    ),
    ban: h.prepare<[string, string], GroupBanRecord>(
      `SELECT ${BAN_COLUMNS} FROM group_bans WHERE conversation_id = ? AND user_id = ?`,
    ),
    deleteBan: h.prepare<[string, string]>("DELETE FROM group_bans WHERE conversation_id = ? AND user_id = ?"),
    bans: h.prepare<[string], GroupBanRecord>(
      `SELECT ${BAN_COLUMNS} FROM group_bans WHERE conversation_id = ? ORDER BY created_at, user_id`,
    ),
    bannedAmong: h.pluck<[string, string], string>(
      "SELECT user_id FROM group_bans WHERE conversation_id = ? AND user_id IN (SELECT value FROM json_each(?))",
    ),
    groupsCreatedSince: h.prepare<[string, number], { count: number; oldest: number | null }>(
      "SELECT count(*) AS count, min(created_at) AS oldest FROM conversations WHERE created_by = ? AND created_at >= ?",
    ),
    insertSystem: h.prepare<[string, number, string, string, string, number]>(
      "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at) " +
        "VALUES (?, ?, ?, ?, NULL, 'system', NULL, ?, ?)",
    ),
  };
}

type OpenDirectInput = Parameters<ConversationStore["openDirect"]>[0];
type CreateGroupInput = Parameters<ConversationStore["createGroup"]>[0];
type CreateChannelInput = Parameters<ConversationStore["createChannel"]>[0];

/**
 * Permission and kind rules (who may add or rename, no member changes in direct conversations) belong to the
 * services; the store only enforces the integrity rules of the port.
 */
export class SqliteConversations implements ConversationStore {
  private readonly q: ReturnType<typeof prepareStatements>;
  private readonly openDirectTx: (input: OpenDirectInput) => { conversation: ConversationRecord; created: boolean };
  private readonly createGroupTx: (input: CreateGroupInput) => { conversation: ConversationRecord; message: Message };
  private readonly createChannelTx: (input: CreateChannelInput) => { conversation: ConversationRecord; message: Message };

  constructor(private readonly handle: SqliteHandle) {
    this.q = prepareStatements(handle);
    this.openDirectTx = handle.transaction((input: OpenDirectInput) => this.openDirectInTx(input));
    this.createGroupTx = handle.transaction((input: CreateGroupInput) => this.createGroupInTx(input));
    this.createChannelTx = handle.transaction((input: CreateChannelInput) => this.createChannelInTx(input));
  }

  async openDirect(input: OpenDirectInput): Promise<{ conversation: ConversationRecord; created: boolean }> {
    const result = this.openDirectTx(input);
    if (result.created) this.handle.cacheSeq(result.conversation.id, result.conversation.lastSeq);
    return result;
  }

  async createGroup(input: CreateGroupInput): Promise<{ conversation: ConversationRecord; message: Message }> {
    const result = this.createGroupTx(input);
    this.handle.cacheSeq(result.conversation.id, result.conversation.lastSeq);
    return result;
  }

  async createChannel(input: CreateChannelInput): Promise<{ conversation: ConversationRecord; message: Message }> {
    const result = this.createChannelTx(input);
    this.handle.cacheSeq(result.conversation.id, result.conversation.lastSeq);
    return result;
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    if (this.handle.unsettled) await this.handle.settled();
    const row = this.q.conversationById.get(id);
    return row === undefined ? undefined : toConversationRecord(row);
  }

  async countMembers(conversationId: string): Promise<number> {
    if (this.handle.unsettled) await this.handle.settled();
    return this.q.memberCount.get(conversationId) ?? 0;
  }

  async currentMembersAmong(conversationId: string, userIds: readonly string[]): Promise<MemberRecord[]> {
    if (userIds.length === 0) return [];
    if (this.handle.unsettled) await this.handle.settled();
    return this.q.membersAmong.all(conversationId, JSON.stringify(userIds));
  }

  async listChannelMembers(
    conversationId: string,
    page: { after?: ChannelMemberPosition; prefix?: string; limit: number },
  ): Promise<{ member: MemberRecord; user: UserRecord }[]> {
    if (this.handle.unsettled) await this.handle.settled();
    const rows = this.q.channelMembersPage.all({
      conversation: conversationId,
      role: page.after?.role ?? null,
      user: page.after?.userId ?? "",
      pattern: page.prefix === undefined ? null : likePrefix(page.prefix),
      limit: page.limit,
    });
    return rows.map(splitMemberAndUser);
  }

  async listPublicChannels(page: {
    after?: ChannelDirectoryPosition;
    prefix?: string;
    limit: number;
  }): Promise<{ conversation: ConversationRecord; memberCount: number }[]> {
    if (this.handle.unsettled) await this.handle.settled();
    const rows = this.q.publicChannelsPage.all({
      title: page.after?.title ?? null,
      id: page.after?.id ?? "",
      pattern: page.prefix === undefined ? null : likePrefix(page.prefix),
      limit: page.limit,
    });
    return rows.map(({ memberCount, ...row }) => ({ conversation: toConversationRecord(row), memberCount }));
  }

  async listChannelMemberships(userId: string): Promise<{ conversationId: string; joinedSeq: number }[]> {
    if (this.handle.unsettled) await this.handle.settled();
    return this.q.channelMemberships.all(userId);
  }

  async countReadThrough(conversationId: string, seq: number): Promise<number> {
    if (this.handle.unsettled) await this.handle.settled();
    return this.q.countReadThrough.get(conversationId, seq) ?? 0;
  }

  async getMembers(conversationId: string): Promise<MemberRecord[]> {
    if (this.handle.unsettled) await this.handle.settled();
    return this.q.currentMembers.all(conversationId);
  }

  async getMembership(conversationId: string, userId: string): Promise<MemberRecord | undefined> {
    if (this.handle.unsettled) await this.handle.settled();
    return this.q.membership.get(conversationId, userId);
  }

  async listMemberships(
    userId: string,
    page?: MembershipPage,
  ): Promise<{ membership: MemberRecord; conversation: ConversationRecord }[]> {
    if (this.handle.unsettled) await this.handle.settled();
    const rows =
      page === undefined
        ? this.q.membershipsOfUser.all(userId)
        : this.q.membershipsPage.all({
            user: userId,
            after: page.after ?? null,
            through: page.through ?? null,
            limit: page.limit,
          });
    return rows.map(splitMembershipRow);
  }

  async countMemberships(userIds: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(userIds.map((id) => [id, 0]));
    if (userIds.length === 0) return counts;
    if (this.handle.unsettled) await this.handle.settled();
    for (const row of this.q.membershipCounts.all(JSON.stringify(userIds))) counts.set(row.userId, row.n);
    return counts;
  }

  async groupsCreatedSince(ownerId: string, since: number): Promise<{ count: number; oldest: number | null }> {
    if (this.handle.unsettled) await this.handle.settled();
    return this.q.groupsCreatedSince.get(ownerId, since) ?? { count: 0, oldest: null };
  }

  async addBan(ban: GroupBanRecord): Promise<GroupBanRecord> {
    return this.handle.transaction(() => {
      this.q.insertBan.run(ban.conversationId, ban.userId, ban.bannedBy, ban.reason, ban.createdAt);
      return this.q.ban.get(ban.conversationId, ban.userId)!;
    })();
  }

  async removeBan(conversationId: string, userId: string): Promise<boolean> {
    return this.q.deleteBan.run(conversationId, userId).changes > 0;
  }

  async listBans(conversationId: string): Promise<GroupBanRecord[]> {
    return this.q.bans.all(conversationId);
  }

  async bannedAmong(conversationId: string, userIds: readonly string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    return this.q.bannedAmong.all(conversationId, JSON.stringify(userIds));
  }

  async conversationsWithReceiptsAfter(conversationIds: readonly string[], since: number): Promise<Set<string>> {
    if (conversationIds.length === 0) return new Set();
    if (this.handle.unsettled) await this.handle.settled();
    return new Set(this.q.receiptsMovedIn.all(JSON.stringify(conversationIds), since));
  }

  // ── transaction bodies (a throw rolls everything back) ──────────────────────────────────────────────────────

  /**
   * A membership change and its system entry, inside the log's append transaction; refusals are checked before
   * anything is written. `seqs` is the transaction's scratch map of assigned seqs (SqliteHandle.withSeqs).
   */
  membershipEntry(input: MembershipDraft, seqs: Map<string, number>): AppendOutcome {
    const q = this.q;
    const { conversationId, senderId: actorId, change } = input;
    const lastSeq = this.handle.currentSeq(conversationId, seqs);
    if (lastSeq === undefined) return membershipRefusal.conversationNotFound;
    const actorIsMember = q.isCurrentMember.get(conversationId, actorId) !== undefined;
    if (change.type === "join" ? actorIsMember : !actorIsMember) {
      return change.type === "join" ? membershipRefusal.alreadyMember : membershipRefusal.actorNotMember;
    }
    // The event's own seq: a departing member's left_seq equals it, so they still receive their own removal.
    const seq = lastSeq + 1;
    let admitted: string[] = [];
    switch (change.type) {
      case "add":
      case "join": {
        const userIds = change.type === "join" ? [actorId] : change.userIds;
        const rows = new Map(userIds.map((userId) => [userId, q.membership.get(conversationId, userId)]));
        const admission = admissions(userIds, (userId) => rows.get(userId)?.leftSeq);
        admitted = admission.admitted;
        if (admitted.length === 0) return membershipRefusal.allMembers;
        if (exceedsMembers(q.memberCount.get(conversationId) ?? 0, admitted.length, change.maxMembers)) {
          return membershipRefusal.groupFull(change.maxMembers);
        }
        const joinedSeq = admissionJoinedSeq(seq, change.fullHistory);
        for (const userId of admission.past) {
          const lifted = readmission(rows.get(userId)!, seq, input.createdAt);
          q.readmitMember.run({ conversationId, userId, seq: joinedSeq, ...lifted });
        }
        const floor = readmittedWatermark(seq);
        for (const userId of admission.fresh)
          q.insertMember.run(conversationId, userId, "member", joinedSeq, floor, floor, input.createdAt);
        break;
      }
      case "removeMany": {
        admitted = q.membersAmong.all(conversationId, JSON.stringify(change.userIds)).map((m) => m.userId);
        if (admitted.length === 0) return membershipRefusal.userNotMember;
        for (const userId of admitted) q.setLeft.run(seq, conversationId, userId);
        break;
      }
      case "remove": {
        const target = q.membership.get(conversationId, change.userId);
        if (target === undefined || target.leftSeq !== null) return membershipRefusal.userNotMember;
        this.endMembership(conversationId, change.userId, seq, target.role === "owner");
        break;
      }
      case "leave": {
        const wasOwner = q.membership.get(conversationId, actorId)?.role === "owner";
        this.endMembership(conversationId, actorId, seq, wasOwner);
        break;
      }
      case "role": {
        if (q.isCurrentMember.get(conversationId, change.userId) === undefined) return membershipRefusal.userNotMember;
        q.setRole.run(change.role, conversationId, change.userId);
        break;
      }
      case "rename": {
        q.setTitle.run(change.title, conversationId);
        break;
      }
      case "disappear": {
        q.setDisappear.run(change.seconds, conversationId);
        break;
      }
      case "retention": {
        q.setRetention.run(change.seconds, conversationId);
        break;
      }
    }
    seqs.set(conversationId, seq);
    const event = membershipEvent(change, actorId, admitted);
    const message = this.insertSystemMessage(conversationId, seq, input.id, actorId, event, input.createdAt);
    return { ok: true, message, duplicate: false };
  }

  /** Ends a membership at `seq`; when an owner goes, the successor (membership-rules.ts) becomes owner. */
  private endMembership(conversationId: string, userId: string, seq: number, wasOwner: boolean): void {
    this.q.setLeft.run(seq, conversationId, userId);
    if (!wasOwner) return;
    const successor = ownerSuccessor(this.q.currentMembers.all(conversationId));
    if (successor !== undefined) this.q.setRole.run("owner", conversationId, successor);
  }

  private insertSystemMessage(
    conversationId: string,
    seq: number,
    id: string,
    actorId: string,
    event: SystemEvent,
    at: number,
  ): Message {
    this.q.insertSystem.run(conversationId, seq, id, actorId, JSON.stringify(event), at);
    return {
      id,
      conversationId,
      seq,
      senderId: actorId,
      clientId: null,
      kind: "system",
      body: null,
      event,
      createdAt: at,
      attachments: [],
    };
  }

  private openDirectInTx(input: OpenDirectInput): { conversation: ConversationRecord; created: boolean } {
    const encrypted = input.encrypted === true;
    const { key, userIds, event } = directCreation(input.userA, input.userB, encrypted);
    const existing = this.q.conversationByDirectKey.get(key);
    if (existing !== undefined) return { conversation: toConversationRecord(existing), created: false };
    this.q.insertConversation.run(input.id, "direct", null, key, input.createdAt, 1, encrypted ? 1 : 0);
    for (const userId of userIds) this.q.insertMember.run(input.id, userId, "member", 1, 0, 0, input.createdAt);
    this.insertSystemMessage(input.id, 1, input.messageId, input.userA, event, input.createdAt);
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

  private createGroupInTx(input: CreateGroupInput): { conversation: ConversationRecord; message: Message } {
    const { others, event } = groupCreation(input.ownerId, input.memberIds, input.title);
    const encrypted = input.encrypted === true;
    this.q.insertConversation.run(input.id, "group", input.title, null, input.createdAt, 1, encrypted ? 1 : 0);
    this.q.setCreator.run(input.ownerId, input.id);
    this.q.insertMember.run(input.id, input.ownerId, "owner", 1, 0, 0, input.createdAt);
    for (const userId of others) this.q.insertMember.run(input.id, userId, "member", 1, 0, 0, input.createdAt);
    const message = this.insertSystemMessage(input.id, 1, input.messageId, input.ownerId, event, input.createdAt);
    return {
      conversation: {
        id: input.id,
        kind: "group",
        title: input.title,
        createdAt: input.createdAt,
        lastSeq: 1,
        ...NO_RETENTION,
        encrypted,
        channel: null,
      },
      message,
    };
  }

  private createChannelInTx(input: CreateChannelInput): { conversation: ConversationRecord; message: Message } {
    const { event, conversation } = channelCreation(input);
    const s: ChannelSettings = input.settings;
    this.q.insertConversation.run(input.id, "group", input.title, null, input.createdAt, 1, 0);
    this.q.setChannel.run(s.visibility, s.posting, s.history, input.id);
    this.q.insertMember.run(input.id, input.creatorId, "admin", 1, 0, 0, input.createdAt);
    const message = this.insertSystemMessage(input.id, 1, input.messageId, input.creatorId, event, input.createdAt);
    return { conversation, message };
  }
}
