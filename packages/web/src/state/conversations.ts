// Pure helpers over conversations: merging entries by seq, titles, previews and list order.

import type { Member, Message, User } from "@parley/client";
import { t } from "../i18n/i18n.js";
import type { ConversationState, PendingMessage } from "./types.js";

/** Merges entries into an ascending, duplicate-free list (each seq once: exactly-once display). */
export function mergeMessages(existing: readonly Message[], incoming: readonly Message[]): Message[] {
  if (incoming.length === 0) return existing as Message[];
  const last = existing[existing.length - 1];
  // Fast path for the live stream: strictly newer entries in order are appended.
  if (incoming.every((m, i) => m.seq > (i === 0 ? (last?.seq ?? 0) : incoming[i - 1]!.seq))) {
    return [...existing, ...incoming];
  }
  const bySeq = new Map<number, Message>();
  for (const m of existing) bySeq.set(m.seq, m);
  for (const m of incoming) if (!bySeq.has(m.seq)) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

export function otherMemberId(
  conversation: Pick<ConversationState, "kind" | "members">,
  me: string | undefined,
): string | undefined {
  if (conversation.kind !== "direct") return undefined;
  return conversation.members.find((m) => m.userId !== me)?.userId ?? conversation.members[0]?.userId;
}

/** A user's name as shown everywhere; an account an administrator deactivated says so. */
export function displayName(user: User | undefined, fallback = t("names.unknownUser")): string {
  const name = user?.displayName || user?.username || fallback;
  return user?.deactivated ? `${name} (deactivated)` : name;
}

export function conversationTitle(
  conversation: Pick<ConversationState, "kind" | "members" | "title">,
  me: string | undefined,
  users: Readonly<Record<string, User>>,
): string {
  if (conversation.kind !== "direct") return conversation.title ?? t("names.group");
  const other = otherMemberId(conversation, me);
  return displayName(other ? users[other] : undefined, t("names.directChat"));
}

/** When the conversation last saw activity: its newest entry, this device's newest pending send, or its creation. */
export function activityAt(conversation: ConversationState, pending: readonly PendingMessage[]): number {
  let at = conversation.lastMessage?.createdAt ?? conversation.createdAt;
  for (const p of pending) if (p.conversationId === conversation.id && p.createdAt > at) at = p.createdAt;
  return at;
}

/** Newest activity first; ties keep a stable order by id. */
export function sortConversations(
  conversations: readonly ConversationState[],
  pending: readonly PendingMessage[] = [],
): ConversationState[] {
  const at = new Map(conversations.map((c) => [c.id, activityAt(c, pending)]));
  return [...conversations].sort((a, b) => at.get(b.id)! - at.get(a.id)! || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export function roleOf(conversation: Pick<ConversationState, "members">, userId: string | undefined): Member["role"] | undefined {
  return conversation.members.find((m) => m.userId === userId)?.role;
}

export function canManage(conversation: ConversationState, me: string | undefined): boolean {
  const role = roleOf(conversation, me);
  return conversation.kind === "group" && conversation.membership === "member" && (role === "owner" || role === "admin");
}

/** Whether the user is an admin of a channel they are in (admins add and remove members, make invite links). */
export function isChannelAdmin(conversation: ConversationState, me: string | undefined): boolean {
  return conversation.kind === "channel" && conversation.membership === "member" && roleOf(conversation, me) === "admin";
}

/** Whether the user may post: anywhere they are a member, except in a channel where only admins post. */
export function canPost(conversation: ConversationState, me: string | undefined): boolean {
  if (conversation.membership !== "member") return false;
  return conversation.channel?.posting !== "admins" || roleOf(conversation, me) === "admin";
}

/** Whether `actor` may remove `target` (protocol §12: admins remove members, only the owner removes admins). */
export function canRemove(conversation: ConversationState, actor: string | undefined, target: string): boolean {
  if (!canManage(conversation, actor) || actor === target) return false;
  const actorRole = roleOf(conversation, actor);
  const targetRole = roleOf(conversation, target);
  if (targetRole === "owner") return false;
  return targetRole !== "admin" || actorRole === "owner";
}

/** Whose message a list preview shows: "You", a group member's first name, or nobody (direct chats, system entries). */
export function previewAuthor(
  message: Message,
  conversation: Pick<ConversationState, "kind">,
  me: string | undefined,
  users: Readonly<Record<string, User>>,
): string | null {
  if (message.kind !== "text") return null;
  if (message.senderId === me) return t("names.you");
  if (conversation.kind !== "direct") return displayName(users[message.senderId], t("names.someone")).split(/\s+/)[0] ?? null;
  return null;
}
