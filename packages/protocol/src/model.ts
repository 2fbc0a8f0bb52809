// The entities that cross the wire: users, conversations, members, messages and the ephemeral states around them.

/** Milliseconds since the Unix epoch, server clock. */
export type Timestamp = number;

export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: Timestamp;
  // Present only when true (absent means false), so ordinary users cost no extra bytes.
  /** The user is an administrator of the server (§6.11). */
  admin?: true;
  /** An administrator deactivated the account: it cannot sign in; its messages stay (clients show "deactivated"). */
  deactivated?: true;
  /** The user's profile picture, served at `GET /v1/avatars/:avatarId` (§6.4); absent while they have none. */
  avatarId?: string;
}

export type ConversationKind = "direct" | "group" | "channel";
export type Role = "owner" | "admin" | "member";

/** Who may find and join a channel (§6.17): `public` channels are listed in the directory and open to anyone. */
export type ChannelVisibility = "public" | "private";
/** Who may send text messages in a channel: every member, or its admins only. */
export type ChannelPosting = "everyone" | "admins";
/** What a new member may read: everything (`full`), or only what was written after they joined (`from_join`). */
export type ChannelHistory = "full" | "from_join";

/** A channel's settings, chosen at creation (`channels.create`) and fixed since. */
export interface ChannelSettings {
  visibility: ChannelVisibility;
  posting: ChannelPosting;
  history: ChannelHistory;
}

/** One public channel of `channels.directory`. */
export interface ChannelListing {
  id: string;
  title: string;
  createdAt: Timestamp;
  memberCount: number;
  posting: ChannelPosting;
  history: ChannelHistory;
}

/** One member of a channel, as `channels.members` pages them (no watermarks: reads are private to each member). */
export interface ChannelMember {
  user: User;
  role: "admin" | "member";
  joinedSeq: number;
}

/** A member's place in a conversation and its receipt watermarks (they only move forward). */
export interface Member {
  userId: string;
  role: Role;
  /** Sequence number of the event that made this user a member; history before it is not visible to them. */
  joinedSeq: number;
  /** Highest sequence number this member's devices have received. */
  deliveredSeq: number;
  /** Highest sequence number this member has read. */
  readSeq: number;
}

/** A user banned from a group (`members.ban`): not a member, and nobody can add them back until `members.unban`. */
export interface GroupBan {
  userId: string;
  /** The owner or admin who banned them. */
  bannedBy: string;
  reason: string | null;
  createdAt: number;
}

export interface Conversation {
  id: string;
  kind: ConversationKind;
  /** Group title; null for direct conversations (clients show the other member's name). */
  title: string | null;
  createdAt: Timestamp;
  /** Sequence number of the newest message visible to the caller. */
  lastSeq: number;
  /**
   * Current members with their watermarks. For a channel only the caller's own membership (a channel may have 100,000
   * members: `memberCount` counts them and `channels.members` pages them); empty for a former member.
   */
  members: Member[];
  /** Present for channels only (`kind: "channel"`): its settings. */
  channel?: ChannelSettings;
  /** Present for channels only: how many current members it has. */
  memberCount?: number;
  /** The members' disappearing-messages timer in seconds (one of DISAPPEAR_TIMERS); absent when off. */
  disappearAfter?: number;
  /** The conversation's own retention in seconds (never longer than the server's maximum age); absent when unset. */
  retention?: number;
  /**
   * How old (seconds) an entry may get before the server deletes it: the shortest of `disappearAfter`, `retention` and
   * the server's maximum message age at the time of the answer. Absent when entries are kept forever.
   */
  maxAge?: number;
  /** Entries with seq ≤ this were deleted by retention: clients drop them and never ask for them. Absent when none. */
  expiredThrough?: number;
  /**
   * Present (true) for an end-to-end encrypted conversation (MLS, §6.15), fixed at creation: its entries carry `mls`
   * and no text. Absent for plain conversations.
   */
  encrypted?: true;
}

/** One row of `conversations.list`: the conversation as the caller sees it. */
export interface ConversationSummary extends Conversation {
  lastMessage: Message | null;
  /** Messages from others after the caller's read watermark. */
  unread: number;
  /** Of those, the ones whose body mentions the caller (`<@userId>`, §6.6). */
  mentions: number;
  /** The caller's membership: `left` when the caller was removed or left (history up to `lastSeq` stays readable). */
  membership: "member" | "left";
}

/**
 * `text`: a message; `system`: a membership/rename event; `action`: an edit, delete or reaction applied to an earlier
 * text message (see MessageAction): an entry of its own so cursor sync, receipts and every device see it in order.
 */
export type MessageKind = "text" | "system" | "action";

export type SystemEvent =
  | { type: "conversation.created"; actorId: string; title: string | null; userIds: string[] }
  | { type: "member.added"; actorId: string; userIds: string[] }
  | { type: "member.removed"; actorId: string; userId: string }
  /** Channels: several members removed by one `channels.removeMembers` call. */
  | { type: "members.removed"; actorId: string; userIds: string[] }
  | { type: "member.left"; actorId: string }
  | { type: "member.role"; actorId: string; userId: string; role: Role }
  | { type: "conversation.renamed"; actorId: string; title: string }
  /** The members' disappearing-messages timer changed (`seconds: null`: turned off). */
  | { type: "conversation.disappearing"; actorId: string; seconds: number | null }
  /** The conversation's retention changed (`seconds: null`: only the server's maximum age applies). */
  | { type: "conversation.retention"; actorId: string; seconds: number | null }
  /** An MLS commit of an encrypted conversation (§6.15) moved its group from `epoch` to `epoch + 1`; see `mls`. */
  | { type: "mls.commit"; actorId: string; epoch: number };

/** The disappearing-messages timers members choose from, in seconds: 1 hour, 1 day, 7 days, 30 days. */
export const DISAPPEAR_TIMERS = [3600, 86_400, 604_800, 2_592_000] as const;

/** The bounds of a retention period in seconds (conversation retention and the server's maximum age): 1 hour to 100 years. */
export const RETENTION_MIN_SECONDS = 3600;
export const RETENTION_MAX_SECONDS = 3_153_600_000;

/** What an `action` entry did to the text message with seq `target` (same conversation). */
export type MessageAction =
  | { type: "edit"; target: number }
  /** `by: "admin"`: removed by a server administrator (moderation); clients show "removed by an administrator". */
  | { type: "delete"; target: number; by?: "admin" }
  | { type: "reaction"; target: number; emoji: string; remove: boolean }
  /** The target was pinned to the conversation (§6.8): every member sees it in `messages.pins`. */
  | { type: "pin"; target: number }
  /** The target's pin was removed. */
  | { type: "unpin"; target: number };

/** A message pinned in a conversation (`messages.pins`), as the reader may see it. */
export interface PinnedMessage {
  /** The pinned message's seq. */
  seq: number;
  /** Who pinned it (the latest pin counts). */
  pinnedBy: string;
  pinnedAt: Timestamp;
  /** The pin's own action entry. */
  entrySeq: number;
  /** The pinned text message in its current state, as the reader may see it (withheld rules of §6.8 apply). */
  message: Message;
}

/** The quoted message of a reply, resolved when the reply is read, so it follows later edits and deletes. */
export interface ReplyRef {
  seq: number;
  senderId: string;
  /** The start of the quoted message's current text (at most 200 characters); null once it was deleted. */
  preview: string | null;
  /** Present (true) when the quoted message was deleted for everyone: clients show "deleted message". */
  deleted?: true;
  /**
   * Present (true) when the reader may not see the quoted message (from before they joined, or changed after they
   * left): senderId is "" and preview null; clients show "message not available".
   */
  withheld?: true;
}

/** One emoji's reactions on a message: who reacted, oldest first. */
export interface Reaction {
  emoji: string;
  count: number;
  userIds: string[];
}

/** An entry in a conversation's sequence: a text message, a system event (membership, rename) or an action. */
export interface Message {
  /** Server-assigned unique id. */
  id: string;
  conversationId: string;
  /** Per-conversation sequence number: 1, 2, 3… with no gaps; the one order every member sees. */
  seq: number;
  senderId: string;
  /** The sender's idempotency key (null for system events). */
  clientId: string | null;
  kind: MessageKind;
  /** Text body for `text` messages. */
  body: string | null;
  /** Structured event for `system` messages. */
  event: SystemEvent | null;
  createdAt: Timestamp;
  // The fields below are present only when they apply (absent means none), so plain messages cost no extra bytes.
  /** `text`: the message it replies to. */
  replyTo?: ReplyRef;
  /** `text`: when the body was last edited. */
  editedAt?: Timestamp;
  /** `text`: when it was deleted for everyone (a tombstone: body null, no reactions, no reply). */
  deletedAt?: Timestamp;
  /** `text`: reactions, in order of each emoji's first use. */
  reactions?: Reaction[];
  /** `text`: true when the reader deleted it for themself ("delete for me"): body, reply and reactions are withheld. */
  hidden?: true;
  /**
   * `text`: true when the reader, a former member, may not see what the message says now because it was edited or
   * deleted after they left: body null, no files, reply, reactions, editedAt or deletedAt.
   */
  withheld?: true;
  /** `text`: true when the message was forwarded from another conversation (`messages.forward`); set by the server. */
  forwarded?: true;
  /** `action`: what was done. */
  action?: MessageAction;
  /**
   * `action`: the target message in its current state (as of reading, not of the action), as the reader may see it;
   * absent when the target lies outside the reader's membership window (before they joined).
   */
  updated?: Message;
  /** Files shared with the message, in the order the sender gave them (empty for none and for system events). */
  attachments: Attachment[];
  /**
   * Encrypted conversations (§6.15): the MLS message of a `text` entry (an application message; `body` is `""`) or of
   * an `mls.commit` system entry. Absent elsewhere.
   */
  mls?: MlsPayload;
}

/** An opaque MLS message as the delivery service stores and forwards it (§6.15). */
export interface MlsPayload {
  /** The MLS epoch the message was made in. */
  epoch: number;
  /** The sending device (its session id, as in `e2ee.devices.list`). */
  deviceId: string;
  /** The TLS-encoded `MLSMessage` (RFC 9420 §6), base64url without padding. */
  data: string;
}

/** A device in the MLS device directory (§6.15): one device session of a user and its MLS signature key. */
export interface MlsDevice {
  userId: string;
  deviceId: string;
  /** The device's Ed25519 signature public key, base64url. */
  signatureKey: string;
  registeredAt: Timestamp;
}

/** One KeyPackage handed out by `e2ee.keyPackages.claim`, for one device. */
export interface ClaimedKeyPackage {
  userId: string;
  deviceId: string;
  signatureKey: string;
  /** The TLS-encoded `MLSMessage` holding the KeyPackage, base64url. */
  keyPackage: string;
  /** True when it is the device's last-resort package (kept by the server, may be handed out again). */
  lastResort: boolean;
}

/** A Welcome kept for one device until it acknowledges it (`e2ee.welcomes.list`, event `e2ee.welcome`). */
export interface MlsWelcome {
  id: string;
  conversationId: string;
  /** The epoch the Welcome admits to. */
  epoch: number;
  /** The device it is for. */
  deviceId: string;
  /** The TLS-encoded `MLSMessage` holding the Welcome, base64url. */
  data: string;
  createdAt: Timestamp;
}

/**
 * A file shared in a message: enough to lay it out before downloading anything. Bytes are fetched through signed URLs
 * (`files.sign`).
 */
export interface Attachment {
  /** The upload id (`POST /v1/uploads`). */
  id: string;
  /** The original file name, sanitised (a base name without control characters or path separators). */
  name: string;
  /** Size in bytes. */
  size: number;
  /** Sniffed from the bytes, never taken from the client. */
  mimeType: string;
  /** Pixel size of images as displayed (EXIF orientation applied); null for other files. */
  width: number | null;
  height: number | null;
  /** True when a thumbnail (WebP, at most 320 px on its longer side) can be fetched. */
  hasThumbnail: boolean;
  /**
   * Present (true) when the server scans uploads for malware but its scanner gave no verdict on this file, and the
   * operator's policy accepted it anyway: clients should say so before it is opened. Absent for scanned files and on
   * servers that do not scan.
   */
  unscanned?: true;
}

export interface Presence {
  userId: string;
  online: boolean;
  /** Last time the user was seen online (null if never). */
  lastSeenAt: Timestamp | null;
}

export interface ReceiptState {
  userId: string;
  deliveredSeq: number;
  readSeq: number;
}

/** Limits the server enforces, announced in `welcome` so clients can respect them. */
export interface Limits {
  maxMessageBytes: number;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  maxGroupMembers: number;
  /** Largest channel (`PARLEY_MAX_CHANNEL_MEMBERS`). */
  maxChannelMembers: number;
  historyPageMax: number;
  syncPageMax: number;
  heartbeatIntervalMs: number;
  typingTimeoutMs: number;
  presenceGraceMs: number;
  /** Largest accepted upload (`POST /v1/uploads`) in bytes. */
  maxUploadBytes: number;
  /** Most attachments on one message. */
  maxAttachments: number;
  /** Most conversations one user can be a current member of. */
  maxConversationsPerUser: number;
  /** Most groups one user can create in 24 hours. */
  maxGroupsPerDay: number;
  /** Most conversations in one `conversations.list` page and one `sync` page. */
  conversationPageMax: number;
}
