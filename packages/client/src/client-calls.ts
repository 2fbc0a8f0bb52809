// How ParleyClient calls the server: any operation over the carrier that can take it, and the calls that are one
// operation each (the account, users, contacts, blocks, conversations, members, history, search). ParleyClient adds
// the live state; these only hand the members they learn to its receipt book.

import {
  type Conversation,
  type ConversationSummary,
  type DeviceSession,
  type GroupBan,
  type Message,
  type OpArgs,
  type OpName,
  type OpResult,
  operations,
  type ReceiptState,
  type Report,
  type ReportReason,
  type User,
} from "@parley/protocol";
import { inChunks } from "./calls.js";
import type { ClientEvents, HistoryOptions } from "./client-options.js";
import type { Connection } from "./connection.js";
import { ParleyError } from "./errors.js";
import { Emitter } from "./events.js";
import type { HttpApi } from "./http-api.js";
import { type SearchFilters, type SearchPage, searchPage } from "./search.js";
import { listAllConversations } from "./sync.js";

export abstract class ClientCalls extends Emitter<ClientEvents> {
  abstract readonly http: HttpApi;
  abstract readonly connection: Connection;

  /** Any operation: over the live connection when it is up and carries the op, otherwise over HTTP. */
  async call<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpResult<K>> {
    const spec = operations[op];
    if (this.connection.state === "connected" && spec.transports.includes("live")) {
      try {
        return await this.connection.request(op, args);
      } catch (error) {
        // Only a request that was never sent may take the other road: a resent mutation could apply twice.
        if (!(error instanceof ParleyError && error.code === "not_connected" && spec.http)) throw error;
      }
    }
    if (!spec.http) throw new ParleyError("not_connected", `${op} needs the live connection`);
    return this.http.call(op, args);
  }

  /** A conversation's current members (with their watermarks), as an answer of the server showed them. */
  protected abstract membersSeen(conversationId: string, members: readonly ReceiptState[]): void;

  me(): Promise<User> {
    return this.call("me.get", {});
  }

  updateProfile(displayName: string): Promise<User> {
    return this.call("me.update", { displayName });
  }

  /** Changes the password (the current one is required: `wrong_password` otherwise); every other device is signed out. */
  async changePassword(oldPassword: string, newPassword: string): Promise<void> {
    await this.call("me.changePassword", { oldPassword, newPassword });
  }

  /** This user's signed-in devices; `current` marks this one. */
  async sessions(): Promise<DeviceSession[]> {
    return (await this.call("sessions.list", {})).sessions;
  }

  /** Signs a device out (its connections close with 4102); the devices left. Revoking this one loses the session. */
  async revokeSession(sessionId: string): Promise<DeviceSession[]> {
    return (await this.call("sessions.revoke", { sessionId })).sessions;
  }

  getUser(username: string): Promise<User> {
    return this.call("users.get", { username });
  }

  async getUsers(userIds: readonly string[]): Promise<User[]> {
    const out: User[] = [];
    for (const chunk of inChunks(userIds)) out.push(...(await this.call("users.getMany", { userIds: chunk })).users);
    return out;
  }

  /**
   * People whose username or display name contains `query` (not this user, deactivated or blocked users), a page at
   * a time: pass the answer's `next` as `after` for the next page (null on the last). Errors: `rate_limited`.
   */
  searchUsers(query: string, options: { after?: string; limit?: number } = {}): Promise<{ users: User[]; next: string | null }> {
    return this.call("users.search", { query, ...options });
  }

  /** Removes this user's profile picture; the updated user. */
  removeAvatar(): Promise<User> {
    return this.call("me.removeAvatar", {});
  }

  async contacts(): Promise<User[]> {
    return (await this.call("contacts.list", {})).contacts;
  }

  async addContact(userId: string): Promise<User[]> {
    return (await this.call("contacts.add", { userId })).contacts;
  }

  async removeContact(userId: string): Promise<User[]> {
    return (await this.call("contacts.remove", { userId })).contacts;
  }

  /** The users this user blocked. */
  async blocked(): Promise<User[]> {
    return (await this.call("blocks.list", {})).blocked;
  }

  /** Blocks a user: they can no longer add this user to groups, open a direct chat with them or write in it. */
  async block(userId: string): Promise<User[]> {
    return (await this.call("blocks.add", { userId })).blocked;
  }

  async unblock(userId: string): Promise<User[]> {
    return (await this.call("blocks.remove", { userId })).blocked;
  }

  /** Every conversation of the user (all pages of `conversations.list`), each page by latest activity first. */
  async conversations(): Promise<ConversationSummary[]> {
    const conversations = await listAllConversations((op, args) => this.call(op, args));
    for (const c of conversations) if (c.membership === "member") this.membersSeen(c.id, c.members);
    return conversations;
  }

  async conversation(conversationId: string): Promise<ConversationSummary> {
    const c = await this.call("conversations.get", { conversationId });
    if (c.membership === "member") this.membersSeen(c.id, c.members);
    return c;
  }

  async openDirect(userId: string): Promise<Conversation> {
    const c = await this.call("conversations.openDirect", { userId });
    this.membersSeen(c.id, c.members);
    return c;
  }

  async createGroup(title: string, memberIds: readonly string[]): Promise<Conversation> {
    const c = await this.call("conversations.createGroup", { title, memberIds: [...memberIds] });
    this.membersSeen(c.id, c.members);
    return c;
  }

  /** A channel (up to `limits.maxChannelMembers` members) with the caller as its first admin. */
  async createChannel(options: OpArgs<"channels.create">): Promise<Conversation> {
    const c = await this.call("channels.create", options);
    this.membersSeen(c.id, c.members);
    return c;
  }

  /** A page of public channels (title prefix `query`); pass `next` back as `cursor`. */
  channelDirectory(options: OpArgs<"channels.directory"> = {}): Promise<OpResult<"channels.directory">> {
    return this.call("channels.directory", options);
  }

  /** Joins a public channel; joining one the caller is in answers it as it is. */
  async joinChannel(conversationId: string): Promise<Conversation> {
    const c = await this.call("channels.join", { conversationId });
    this.membersSeen(c.id, c.members);
    return c;
  }

  /** An invitation link of a channel (its admins); the answer's `token` is shown only here. */
  createChannelInvite(
    conversationId: string,
    terms: Omit<OpArgs<"channels.createInvite">, "conversationId"> = {},
  ): Promise<OpResult<"channels.createInvite">> {
    return this.call("channels.createInvite", { conversationId, ...terms });
  }

  /** A channel's invitation links that can still be used, newest first (its admins). */
  async channelInvites(conversationId: string): Promise<OpResult<"channels.invites">["invites"]> {
    return (await this.call("channels.invites", { conversationId })).invites;
  }

  /** Revokes an invitation link of a channel (its admins; idempotent). */
  revokeChannelInvite(conversationId: string, inviteId: string): Promise<OpResult<"channels.revokeInvite">> {
    return this.call("channels.revokeInvite", { conversationId, inviteId });
  }

  /** Joins the channel of an invitation link's token; a member already in it gets it as it is. */
  async joinChannelByInvite(token: string): Promise<Conversation> {
    const c = await this.call("channels.joinByInvite", { token });
    this.membersSeen(c.id, c.members);
    return c;
  }

  /** A page of a channel's members by (role, user id), optionally by username or display-name prefix. */
  channelMembers(
    conversationId: string,
    options: Omit<OpArgs<"channels.members">, "conversationId"> = {},
  ): Promise<OpResult<"channels.members">> {
    return this.call("channels.members", { conversationId, ...options });
  }

  /** Adds up to 1,000 users to a channel (its admins): one `member.added` entry. */
  async addChannelMembers(conversationId: string, userIds: readonly string[]): Promise<Message> {
    return (await this.call("channels.addMembers", { conversationId, userIds: [...userIds] })).message;
  }

  /** Removes up to 1,000 members from a channel (its admins): one `members.removed` entry. */
  async removeChannelMembers(conversationId: string, userIds: readonly string[]): Promise<Message> {
    return (await this.call("channels.removeMembers", { conversationId, userIds: [...userIds] })).message;
  }

  /** The caller's push notifications in a channel: every message (`all`) or mentions only (`mentions`, the default). */
  async setChannelNotifications(conversationId: string, level: "all" | "mentions"): Promise<void> {
    await this.call("channels.setNotifications", { conversationId, level });
  }

  /** How many members read up to `seq` (the message's author and the channel's admins). */
  async channelReadCount(conversationId: string, seq: number): Promise<number> {
    return (await this.call("channels.readCount", { conversationId, seq })).count;
  }

  async renameConversation(conversationId: string, title: string): Promise<Message> {
    return (await this.call("conversations.rename", { conversationId, title })).message;
  }

  async leaveConversation(conversationId: string): Promise<Message> {
    return (await this.call("conversations.leave", { conversationId })).message;
  }

  async addMembers(conversationId: string, userIds: readonly string[]): Promise<Message> {
    return (await this.call("members.add", { conversationId, userIds: [...userIds] })).message;
  }

  async removeMember(conversationId: string, userId: string): Promise<Message> {
    return (await this.call("members.remove", { conversationId, userId })).message;
  }

  /**
   * Reports a message the user can see to the server's administrators (one open report per reporter and message: a
   * repeat returns the open one).
   */
  reportMessage(conversationId: string, seq: number, reason: ReportReason, note?: string): Promise<Report> {
    return this.call("reports.create", { conversationId, seq, reason, ...(note ? { note } : {}) });
  }

  /**
   * Bans a user from a group (owner and admins): removes them when a member (the `member.removed` entry, else null)
   * and refuses `members.add` of them (`not_allowed`, `details.reason: "banned"`) until `unbanMember`.
   */
  async banMember(conversationId: string, userId: string, reason?: string): Promise<{ ban: GroupBan; message: Message | null }> {
    return this.call("members.ban", { conversationId, userId, ...(reason === undefined ? {} : { reason }) });
  }

  /** Lifts a ban (idempotent); returns the group's remaining bans. */
  async unbanMember(conversationId: string, userId: string): Promise<GroupBan[]> {
    return (await this.call("members.unban", { conversationId, userId })).bans;
  }

  /** The group's bans, oldest first (owner and admins only). */
  async listBans(conversationId: string): Promise<GroupBan[]> {
    return (await this.call("members.bans", { conversationId })).bans;
  }

  /** The members' disappearing-messages timer in seconds (3600, 86400, 604800 or 2592000), or null to turn it off. */
  async setDisappearing(conversationId: string, seconds: OpArgs<"conversations.setDisappearing">["seconds"]): Promise<Message> {
    return (await this.call("conversations.setDisappearing", { conversationId, seconds })).message;
  }

  /**
   * The conversation's retention in seconds (null: only the server's maximum applies); a group's owner and admins or
   * either member of a direct chat. Longer than the server's maximum: `retention_too_long` (`details.max`).
   */
  async setRetention(conversationId: string, seconds: number | null): Promise<Message> {
    return (await this.call("conversations.setRetention", { conversationId, seconds })).message;
  }

  async setRole(conversationId: string, userId: string, role: "admin" | "member"): Promise<Message> {
    return (await this.call("members.setRole", { conversationId, userId, role })).message;
  }

  /** A page of older (or newer) entries; not part of the `message` stream. */
  history(conversationId: string, options: HistoryOptions = {}): Promise<OpResult<"messages.history">> {
    return this.call("messages.history", { conversationId, ...options });
  }

  /**
   * Full-text search over the messages of the user's conversations (docs/protocol.md §6.10): the first page of hits,
   * best first; `page.next()` fetches the following one. Render `hit.snippet` as text, emphasis from
   * `snippetSegments(hit.snippet, hit.highlights)`.
   */
  search(query: string, filters: SearchFilters = {}): Promise<SearchPage> {
    return searchPage((args) => this.call("messages.search", args), query, filters);
  }
}
