// The shape of the app's state: what the UI renders, kept by the ChatStore from SDK events and API answers.

import type {
  Attachment,
  ChannelSettings,
  ConnectionState,
  Member,
  Message,
  PinnedMessage,
  Presence,
  ReceiptState,
  User,
} from "@parley/client";

export interface ConversationState {
  id: string;
  kind: "direct" | "group" | "channel";
  /** Group title; null for direct chats (the other person's name is shown). */
  title: string | null;
  createdAt: number;
  members: Member[];
  /** End-to-end encrypted (MLS), fixed at creation (docs/e2ee.md). */
  encrypted?: true;
  /** `left` once the user left or was removed: history stays readable, sending is closed. */
  membership: "member" | "left";
  /** Highest seq known (from the server list or delivered messages). */
  lastSeq: number;
  lastMessage: Message | null;
  /** Text messages from others after the user's read watermark. */
  unread: number;
  /** Of those, the ones that mention the user (`<@userId>`). */
  mentions: number;
  /** The user's own read watermark. */
  readSeq: number;
  /** Loaded entries, ascending by seq, without duplicates. */
  messages: Message[];
  /** The newest page of history has been fetched (messages before the live stream are present). */
  loaded: boolean;
  /** There are entries before `messages[0]` on the server. */
  hasOlder: boolean;
  loadingOlder: boolean;
  /**
   * Seqs of messages an administrator removed (learned from their `delete` entries with `by: "admin"`): their
   * tombstones say so. Absent: none known.
   */
  removedByAdmin?: number[];
  /** Members' watermarks as last reported (may be fresher than `members`). */
  receipts: ReceiptState[];
  /** The members' disappearing-messages timer in seconds (absent: off). */
  disappearAfter?: number;
  /** The conversation's own retention in seconds (absent: the server's maximum only). */
  retention?: number;
  /** Entries older than this many seconds are deleted (absent: kept forever). */
  maxAge?: number;
  /** Entries with seq ≤ this were deleted by retention (absent: none). */
  expiredThrough?: number;
  /** A channel's settings (absent for direct chats and groups). */
  channel?: ChannelSettings;
  /** A channel's current member count (`members` then holds only the user's own membership). */
  memberCount?: number;
}

/** A send not yet stored by the server (kept by the SDK outbox, persisted in localStorage). */
export interface PendingMessage {
  clientId: string;
  conversationId: string;
  body: string;
  createdAt: number;
  /** Uploaded files sent with it. */
  attachments?: Attachment[];
  /** Set when the server refused it for good. */
  error?: string;
  /** The seq of the message it replies to. */
  replyTo?: number;
}

/** What the composer of a conversation is doing besides writing a new message. */
export interface ComposeMode {
  mode: "reply" | "edit";
  seq: number;
}

export type SessionState = "signed-out" | "signed-in";

export interface ChatState {
  session: SessionState;
  me: User | null;
  connection: ConnectionState;
  /** What the browser says about the network (`navigator.onLine`). */
  online: boolean;
  /** The conversation list has been fetched at least once since sign-in. */
  listLoaded: boolean;
  conversations: Readonly<Record<string, ConversationState>>;
  users: Readonly<Record<string, User>>;
  presence: Readonly<Record<string, Presence>>;
  /** User ids typing, per conversation. */
  typing: Readonly<Record<string, readonly string[]>>;
  pending: readonly PendingMessage[];
  activeId: string | null;
  /** A message for the user (session ended, an action failed); cleared by `dismissNotice`. */
  notice: string | null;
  /** Largest message body in UTF-8 bytes, from the server's welcome. */
  maxMessageBytes: number;
  /** Per conversation: replying to or editing a message. */
  composing: Readonly<Record<string, ComposeMode>>;
  /** Largest upload and most files per message, from the server's welcome. */
  maxUploadBytes: number;
  maxAttachments: number;
  /** The message search panel (in the sidebar) is shown. */
  searchOpen: boolean;
  /** The conversation the search panel starts limited to (opened from a chat's header), or null. */
  searchScope: string | null;
  /** On a phone (one pane at a time) the search panel is in front of the open chat until a result is picked. */
  searchInFront: boolean;
  /** A message to scroll to and highlight when its conversation shows it (a search result was picked). */
  focus: MessageFocus | null;
  /** Pinned messages, newest pin first, of the conversations opened since sign-in (absent: not fetched yet). */
  pins: Readonly<Record<string, readonly PinnedMessage[]>>;
  /**
   * End-to-end encryption on this device: off (no browser support), starting (device registration, KeyPackages),
   * ready, elsewhere (another tab of this device session has it: one tab at a time), or failed (encrypted chats cannot
   * be read or written here).
   */
  encryption: "off" | "starting" | "ready" | "elsewhere" | "failed";
  /** Unsent text per conversation (persisted per user in localStorage; mention tokens encoded). */
  drafts: Readonly<Record<string, string>>;
}

export interface MessageFocus {
  conversationId: string;
  seq: number;
  /** Distinguishes two picks of the same message. */
  token: number;
}
