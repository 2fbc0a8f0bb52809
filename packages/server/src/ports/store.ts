// The storage ports: accounts, conversations and the per-conversation message sequence.
// Durability lives here: a message is acknowledged only after an adapter has committed it with its sequence number.

import type {
  Attachment,
  ChannelSettings,
  Conversation,
  ConversationKind,
  GroupAdds,
  GroupBan,
  Member,
  Message,
  ReceiptState,
  Role,
  SystemEvent,
  User,
} from "@parley/protocol";
import type { SearchTerm } from "../domain/search-query.js";

/** A store precondition failed; services map `code` to a protocol error. */
export class StoreError extends Error {
  constructor(
    readonly code: "username_taken" | "not_found" | "not_member" | "conflict" | "group_full",
    message: string,
  ) {
    super(message);
    this.name = "StoreError";
  }
}

export interface UserRecord extends Omit<User, "admin" | "deactivated" | "avatarId"> {
  /** The upload that is the user's profile picture (`User.avatarId`), null while they have none. */
  avatarId: string | null;
  passwordHash: string;
  lastSeenAt: number | null;
  /** `admin` for the server's administrators (ports/admin-store.ts), null for everyone else. */
  serverRole: "admin" | null;
  /** When an administrator deactivated the account; null while it is active. */
  deactivatedAt: number | null;
}

export interface SessionRecord {
  id: string;
  userId: string;
  deviceName: string;
  /** SHA-256 (hex) of the current refresh secret. */
  refreshHash: string;
  /** SHA-256 of the secret it replaced: presenting it again reveals a stolen token. */
  previousRefreshHash: string | null;
  createdAt: number;
  expiresAt: number;
  revokedAt: number | null;
}

/** When a user was last online (ms): the time their last device disconnected. */
export interface LastSeen {
  userId: string;
  at: number;
}

export interface AccountStore {
  /** Throws StoreError("username_taken") when the username exists. */
  createUser(user: {
    id: string;
    username: string;
    displayName: string;
    passwordHash: string;
    createdAt: number;
  }): Promise<UserRecord>;
  getUserById(id: string): Promise<UserRecord | undefined>;
  getUserByUsername(username: string): Promise<UserRecord | undefined>;
  /** Existing users among `ids`, in any order; unknown ids are left out. */
  getUsersByIds(ids: readonly string[]): Promise<UserRecord[]>;
  updateDisplayName(id: string, displayName: string): Promise<UserRecord | undefined>;
  /** Sets (an upload id) or clears (null) the user's profile picture; undefined for an unknown user. */
  setAvatar(id: string, avatarId: string | null): Promise<UserRecord | undefined>;
  /**
   * A page of people `viewerId` may find (`users.search`): active users other than the viewer whose username or
   * display name contains `query` (any case, `%` and `_` literal: adapters/like-pattern.ts), leaving out users the viewer blocked
   * and users who blocked the viewer; ordered by username, after `afterUsername` (exclusive), at most `limit`.
   */
  searchUsers(viewerId: string, query: string, afterUsername: string, limit: number): Promise<UserRecord[]>;
  setLastSeen(userId: string, at: number): Promise<void>;
  /**
   * Last-seen times of many users (each their own) in one write (one commit): users go offline in bursts (a node
   * restart, a network failure), and one fsync'd transaction per user stalled a SQLite node for each of them. Unknown
   * ids are ignored; an empty list writes nothing.
   */
  setLastSeenMany(seen: readonly LastSeen[]): Promise<void>;

  createSession(session: Omit<SessionRecord, "previousRefreshHash" | "revokedAt">): Promise<void>;
  getSession(id: string): Promise<SessionRecord | undefined>;
  /** Compare-and-swap: replaces the refresh hash only if it still equals `expectedHash`; false otherwise. */
  rotateRefresh(sessionId: string, expectedHash: string, newHash: string, expiresAt: number): Promise<boolean>;
  revokeSession(id: string, at: number): Promise<void>;

  /** Idempotent. */
  addContact(ownerId: string, contactId: string, at: number): Promise<void>;
  /** Idempotent. */
  removeContact(ownerId: string, contactId: string): Promise<void>;
  listContacts(ownerId: string): Promise<UserRecord[]>;

  /** The user's own choice of who may add them to groups; null while they have not chosen (the server default). */
  getGroupAdds(userId: string): Promise<GroupAdds | null>;
  /** Stores the choice; null returns the user to the server default. */
  setGroupAdds(userId: string, value: GroupAdds | null): Promise<void>;
  /** Idempotent. */
  addBlock(ownerId: string, blockedId: string, at: number): Promise<void>;
  /** Idempotent. */
  removeBlock(ownerId: string, blockedId: string): Promise<void>;
  /** The users `ownerId` blocked, ordered by username. */
  listBlocked(ownerId: string): Promise<UserRecord[]>;
  /** The subset of `ownerIds` (any order) who blocked `userId`. */
  blockedBy(userId: string, ownerIds: readonly string[]): Promise<string[]>;
  /** The users a block stands between with `userId`, either way: those `userId` blocked and those who blocked `userId`. */
  blockPeers(userId: string): Promise<string[]>;
  /**
   * The subset of `userIds` (any order) who do not let `actorId` add them to groups: they blocked the actor, or their
   * group-add setting (`defaultPolicy` when never chosen) is "nobody", or "contacts" and the actor is not in their
   * contacts.
   */
  refusingGroupAdd(actorId: string, userIds: readonly string[], defaultPolicy: GroupAdds): Promise<string[]>;
  /**
   * The subset of `targetIds` whose presence `viewerId` may see: users who currently share a conversation with the
   * viewer, or who have the viewer in their contacts, unless a block stands between the two (either way). The viewer
   * always sees themself.
   */
  filterPresenceVisible(viewerId: string, targetIds: readonly string[]): Promise<string[]>;
}

export interface ConversationRecord {
  id: string;
  kind: ConversationKind;
  title: string | null;
  createdAt: number;
  /** Sequence number of the newest entry (0 for none). */
  lastSeq: number;
  /** The conversation's own retention in seconds; null when unset (docs/protocol.md §6.14). */
  retentionSeconds: number | null;
  /** The members' disappearing-messages timer in seconds; null when off. */
  disappearSeconds: number | null;
  /** Every entry with seq ≤ this was deleted by retention (0: none); only grows. */
  expiredSeq: number;
  /** When `expiredSeq` last moved (the sweep's clock, ms; 0: never). */
  expiredAt: number;
  /** A channel's settings (kind "channel"); null for direct conversations and groups. */
  channel: ChannelSettings | null;
  /** End-to-end encrypted (MLS, docs/e2ee.md), fixed at creation. */
  encrypted: boolean;
}

export interface MemberRecord extends Member {
  conversationId: string;
  /** Seq of the event that ended the membership (removal or leave), null while a member. */
  leftSeq: number | null;
  /** When the watermarks last moved (ms). */
  receiptAt: number;
}

/** A membership change, applied atomically together with the system entry that records it (see MembershipDraft). */
export type MembershipChange =
  /**
   * `fullHistory` (channels with history "full"): the admitted see the whole sequence (joinedSeq 1); their read
   * positions still start at the entry that admits them.
   */
  | { type: "add"; userIds: string[]; maxMembers: number; fullHistory?: boolean }
  /** The actor joins by themself (a public channel): refused with conflict when already a member. */
  | { type: "join"; maxMembers: number; fullHistory: boolean }
  | { type: "remove"; userId: string }
  /** Channels: removes the current members among `userIds` (one entry, `members.removed`); none: not_member. */
  | { type: "removeMany"; userIds: string[] }
  | { type: "leave" }
  | { type: "role"; userId: string; role: Role }
  | { type: "rename"; title: string }
  | { type: "disappear"; seconds: number | null }
  | { type: "retention"; seconds: number | null };

/** A range of a user's memberships in conversation id order (see listMemberships). */
export interface MembershipPage {
  after?: string;
  through?: string;
  limit: number;
}

/** A position in `listChannelMembers` order (role, then user id). */
export interface ChannelMemberPosition {
  role: string;
  userId: string;
}

/** A position in `listPublicChannels` order (title in lower case, then id). */
export interface ChannelDirectoryPosition {
  title: string;
  id: string;
}

export interface ConversationStore {
  /** Exactly one direct conversation per pair: returns the existing one (created: false) when there is one. */
  /** `encrypted`: the pair's encrypted direct conversation, a different one from their plain one. */
  openDirect(input: {
    id: string;
    userA: string;
    userB: string;
    createdAt: number;
    messageId: string;
    encrypted?: boolean;
  }): Promise<{
    conversation: ConversationRecord;
    created: boolean;
  }>;
  /** Creates the group with `ownerId` as owner and the others as members, and appends `conversation.created` as seq 1. */
  createGroup(input: {
    id: string;
    title: string;
    ownerId: string;
    memberIds: string[];
    createdAt: number;
    messageId: string;
    encrypted?: boolean;
  }): Promise<{ conversation: ConversationRecord; message: Message }>;
  /**
   * Creates the channel with `creatorId` as its only member (role admin) and appends `conversation.created` as seq 1.
   */
  createChannel(input: {
    id: string;
    title: string;
    creatorId: string;
    settings: ChannelSettings;
    createdAt: number;
    messageId: string;
  }): Promise<{ conversation: ConversationRecord; message: Message }>;
  getConversation(id: string): Promise<ConversationRecord | undefined>;
  /** How many current members the conversation has. */
  countMembers(conversationId: string): Promise<number>;
  /** Current members among `userIds` (any order). */
  currentMembersAmong(conversationId: string, userIds: readonly string[]): Promise<MemberRecord[]>;
  /**
   * A page of current members ordered by (role, user id), after `after` (exclusive), whose username or display name
   * starts with `prefix` (any case, `%` and `_` literal) when given, with their accounts.
   */
  listChannelMembers(
    conversationId: string,
    page: { after?: ChannelMemberPosition; prefix?: string; limit: number },
  ): Promise<{ member: MemberRecord; user: UserRecord }[]>;
  /** A page of public channels ordered by (lower-case title, id), title starting with `prefix` when given. */
  listPublicChannels(page: {
    after?: ChannelDirectoryPosition;
    prefix?: string;
    limit: number;
  }): Promise<{ conversation: ConversationRecord; memberCount: number }[]>;
  /** The channels the user is a current member of, with where each one's history window starts (one index read). */
  listChannelMemberships(userId: string): Promise<{ conversationId: string; joinedSeq: number }[]>;
  /** How many current members' read position is at or past `seq`. */
  countReadThrough(conversationId: string, seq: number): Promise<number>;
  /** Current members (leftSeq null), with watermarks. */
  getMembers(conversationId: string): Promise<MemberRecord[]>;
  /** The user's membership row, including a past one (leftSeq set); undefined if never a member. */
  getMembership(conversationId: string, userId: string): Promise<MemberRecord | undefined>;
  /**
   * The user's membership rows (current and past) with their conversations, ordered by conversation id. With `page`:
   * only conversation ids > `after` and ≤ `through` (each when given), at most `limit` rows (one index range read).
   */
  listMemberships(
    userId: string,
    page?: MembershipPage,
  ): Promise<{ membership: MemberRecord; conversation: ConversationRecord }[]>;
  /** Per user among `userIds`, the number of conversations they are a current member of (0 for none). */
  countMemberships(userIds: readonly string[]): Promise<Map<string, number>>;
  /** The groups `ownerId` created at or after `since`: how many, and when the oldest of them was created. */
  groupsCreatedSince(ownerId: string, since: number): Promise<{ count: number; oldest: number | null }>;
  /**
   * The ids among `conversationIds` in which some current member's watermarks changed after `since`
   * (`receiptAt > since`). One read for all of a user's conversations, so that `sync` reads the members only of
   * the conversations it reports instead of every conversation's member list each time. Unknown ids are ignored.
   */
  conversationsWithReceiptsAfter(conversationIds: readonly string[], since: number): Promise<Set<string>>;
  /**
   * Bans a user from a group (docs/protocol.md §6.5 `members.ban`) and returns the ban; when the user is banned
   * already nothing is written and the existing ban is returned.
   */
  addBan(ban: GroupBanRecord): Promise<GroupBanRecord>;
  /** Lifts a ban; true when there was one. */
  removeBan(conversationId: string, userId: string): Promise<boolean>;
  /** A group's bans, oldest first (ties by user id). */
  listBans(conversationId: string): Promise<GroupBanRecord[]>;
  /** The subset of `userIds` (any order) banned from the group. */
  bannedAmong(conversationId: string, userIds: readonly string[]): Promise<string[]>;
}

export interface GroupBanRecord extends GroupBan {
  conversationId: string;
}

export interface MessageDraft {
  id: string;
  conversationId: string;
  senderId: string;
  clientId: string;
  /** The text of a text message (ignored for actions). */
  body: string;
  createdAt: number;
  /** Text messages: the seq of the quoted message (see ActionRefusal for the rules it must pass). */
  replyTo?: number;
  /** Present for an action entry: what it does to its target, applied in the same transaction as the entry. */
  action?: ActionDraft;
  /**
   * Uploads shared by the message, checked by the service (the sender's own, not expired). Stored with the message
   * as sent, and linked (upload ↔ conversation, seq) in the same transaction for download authorization and cleanup.
   */
  attachments?: readonly Attachment[];
  /** Text messages: a copy of another message made by `messages.forward` (stored, shown as `forwarded: true`). */
  forwarded?: boolean;
  /** Encrypted conversations: the MLS application message (then `body` is "" and there is no reply, action or file). */
  mls?: MlsDraft;
}

/** The opaque MLS message of an entry, as stored (docs/e2ee.md). */
export interface MlsDraft {
  epoch: number;
  deviceId: string;
  data: Uint8Array;
}

/**
 * An MLS commit by `senderId`'s device `mls.deviceId` for epoch `mls.epoch` of an encrypted conversation, recorded as
 * an `mls.commit` system entry. Accepted only if the conversation's epoch is `mls.epoch` (compare-and-set; the epoch
 * then moves on by one, the GroupInfo is replaced and the Welcome kept for its devices, in the same transaction).
 * Refusals: not_found, not_member, not_encrypted, stale_epoch (`epoch`: the current one), device_not_registered
 * (`deviceId`: a Welcome recipient that is not a live registered device of a current member).
 */
export interface CommitDraft {
  id: string;
  conversationId: string;
  senderId: string;
  createdAt: number;
  mls: MlsDraft;
  groupInfo: Uint8Array;
  welcome?: { id: string; data: Uint8Array; deviceIds: readonly string[] };
}

/**
 * A membership change by `senderId` (the actor, a current member), recorded as a system entry with id `id`. Refusals
 * come back as outcomes: not_found (conversation), not_member (actor or target not a current member), conflict (every
 * user to add is already a member), group_full (would exceed maxMembers). `add` skips users that are already members
 * and re-admits past members with a new joinedSeq, their watermarks lifted to just before it.
 */
export interface MembershipDraft {
  id: string;
  conversationId: string;
  senderId: string;
  createdAt: number;
  change: MembershipChange;
}

/** Everything appended to a conversation's sequence after its creation goes through `MessageStore.append`. */
export type EntryDraft = MessageDraft | MembershipDraft | CommitDraft;

export function isMembershipDraft(draft: EntryDraft): draft is MembershipDraft {
  return "change" in draft;
}

export function isCommitDraft(draft: EntryDraft): draft is CommitDraft {
  return "groupInfo" in draft;
}

/**
 * An action on the text message with seq `target`. Windows are absolute: the target must have been created at or
 * after `notBefore` (null = no limit), so the store needs no clock or configuration.
 */
export type ActionDraft =
  | { type: "edit"; target: number; body: string; notBefore: number | null }
  /**
   * Authors within the window; a group's admins and owners delete any text message at any time. `by: "admin"`: a server
   * administrator's removal (moderation), who need not be a member: membership and window are not checked.
   */
  | { type: "delete"; target: number; notBefore: number | null; by?: "admin" }
  /** Adding a new emoji fails once the target carries `maxKinds` distinct ones; repeats and removals change nothing. */
  | { type: "reaction"; target: number; emoji: string; remove: boolean; maxKinds: number }
  /** Pinning a message not pinned yet fails once the conversation has `maxPins` pins; a repeat changes nothing. */
  | { type: "pin"; target: number; maxPins: number }
  /** Removing a pin that is not there changes nothing (still an entry). */
  | { type: "unpin"; target: number };

/** A pinned message of a conversation, as stored (one row per pinned message; the latest pin counts). */
export interface PinRecord {
  seq: number;
  pinnedBy: string;
  pinnedAt: number;
  /** The seq of the pin's action entry. */
  entrySeq: number;
}

/** Why a draft with `replyTo` or `action` was refused (protocol error codes of the same name). */
export type ActionRefusal =
  | "message_not_found"
  | "invalid_target"
  | "message_deleted"
  | "not_author"
  | "window_expired"
  | "too_many_reactions"
  | "too_many_pins";

export type AppendOutcome =
  | { ok: true; message: Message; duplicate: boolean }
  | { ok: false; code: AppendRefusal; message: string; details?: { epoch?: number; deviceId?: string } };

/**
 * Why a draft was refused: the conversation or the sender's membership, an action rule, a membership rule, or an MLS
 * rule (mls-rules.ts).
 */
export type AppendRefusal = "not_member" | "not_found" | ActionRefusal | "conflict" | "group_full" | MlsRefusal;

/** The MLS rules of the log (docs/e2ee.md): protocol error codes of the same name. */
export type MlsRefusal = "stale_epoch" | "encryption_required" | "not_encrypted" | "device_not_registered";

/** One user's reaction on a message, as stored. */
export interface ReactionRecord {
  seq: number;
  emoji: string;
  userId: string;
  /** The seq of the action entry that added it (0 for reactions stored before entries were recorded). */
  entrySeq: number;
}

export interface HistoryQuery {
  conversationId: string;
  /** Only seq > afterSeq. */
  afterSeq?: number;
  /** Only seq < beforeSeq. */
  beforeSeq?: number;
  /** Inclusive visibility window of the reader. */
  minSeq: number;
  maxSeq: number;
  limit: number;
  /** `asc` returns the first `limit` matches; `desc` the last `limit` (the result is ascending either way). */
  direction: "asc" | "desc";
}

export interface MessageStore {
  /**
   * The one writer of a conversation's sequence after its creation: appends entries of every kind (text messages,
   * actions, membership changes), many at once (group commit), in one transaction. Each stored entry gets the next
   * seq of its conversation; drafts of one conversation get increasing seqs in draft order, and a draft sees the
   * effects of the drafts before it (a member removed by one is refused for the next). A message draft whose
   * (senderId, clientId) was stored before yields the original message with duplicate: true and stores nothing. A
   * sender that is not a current member gets not_member. Outcomes are in draft order; a refused draft stores nothing
   * and consumes no seq.
   */
  append(drafts: readonly EntryDraft[]): Promise<AppendOutcome[]>;
  /**
   * True when append assigns seqs and writes synchronously, in call order, and only waits afterwards (for
   * durability): then a caller may start the next append before the previous one resolved (pipelined group commit)
   * and seq order still follows call order. Absent or false: calls must not overlap.
   */
  readonly pipelinedAppends?: boolean;
  /**
   * The group-commit window (services/log/group-commit.ts) this store is best served by when none is configured, ms;
   * absent: 0 (one commit per event-loop turn).
   */
  readonly defaultCommitWindowMs?: number;
  /**
   * Messages in the window, ascending by seq. Entries come as stored: text messages with `replyTo` resolved,
   * `editedAt`/`deletedAt` when set; action entries with `action`. Reactions, `hidden` and `updated` are not filled.
   */
  getHistory(query: HistoryQuery): Promise<Message[]>;
  /**
   * Newest text or system entry with seq ≤ maxSeq (action entries are skipped, and so are the entries `viewerId` hid
   * for themself), or null.
   */
  getLastMessage(conversationId: string, maxSeq: number, viewerId?: string): Promise<Message | null>;
  /**
   * Count of text messages with afterSeq < seq ≤ maxSeq whose sender is not `userId` (system and action entries and
   * messages deleted for everyone never count).
   */
  countUnread(conversationId: string, userId: string, afterSeq: number, maxSeq: number): Promise<number>;
  /** Of the messages `countUnread` counts, those whose current body contains `token` (a mention, `<@userId>`). */
  countUnreadMentions(conversationId: string, userId: string, afterSeq: number, maxSeq: number, token: string): Promise<number>;
  /** The entries with these seqs (any order, unknown seqs left out), as getHistory returns them. */
  getMessagesBySeq(conversationId: string, seqs: readonly number[]): Promise<Message[]>;
  /** Reactions on these seqs, ordered by when each was added. */
  getReactions(conversationId: string, seqs: readonly number[]): Promise<ReactionRecord[]>;
  /**
   * The pinned messages of a conversation, newest pin first. Deleting a message for everyone and expiring it
   * (retention) remove its pin in the same transaction.
   */
  listPins(conversationId: string): Promise<PinRecord[]>;
  /** "Delete for me": idempotent; true when it was not hidden before. */
  hideMessage(userId: string, conversationId: string, seq: number, at: number): Promise<boolean>;
  /** Which of these seqs `userId` hid. */
  getHiddenSeqs(userId: string, conversationId: string, seqs: readonly number[]): Promise<number[]>;
  /** Everything `userId` hid at or after `since` (everything when undefined). */
  listHiddenSince(userId: string, since: number | undefined): Promise<{ conversationId: string; seq: number }[]>;
  /**
   * Text messages `senderId` sent, in every conversation (also ones they left), ordered by (conversationId, seq),
   * after the position `after` (exclusive; null: from the start), at most `limit`; as getHistory returns them.
   */
  listSentMessages(senderId: string, after: SentPosition | null, limit: number): Promise<Message[]>;
}

/** A position in listSentMessages' order. */
export interface SentPosition {
  conversationId: string;
  seq: number;
}

export interface ReceiptUpdate {
  conversationId: string;
  userId: string;
  /** Proposed watermarks; the store keeps max(old, new), clamped to the conversation's lastSeq, read ≤ delivered is lifted. */
  deliveredSeq: number;
  readSeq: number;
  at: number;
}

export interface ReceiptResult {
  conversationId: string;
  /** The member's watermarks after the update. */
  state: ReceiptState;
  /**
   * The watermarks just before the update (after the earlier updates of the same batch): `previous < seq ≤ state`
   * is what the update newly covers, which tells the service whose messages' ticks moved.
   */
  previous: { deliveredSeq: number; readSeq: number };
  changed: boolean;
}

/** Entries with afterSeq < seq ≤ maxSeq of one conversation. */
export interface SeqRange {
  conversationId: string;
  afterSeq: number;
  maxSeq: number;
}

/** Who sent the text message at (conversationId, seq). */
export interface EntryAuthor {
  conversationId: string;
  seq: number;
  senderId: string;
}

export interface ReceiptStore {
  /**
   * Applies the updates in one transaction. Watermarks only move forward; read implies delivered
   * (deliveredSeq ≥ readSeq always). Returns, per update, the resulting state, the state before it and whether it
   * changed. Updates for users who are not current members are ignored (changed: false, state and previous zeros).
   */
  updateReceipts(updates: readonly ReceiptUpdate[]): Promise<ReceiptResult[]>;
  /**
   * The authors of the text messages (not deleted for everyone; no system or action entries) inside the ranges,
   * ascending by seq within each conversation. Used to route `receipts` events to the senders whose ticks moved; an entry
   * inside two ranges is listed twice, so callers pass disjoint ranges.
   */
  getEntryAuthors(ranges: readonly SeqRange[]): Promise<EntryAuthor[]>;
}

/** Where the previous page ended, in the order of `searchMessages`: the last hit's score and key. */
export interface SearchPosition {
  score: number;
  createdAt: number;
  conversationId: string;
  seq: number;
}

export interface MessageSearch {
  /** Every term must match (see domain/search-query.ts); never empty. */
  terms: readonly SearchTerm[];
  conversationId?: string;
  senderId?: string;
  /** Only messages with createdAt > after (ms). */
  after?: number;
  /** Only messages with createdAt < before (ms). */
  before?: number;
  /** Only hits ordered after this one. */
  from?: SearchPosition;
  limit: number;
}

export interface SearchMatch {
  message: Message;
  /** The engine's relevance, normalized so that lower is better (SQLite: bm25; PostgreSQL: -ts_rank_cd). */
  score: number;
}

export interface MessageSearchStore {
  /**
   * Full-text search over the text messages `userId` may read: conversations where they are a member, from their
   * joinedSeq up to their leftSeq for a past membership (the history window). System events and tombstones (body
   * null) never match; an edited body matches by its current text. Ordered by score, then newest first, then by
   * (conversationId, seq); `from` continues after a previous page's last hit.
   */
  searchMessages(userId: string, search: MessageSearch): Promise<SearchMatch[]>;
}

/** What one conversation lost to one step of the retention sweep. */
export interface ExpiredEntries {
  conversationId: string;
  /** The conversation's new low watermark: every entry with seq ≤ it is gone. */
  expiredThrough: number;
  /** How many entries this step deleted. */
  deleted: number;
  /** The uploads the deleted entries shared (each once); other messages may still share some of them. */
  uploadIds: string[];
}

export interface RetentionPolicy {
  /** The sweep's clock (ms). */
  now: number;
  /** The server's maximum message age in seconds; null: none. */
  serverMaxAgeSeconds: number | null;
  /** Conversations handled by one step, at most. */
  conversations: number;
  /** Entries deleted per conversation by one step, at most. */
  batch: number;
}

export interface RetentionStore {
  /**
   * One step of the retention sweep. A conversation's age limit is the shortest of its retention, its disappearing
   * timer and `serverMaxAgeSeconds` (none of them: no limit). In at most `conversations` conversations whose oldest
   * remaining entry is older than their limit (`createdAt ≤ now − limit`), deletes the oldest entries, at most `batch`,
   * stopping at the first entry that is not that old: expired entries are always a prefix of the sequence. With them
   * go their reactions, hidden marks, attachment links and search entries, and `expiredSeq` moves up to the last one
   * deleted, all in one transaction per conversation. Safe to run on several nodes at once: a conversation whose
   * `expiredSeq` moved since it was read is left to whoever moved it, so nothing is deleted or counted twice. Returns
   * the conversations this call changed; fewer than `conversations` means nothing else is due now.
   */
  expireEntries(policy: RetentionPolicy): Promise<ExpiredEntries[]>;
}

export interface Store extends AccountStore, ConversationStore, MessageStore, ReceiptStore, MessageSearchStore, RetentionStore {
  /** Cheap round trip for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export type { Conversation, SystemEvent };
