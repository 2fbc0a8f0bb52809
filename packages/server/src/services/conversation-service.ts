// Direct and group conversations: creation, membership rules (roles, limits) and the caller's view of each one.

import type { Conversation, ConversationSummary, GroupAdds, GroupBan, Member, Message, Role } from "@parley/protocol";
import { mentionToken } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { newId } from "../domain/ids.js";
import { limitToWindow } from "../domain/membership-window.js";
import type {
  AccountStore,
  AppendOutcome,
  ConversationRecord,
  ConversationStore,
  GroupBanRecord,
  MemberRecord,
  MembershipChange,
  MessageStore,
  UserRecord,
} from "../ports/store.js";
import { noSuchConversation, requireCurrentMember, requireReader } from "./conversation-access.js";
import type { ConversationLog } from "./log/conversation-log.js";
import { membershipDraft } from "./log/entry-drafts.js";
import type { MemberCache } from "./member-cache.js";
import { type RetentionPolicy, retentionView } from "./retention-policy.js";

export function toMember(m: MemberRecord): Member {
  return { userId: m.userId, role: m.role, joinedSeq: m.joinedSeq, deliveredSeq: m.deliveredSeq, readSeq: m.readSeq };
}

/** A membership change the log refused, as the protocol error of the same code. */
function membershipRefusal(outcome: Extract<AppendOutcome, { ok: false }>): AppError {
  const messages: Partial<Record<typeof outcome.code, string>> = {
    not_found: "Conversation not found",
    not_member: "Not a member of this conversation",
  };
  return new AppError(outcome.code, messages[outcome.code] ?? outcome.message);
}

/** The limits on membership this service enforces (docs/protocol.md §15). */
export interface ConversationLimits {
  maxGroupMembers: number;
  maxConversationsPerUser: number;
  maxGroupsPerDay: number;
  conversationPageMax: number;
  groupAddsDefault: GroupAdds;
}

const DAY_MS = 86_400_000;

/** The one answer to every consent refusal: it does not say whether a block or a setting refused, nor whose. */
export function notAllowed(field?: string): AppError {
  return new AppError("not_allowed", "A user does not accept this from you", field === undefined ? undefined : { field });
}

/**
 * Nobody joins a deactivated account to a conversation (a new group, an added member, a direct chat): it could not
 * read it. Unlike consent refusals this one names its reason, since every user sees `deactivated` on the account.
 */
/** A ban as the protocol shows it (§7.4). */
function toBan(ban: GroupBanRecord): GroupBan {
  return { userId: ban.userId, bannedBy: ban.bannedBy, reason: ban.reason, createdAt: ban.createdAt };
}

function requireActive(users: readonly UserRecord[], field: string): void {
  const inactive = users.find((u) => u.deactivatedAt !== null);
  if (inactive) {
    throw new AppError("not_allowed", "That account is deactivated", { field, userId: inactive.id, reason: "deactivated" });
  }
}

export class ConversationService {
  constructor(
    private readonly store: AccountStore & ConversationStore & MessageStore,
    private readonly members: MemberCache,
    private readonly log: ConversationLog,
    private readonly retention: RetentionPolicy,
    private readonly limits: ConversationLimits,
  ) {}

  async openDirect(userId: string, otherId: string, encrypted = false): Promise<Conversation> {
    const other = await this.store.getUserById(otherId);
    if (!other) throw new AppError("not_found", "User not found", { field: "userId" });
    requireActive([other], "userId");
    if ((await this.store.blockedBy(userId, [otherId])).length > 0) throw notAllowed("userId");
    await this.requireRoom([...new Set([userId, otherId])], "userId");
    const { conversation } = await this.log.openDirect({
      id: newId(),
      userA: userId,
      userB: otherId,
      createdAt: Date.now(),
      messageId: newId(),
      ...(encrypted ? { encrypted } : {}),
    });
    return this.view(conversation, userId);
  }

  async createGroup(ownerId: string, title: string, memberIds: readonly string[], encrypted = false): Promise<Conversation> {
    const others = [...new Set(memberIds)].filter((id) => id !== ownerId);
    if (others.length + 1 > this.limits.maxGroupMembers) {
      throw new AppError("group_full", `A group has at most ${this.limits.maxGroupMembers} members`, { field: "memberIds" });
    }
    const found = await this.store.getUsersByIds(others);
    if (found.length !== others.length) {
      const known = new Set(found.map((u) => u.id));
      throw new AppError("not_found", "Unknown user in memberIds", {
        field: "memberIds",
        userId: others.find((id) => !known.has(id)),
      });
    }
    requireActive(found, "memberIds");
    await this.requireDailyGroupQuota(ownerId);
    await this.requireConsent(ownerId, others, "memberIds");
    await this.requireRoom([ownerId, ...others], "memberIds");
    const { conversation } = await this.log.createGroup({
      id: newId(),
      title,
      ownerId,
      memberIds: others,
      createdAt: Date.now(),
      messageId: newId(),
      ...(encrypted ? { encrypted } : {}),
    });
    return this.view(conversation, ownerId);
  }

  async get(userId: string, conversationId: string): Promise<ConversationSummary> {
    const membership = requireReader(await this.store.getMembership(conversationId, userId));
    const conversation = await this.store.getConversation(conversationId);
    if (!conversation) throw noSuchConversation();
    return this.summary(conversation, membership, await this.retention.maxMessageAge());
  }

  /**
   * One page of the caller's conversations: the next `limit` (at most conversationPageMax) by conversation id after
   * `after`, so that a page costs the same however many conversations the caller has. Within the page, latest activity
   * first (what clients that never page received before paging existed).
   */
  async list(
    userId: string,
    page: { after?: string; limit?: number } = {},
  ): Promise<{ conversations: ConversationSummary[]; next: string | null }> {
    const limit = Math.min(page.limit ?? this.limits.conversationPageMax, this.limits.conversationPageMax);
    const rows = await this.store.listMemberships(userId, {
      ...(page.after === undefined ? {} : { after: page.after }),
      limit: limit + 1,
    });
    const more = rows.length > limit;
    const shown = more ? rows.slice(0, limit) : rows;
    const serverMaxAge = await this.retention.maxMessageAge();
    const summaries = await Promise.all(shown.map((r) => this.summary(r.conversation, r.membership, serverMaxAge)));
    const activity = (s: ConversationSummary) => s.lastMessage?.createdAt ?? s.createdAt;
    return {
      conversations: summaries.sort((a, b) => activity(b) - activity(a)),
      next: more ? shown[shown.length - 1]!.conversation.id : null,
    };
  }

  async rename(actorId: string, conversationId: string, title: string): Promise<Message> {
    await this.requireGroupRole(actorId, conversationId, ["owner", "admin"], "channel");
    return this.submitChange(actorId, conversationId, { type: "rename", title });
  }

  /**
   * The members' disappearing-messages timer: any current member of a group or a direct conversation sets it; in a
   * channel, its admins.
   */
  async setDisappearing(actorId: string, conversationId: string, seconds: number | null): Promise<Message> {
    const { conversation, membership } = await this.requireMember(actorId, conversationId);
    if (conversation.kind === "channel" && membership.role === "member") {
      throw new AppError("forbidden", "This needs the role admin");
    }
    return this.submitChange(actorId, conversationId, { type: "disappear", seconds });
  }

  /**
   * The conversation's retention, at most the server's maximum message age: set by a group's owner and admins, or by
   * either member of a direct conversation.
   */
  async setRetention(actorId: string, conversationId: string, seconds: number | null): Promise<Message> {
    const { conversation, membership } = await this.requireMember(actorId, conversationId);
    if (conversation.kind !== "direct" && membership.role === "member") {
      throw new AppError("forbidden", "This needs the role owner or admin");
    }
    await this.retention.requireWithinServerMax(seconds);
    return this.submitChange(actorId, conversationId, { type: "retention", seconds });
  }

  async addMembers(actorId: string, conversationId: string, userIds: readonly string[]): Promise<Message> {
    await this.requireGroupRole(actorId, conversationId, ["owner", "admin"]);
    const found = await this.store.getUsersByIds(userIds);
    if (found.length !== new Set(userIds).size) throw new AppError("not_found", "Unknown user in userIds", { field: "userIds" });
    // Current members are skipped by the store: neither their consent nor their room matters.
    const current = new Set(await this.members.get(conversationId));
    const joining = [...new Set(userIds)].filter((id) => !current.has(id));
    const banned = await this.store.bannedAmong(conversationId, joining);
    if (banned.length > 0) {
      throw new AppError("not_allowed", "That user is banned from this group", {
        field: "userIds",
        userId: banned[0],
        reason: "banned",
      });
    }
    requireActive(
      found.filter((u) => !current.has(u.id)),
      "userIds",
    );
    await this.requireConsent(actorId, joining, "userIds");
    await this.requireRoom(joining, "userIds");
    return this.submitChange(actorId, conversationId, {
      type: "add",
      userIds: [...userIds],
      maxMembers: this.limits.maxGroupMembers,
    });
  }

  async removeMember(actorId: string, conversationId: string, userId: string): Promise<Message> {
    if (userId === actorId) return this.leave(actorId, conversationId);
    const actor = await this.requireGroupRole(actorId, conversationId, ["owner", "admin"]);
    const target = await this.store.getMembership(conversationId, userId);
    if (!target || target.leftSeq !== null) throw new AppError("not_member", "That user is not a member of this conversation");
    if (target.role === "owner" || (target.role === "admin" && actor.role !== "owner")) {
      throw new AppError("forbidden", "Only the owner can remove an admin, and nobody can remove the owner");
    }
    return this.submitChange(actorId, conversationId, { type: "remove", userId });
  }

  /**
   * Bans `userId` from the group: removed as by `members.remove` when a current member (same role rules, same
   * `member.removed` entry), and refused by `members.add` until unbanned. A user who is not a member (left, removed,
   * never joined) can be banned too. The ban is stored before the removal: a removal that fails leaves a ban that a
   * repeated call completes, never a removal without its ban.
   */
  async ban(
    actorId: string,
    conversationId: string,
    userId: string,
    reason: string | undefined,
  ): Promise<{ ban: GroupBan; message: Message | null }> {
    const actor = await this.requireGroupRole(actorId, conversationId, ["owner", "admin"]);
    if (userId === actorId) throw new AppError("forbidden", "You cannot ban yourself");
    const target = await this.store.getMembership(conversationId, userId);
    const member = target !== undefined && target.leftSeq === null;
    if (member && (target.role === "owner" || (target.role === "admin" && actor.role !== "owner"))) {
      throw new AppError("forbidden", "Only the owner can ban an admin, and nobody can ban the owner");
    }
    if (!member && !(await this.store.getUserById(userId))) {
      throw new AppError("not_found", "User not found", { field: "userId" });
    }
    const ban = await this.store.addBan({
      conversationId,
      userId,
      bannedBy: actorId,
      reason: reason ?? null,
      createdAt: Date.now(),
    });
    const message = member ? await this.submitChange(actorId, conversationId, { type: "remove", userId }) : null;
    return { ban: toBan(ban), message };
  }

  /** Lifts a ban (idempotent); owner and admins. Returns the group's remaining bans. */
  async unban(actorId: string, conversationId: string, userId: string): Promise<GroupBan[]> {
    await this.requireGroupRole(actorId, conversationId, ["owner", "admin"]);
    await this.store.removeBan(conversationId, userId);
    return (await this.store.listBans(conversationId)).map(toBan);
  }

  /** The group's bans, oldest first; owner and admins only. */
  async bans(actorId: string, conversationId: string): Promise<GroupBan[]> {
    await this.requireGroupRole(actorId, conversationId, ["owner", "admin"]);
    return (await this.store.listBans(conversationId)).map(toBan);
  }

  /** A group's owner sets the others' roles; in a channel, any admin sets another member's. */
  async setRole(actorId: string, conversationId: string, userId: string, role: Exclude<Role, "owner">): Promise<Message> {
    await this.requireGroupRole(actorId, conversationId, ["owner"], "channel");
    if (userId === actorId) throw new AppError("forbidden", "Your own role cannot be changed by yourself");
    return this.submitChange(actorId, conversationId, { type: "role", userId, role });
  }

  async leave(actorId: string, conversationId: string): Promise<Message> {
    const { conversation } = await this.requireMember(actorId, conversationId);
    if (conversation.kind === "direct") throw new AppError("forbidden", "You cannot leave a direct conversation");
    return this.submitChange(actorId, conversationId, { type: "leave" });
  }

  /** Nobody joins a deactivated account to a conversation (see requireActive). */
  requireActiveUsers(users: readonly UserRecord[], field: string): void {
    requireActive(users, field);
  }

  /** Every user in `userIds` (other than the actor) lets `actorId` add them to groups and channels; else not_allowed. */
  async requireConsent(actorId: string, userIds: readonly string[], field: string): Promise<void> {
    const others = userIds.filter((id) => id !== actorId);
    if ((await this.store.refusingGroupAdd(actorId, others, this.limits.groupAddsDefault)).length > 0) throw notAllowed(field);
  }

  /**
   * Every user in `userIds` has room for one more conversation. Checked before the change, not in its transaction:
   * concurrent requests can overshoot the limit by their number, which keeps it a bound on what an attacker can force.
   */
  async requireRoom(userIds: readonly string[], field: string): Promise<void> {
    const max = this.limits.maxConversationsPerUser;
    for (const [userId, count] of await this.store.countMemberships(userIds)) {
      if (count >= max) {
        throw new AppError("conversation_limit", `A user can be in at most ${max} conversations`, { field, userId, limit: max });
      }
    }
  }

  /** The owner created fewer than maxGroupsPerDay groups in the last 24 hours; else rate_limited until one ages out. */
  async requireDailyGroupQuota(ownerId: string): Promise<void> {
    const now = Date.now();
    const { count, oldest } = await this.store.groupsCreatedSince(ownerId, now - DAY_MS);
    if (count < this.limits.maxGroupsPerDay) return;
    const retryAfterMs = Math.max(1, (oldest ?? now) + DAY_MS - now);
    throw new AppError(
      "rate_limited",
      `You can create at most ${this.limits.maxGroupsPerDay} groups a day`,
      { limit: "groups_per_day" },
      retryAfterMs,
    );
  }

  /** The change and its system entry go through the conversation log, which announces them once committed. */
  async submitChange(actorId: string, conversationId: string, change: MembershipChange): Promise<Message> {
    const outcome = await this.log.submit(membershipDraft(actorId, conversationId, change));
    if (!outcome.ok) throw membershipRefusal(outcome);
    return outcome.message;
  }

  private async requireMember(userId: string, conversationId: string) {
    const membership = requireCurrentMember(await this.store.getMembership(conversationId, userId));
    const conversation = await this.store.getConversation(conversationId);
    if (!conversation) throw noSuchConversation();
    return { conversation, membership };
  }

  /**
   * The caller's membership when they hold one of `roles` in a group. `channel`: the operation also applies to
   * channels, where it needs the role admin; without it a channel is refused (its membership has its own operations).
   */
  private async requireGroupRole(
    userId: string,
    conversationId: string,
    roles: Role[],
    channel?: "channel",
  ): Promise<MemberRecord> {
    const { conversation, membership } = await this.requireMember(userId, conversationId);
    if (conversation.kind === "direct") throw new AppError("forbidden", "Direct conversations have fixed members and no title");
    if (conversation.kind === "channel") {
      if (channel === undefined)
        throw new AppError("forbidden", "Channels change members with channels.addMembers and channels.removeMembers");
      if (membership.role !== "admin") throw new AppError("forbidden", "This needs the role admin");
      return membership;
    }
    if (!roles.includes(membership.role)) throw new AppError("forbidden", `This needs the role ${roles.join(" or ")}`);
    return membership;
  }

  /** The members of a conversation as `viewerId` is shown them: everyone, or in a channel the viewer and a count. */
  private async shownMembers(
    conversation: ConversationRecord,
    viewerId: string,
  ): Promise<{ members: Member[]; memberCount?: number }> {
    if (conversation.channel === null) return { members: (await this.store.getMembers(conversation.id)).map(toMember) };
    const [own, memberCount] = await Promise.all([
      this.store.getMembership(conversation.id, viewerId),
      this.store.countMembers(conversation.id),
    ]);
    return { members: own && own.leftSeq === null ? [toMember(own)] : [], memberCount };
  }

  /** A conversation as its member `viewerId` sees it (creation and join answers). */
  async view(conversation: ConversationRecord, viewerId: string): Promise<Conversation> {
    const [shown, serverMaxAge] = await Promise.all([this.shownMembers(conversation, viewerId), this.retention.maxMessageAge()]);
    return {
      id: conversation.id,
      kind: conversation.kind,
      title: conversation.title,
      createdAt: conversation.createdAt,
      lastSeq: conversation.lastSeq,
      members: shown.members,
      ...(conversation.channel === null ? {} : { channel: conversation.channel, memberCount: shown.memberCount ?? 0 }),
      ...retentionView(conversation, serverMaxAge),
      ...(conversation.encrypted ? { encrypted: true as const } : {}),
    };
  }

  private async summary(
    conversation: ConversationRecord,
    me: MemberRecord,
    serverMaxAge: number | null,
  ): Promise<ConversationSummary> {
    const maxSeq = me.leftSeq ?? conversation.lastSeq;
    const unreadAfter = Math.max(me.readSeq, me.joinedSeq - 1);
    const [shown, lastMessage, unread] = await Promise.all([
      // A former member learns nothing about the group after leaving: not who is in it now, nor their receipts.
      me.leftSeq === null ? this.shownMembers(conversation, me.userId) : { members: [] as Member[], memberCount: undefined },
      this.store.getLastMessage(conversation.id, maxSeq, me.userId),
      this.store.countUnread(conversation.id, me.userId, unreadAfter, maxSeq),
    ]);
    // Most rows of a long list have nothing unread: only the others pay for the mention count.
    const mentions =
      unread === 0
        ? 0
        : await this.store.countUnreadMentions(conversation.id, me.userId, unreadAfter, maxSeq, mentionToken(me.userId));
    return {
      id: conversation.id,
      kind: conversation.kind,
      title: conversation.title,
      createdAt: conversation.createdAt,
      lastSeq: maxSeq,
      members: shown.members,
      ...(conversation.channel === null
        ? {}
        : { channel: conversation.channel, ...(shown.memberCount === undefined ? {} : { memberCount: shown.memberCount }) }),
      // Its quote is shown as history shows it (no leave time or quoted rows here: a former member's last entry is
      // their leave event, and anything else of theirs counts as changed, withheld rather than shown).
      lastMessage:
        lastMessage && lastMessage.seq >= me.joinedSeq
          ? limitToWindow(lastMessage, { joinedSeq: me.joinedSeq, leftSeq: me.leftSeq, leftAt: null }, new Map())
          : null,
      unread,
      mentions,
      membership: me.leftSeq === null ? "member" : "left",
      ...retentionView(conversation, serverMaxAge),
      ...(conversation.encrypted ? { encrypted: true as const } : {}),
    };
  }
}
