// Channels (docs/channels.md, docs/protocol.md §6.17): creation, the directory of public channels, joining (also by
// invitation link), paged members, bulk membership changes and read counts. Membership itself is the conversations' (one code path): this
// service decides who may do what in a channel and hands the changes to the same conversation log.

import type { ChannelInvite, ChannelListing, ChannelMember, ChannelSettings, Conversation, Message } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { setNewest } from "../domain/bounded-map.js";
import { newId } from "../domain/ids.js";
import type { InviteRecord, InviteStore } from "../ports/admin-store.js";
import type { PushStore } from "../ports/push-store.js";
import type { AccountStore, ConversationRecord, ConversationStore, MemberRecord, MessageStore } from "../ports/store.js";
import { toUser } from "./auth-service.js";
import type { ChannelKinds } from "./channel-kinds.js";
import { noSuchConversation, requireCurrentMember } from "./conversation-access.js";
import type { ConversationService } from "./conversation-service.js";
import { checkInvitation, type InviteTerms, newInvite, spendInvitation, toInvite } from "./invitations.js";
import type { ConversationLog } from "./log/conversation-log.js";

export interface ChannelLimits {
  maxChannelMembers: number;
}

/** How long a read count is reused per (channel, seq) on a node. */
export const READ_COUNT_CACHE_MS = 5000;
const PAGE_DEFAULT = 50;
/** Most invitations `channels.invites` lists (the usable ones, newest first). */
const INVITES_LISTED = 100;

function toChannelInvite(record: InviteRecord, token?: string): ChannelInvite {
  return { ...toInvite(record, token), conversationId: record.conversationId! };
}

/** An opaque cursor: the position's parts, JSON, base64url. */
function encodeCursor(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString("base64url");
}

function decodeCursor(cursor: string, arity: number): string[] {
  try {
    const parts: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (Array.isArray(parts) && parts.length === arity && parts.every((p) => typeof p === "string")) return parts;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
  }
  throw new AppError("validation_failed", "Not a cursor this server handed out", { field: "cursor" });
}

export class ChannelService {
  private readonly readCounts = new Map<string, { count: number; at: number }>();

  constructor(
    private readonly store: AccountStore & ConversationStore & MessageStore,
    private readonly kinds: ChannelKinds,
    private readonly conversations: ConversationService,
    private readonly log: ConversationLog,
    private readonly limits: ChannelLimits,
    private readonly push: Pick<PushStore, "setChannelLevel">,
    private readonly invitations: Pick<
      InviteStore,
      "createChannelInvite" | "listChannelInvites" | "revokeChannelInvite" | "getInvite" | "useInvite" | "releaseInvite"
    >,
  ) {}

  /** The caller's notification level in a channel (push notifications: every message, or mentions only). */
  async setNotifications(
    userId: string,
    conversationId: string,
    level: "all" | "mentions",
  ): Promise<{ conversationId: string; level: "all" | "mentions" }> {
    await this.requireChannelMember(userId, conversationId);
    await this.push.setChannelLevel(userId, conversationId, level);
    return { conversationId, level };
  }

  async create(
    creatorId: string,
    input: {
      title: string;
      visibility: ChannelSettings["visibility"];
      posting?: ChannelSettings["posting"];
      history?: ChannelSettings["history"];
    },
  ): Promise<Conversation> {
    await this.conversations.requireRoom([creatorId], "title");
    await this.conversations.requireDailyGroupQuota(creatorId);
    const settings: ChannelSettings = {
      visibility: input.visibility,
      posting: input.posting ?? "everyone",
      history: input.history ?? "full",
    };
    const { conversation } = await this.log.createChannel({
      id: newId(),
      title: input.title,
      creatorId,
      settings,
      createdAt: Date.now(),
      messageId: newId(),
    });
    this.kinds.remember(conversation.id, conversation.channel);
    return this.conversations.view(conversation, creatorId);
  }

  async directory(input: {
    query?: string;
    cursor?: string;
    limit?: number;
  }): Promise<{ channels: ChannelListing[]; next: string | null }> {
    const limit = input.limit ?? PAGE_DEFAULT;
    const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor, 2);
    const rows = await this.store.listPublicChannels({
      ...(after === undefined ? {} : { after: { title: after[0]!, id: after[1]! } }),
      ...(input.query === undefined ? {} : { prefix: input.query }),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1)?.conversation;
    return {
      channels: page.map(({ conversation, memberCount }) => ({
        id: conversation.id,
        title: conversation.title ?? "",
        createdAt: conversation.createdAt,
        memberCount,
        posting: conversation.channel!.posting,
        history: conversation.channel!.history,
      })),
      next: rows.length > limit && last ? encodeCursor([(last.title ?? "").toLowerCase(), last.id]) : null,
    };
  }

  /** Joins a public channel (a current member gets the channel as it is); a private one is not found. */
  async join(userId: string, conversationId: string): Promise<Conversation> {
    const conversation = await this.store.getConversation(conversationId);
    const membership = await this.store.getMembership(conversationId, userId);
    const current = membership !== undefined && membership.leftSeq === null;
    if (conversation?.channel == null) {
      // Not a channel: what the caller may learn of it is the access rule's answer.
      if (membership !== undefined && conversation !== undefined) {
        requireCurrentMember(membership);
        throw new AppError("forbidden", "Only channels can be joined");
      }
      throw noSuchConversation();
    }
    if (!current) {
      if (conversation.channel.visibility !== "public" && membership === undefined) throw noSuchConversation();
      if (conversation.channel.visibility !== "public") {
        throw new AppError("forbidden", "A private channel is joined by invitation of its admins");
      }
      await this.admit(userId, conversation, "conversationId");
    }
    return this.current(userId, conversationId);
  }

  /** An invitation link of the channel (its admins): the token is in this answer only. */
  async createInvite(actorId: string, conversationId: string, terms: InviteTerms): Promise<ChannelInvite> {
    await this.requireAdmin(actorId, conversationId);
    const now = Date.now();
    const { record, token } = newInvite(actorId, terms, now);
    await this.invitations.createChannelInvite({ ...record, conversationId });
    return toChannelInvite({ ...record, conversationId, uses: 0, revokedAt: null }, token);
  }

  async invites(actorId: string, conversationId: string): Promise<{ invites: ChannelInvite[] }> {
    await this.requireAdmin(actorId, conversationId);
    const records = await this.invitations.listChannelInvites(conversationId, Date.now(), INVITES_LISTED);
    return { invites: records.map((r) => toChannelInvite(r)) };
  }

  async revokeInvite(actorId: string, conversationId: string, inviteId: string): Promise<ChannelInvite> {
    await this.requireAdmin(actorId, conversationId);
    const record = await this.invitations.revokeChannelInvite(conversationId, inviteId, Date.now());
    if (!record) throw new AppError("not_found", "No such invitation in this channel", { field: "inviteId" });
    return toChannelInvite(record);
  }

  /**
   * Joins the channel of an invitation link, public or private. A current member gets the channel and spends no use;
   * a join that fails after the use was counted (the channel is full) gives the use back.
   */
  async joinByInvite(userId: string, token: string): Promise<Conversation> {
    const now = Date.now();
    const invite = await checkInvitation(this.invitations, token, "channel", now, "token");
    const conversationId = invite.conversationId!;
    const membership = await this.store.getMembership(conversationId, userId);
    if (membership === undefined || membership.leftSeq !== null) {
      const conversation = await this.store.getConversation(conversationId);
      if (!conversation) throw noSuchConversation();
      await spendInvitation(this.invitations, invite, now, "token");
      let joined: boolean;
      try {
        joined = await this.admit(userId, conversation, "token");
      } catch (error) {
        await this.invitations.releaseInvite(invite.id);
        throw error;
      }
      // Another join of the same user won meanwhile: this one admitted nobody.
      if (!joined) await this.invitations.releaseInvite(invite.id);
    }
    return this.current(userId, conversationId);
  }

  async members(
    userId: string,
    input: { conversationId: string; query?: string; cursor?: string; limit?: number },
  ): Promise<{ members: ChannelMember[]; next: string | null }> {
    await this.requireChannelMember(userId, input.conversationId);
    const limit = input.limit ?? PAGE_DEFAULT;
    const after = input.cursor === undefined ? undefined : decodeCursor(input.cursor, 2);
    const rows = await this.store.listChannelMembers(input.conversationId, {
      ...(after === undefined ? {} : { after: { role: after[0]!, userId: after[1]! } }),
      ...(input.query === undefined ? {} : { prefix: input.query }),
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1)?.member;
    return {
      members: page.map(({ member, user }) => ({
        user: toUser(user),
        role: member.role === "member" ? "member" : "admin",
        joinedSeq: member.joinedSeq,
      })),
      next: rows.length > limit && last ? encodeCursor([last.role, last.userId]) : null,
    };
  }

  /** Adds up to 1,000 users (admins only): one `member.added` entry listing the ones admitted. */
  async addMembers(actorId: string, conversationId: string, userIds: readonly string[]): Promise<Message> {
    const { conversation } = await this.requireAdmin(actorId, conversationId);
    const found = await this.store.getUsersByIds(userIds);
    if (found.length !== new Set(userIds).size) throw new AppError("not_found", "Unknown user in userIds", { field: "userIds" });
    const current = new Set((await this.store.currentMembersAmong(conversationId, userIds)).map((m) => m.userId));
    const joining = found.filter((u) => !current.has(u.id));
    this.conversations.requireActiveUsers(joining, "userIds");
    const joiningIds = joining.map((u) => u.id);
    await this.conversations.requireConsent(actorId, joiningIds, "userIds");
    await this.conversations.requireRoom(joiningIds, "userIds");
    return this.conversations.submitChange(actorId, conversationId, {
      type: "add",
      userIds: [...userIds],
      maxMembers: this.limits.maxChannelMembers,
      fullHistory: conversation.channel!.history === "full",
    });
  }

  /** Removes up to 1,000 members (admins only; not the caller: they leave): one `members.removed` entry. */
  async removeMembers(actorId: string, conversationId: string, userIds: readonly string[]): Promise<Message> {
    await this.requireAdmin(actorId, conversationId);
    if (userIds.includes(actorId)) {
      throw new AppError("forbidden", "Leave the channel instead of removing yourself", { field: "userIds", userId: actorId });
    }
    return this.conversations.submitChange(actorId, conversationId, { type: "removeMany", userIds: [...userIds] });
  }

  /**
   * How many current members read up to `seq`: asked by the author of the message at `seq` or by an admin. Counted by
   * the store over an index and reused on this node for READ_COUNT_CACHE_MS.
   */
  async readCount(
    userId: string,
    conversationId: string,
    seq: number,
  ): Promise<{ conversationId: string; seq: number; count: number }> {
    const { conversation, membership } = await this.requireChannelMember(userId, conversationId);
    if (seq > conversation.lastSeq || seq < membership.joinedSeq) {
      throw new AppError("message_not_found", "No such message in this channel", { field: "seq" });
    }
    if (membership.role === "member") {
      const [entry] = await this.store.getMessagesBySeq(conversationId, [seq]);
      if (entry?.senderId !== userId) throw new AppError("forbidden", "Only the author and the channel's admins see read counts");
    }
    const key = `${conversationId}:${seq}`;
    const now = Date.now();
    const hit = this.readCounts.get(key);
    if (hit !== undefined && now - hit.at < READ_COUNT_CACHE_MS) return { conversationId, seq, count: hit.count };
    const count = await this.store.countReadThrough(conversationId, seq);
    setNewest(this.readCounts, key, { count, at: now }, 10_000);
    return { conversationId, seq, count };
  }

  /**
   * Submits the user's join of a channel they are not a current member of; false when another join of theirs won
   * meanwhile (no error: they are a member).
   */
  private async admit(userId: string, conversation: ConversationRecord, field: string): Promise<boolean> {
    await this.conversations.requireRoom([userId], field);
    const outcome = await this.log.submit({
      id: newId(),
      conversationId: conversation.id,
      senderId: userId,
      createdAt: Date.now(),
      change: {
        type: "join",
        maxMembers: this.limits.maxChannelMembers,
        fullHistory: conversation.channel?.history === "full",
      },
    });
    if (outcome.ok) return true;
    if (outcome.code === "conflict") return false;
    throw new AppError(outcome.code, outcome.message);
  }

  /** The channel as its member `userId` sees it now. */
  private async current(userId: string, conversationId: string): Promise<Conversation> {
    const now = await this.store.getConversation(conversationId);
    if (!now) throw noSuchConversation();
    return this.conversations.view(now, userId);
  }

  /** The user's current channels with where each window starts: what a new session of theirs follows. */
  membershipsOf(userId: string): Promise<{ conversationId: string; joinedSeq: number }[]> {
    return this.store.listChannelMemberships(userId);
  }

  private async requireChannelMember(
    userId: string,
    conversationId: string,
  ): Promise<{ conversation: ConversationRecord; membership: MemberRecord }> {
    const membership = requireCurrentMember(await this.store.getMembership(conversationId, userId));
    const conversation = await this.store.getConversation(conversationId);
    if (!conversation) throw noSuchConversation();
    if (conversation.channel === null) throw new AppError("forbidden", "This operation is for channels only");
    return { conversation, membership };
  }

  private async requireAdmin(
    userId: string,
    conversationId: string,
  ): Promise<{ conversation: ConversationRecord; membership: MemberRecord }> {
    const found = await this.requireChannelMember(userId, conversationId);
    if (found.membership.role === "member") throw new AppError("forbidden", "This needs the role admin");
    return found;
  }
}
