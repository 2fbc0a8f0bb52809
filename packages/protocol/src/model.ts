// The entities that cross the wire: users, conversations, members, messages and the ephemeral states around them.

/** Milliseconds since the Unix epoch, server clock. */
export type Timestamp = number;

export interface User {
  id: string;
  username: string;
  displayName: string;
  createdAt: Timestamp;
}

export type ConversationKind = "direct" | "group";
export type Role = "owner" | "admin" | "member";

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

export interface Conversation {
  id: string;
  kind: ConversationKind;
  /** Group title; null for direct conversations (clients show the other member's name). */
  title: string | null;
  createdAt: Timestamp;
  /** Sequence number of the newest message visible to the caller. */
  lastSeq: number;
  /** Current members with their watermarks. */
  members: Member[];
}

/** One row of `conversations.list`: the conversation as the caller sees it. */
export interface ConversationSummary extends Conversation {
  lastMessage: Message | null;
  /** Messages from others after the caller's read watermark. */
  unread: number;
  /** The caller's membership: `left` when the caller was removed or left (history up to `lastSeq` stays readable). */
  membership: "member" | "left";
}

export type MessageKind = "text" | "system";

export type SystemEvent =
  | { type: "conversation.created"; actorId: string; title: string | null; userIds: string[] }
  | { type: "member.added"; actorId: string; userIds: string[] }
  | { type: "member.removed"; actorId: string; userId: string }
  | { type: "member.left"; actorId: string }
  | { type: "member.role"; actorId: string; userId: string; role: Role }
  | { type: "conversation.renamed"; actorId: string; title: string };

/** An entry in a conversation's sequence: a text message or a system event (membership, rename). */
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
  /** Files shared with the message, in the order the sender gave them (empty for none and for system events). */
  attachments: Attachment[];
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
  historyPageMax: number;
  syncPageMax: number;
  heartbeatIntervalMs: number;
  typingTimeoutMs: number;
  presenceGraceMs: number;
  /** Largest accepted upload (`POST /v1/uploads`) in bytes. */
  maxUploadBytes: number;
  /** Most attachments on one message. */
  maxAttachments: number;
}
