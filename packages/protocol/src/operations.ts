// Every request a client can make: its name, argument schema, result type, transport(s) and HTTP route.

import { type Static, type TSchema, Type } from "@sinclair/typebox";
import type {
  Attachment,
  Conversation,
  ConversationSummary,
  Limits,
  Member,
  Message,
  Presence,
  ReceiptState,
  ReplyRef,
  Role,
  User,
} from "./model.js";
import { VisibleName } from "./names.js";
import type { ConversationMute, MuteUntil, PushConfig, Settings } from "./push.js";
import type { SearchResult } from "./search.js";

const Id = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z0-9_-]+$" });
const Seq = Type.Integer({ minimum: 0 });
const Username = Type.String({ minLength: 3, maxLength: 32, pattern: "^[a-z0-9_]+$" });
const DisplayName = VisibleName(64);
const Password = Type.String();
const DeviceName = Type.String({ maxLength: 64 });
const Title = VisibleName(128);
const RoleSchema = Type.Union([Type.Literal("admin"), Type.Literal("member")]);
const UserIds = Type.Array(Id, { minItems: 1, maxItems: 500, uniqueItems: true });
const TargetSeq = Type.Integer({ minimum: 1 });
const ClientId = Type.String({ minLength: 1, maxLength: 64 });
/** UTF-16 code units: room for the longest RGI emoji ZWJ sequences (family, flags with tags). */
export const MAX_EMOJI_LENGTH = 32;
const PushEndpoint = Type.String({ minLength: 8, maxLength: 2048 });
const Base64Url = (minLength: number, maxLength: number) =>
  Type.String({ minLength, maxLength, pattern: "^[A-Za-z0-9_-]+={0,2}$" });
/** A time (ms since the epoch), `"forever"`, or null for off. */
const GroupAddsSchema = Type.Union([Type.Literal("everyone"), Type.Literal("contacts"), Type.Literal("nobody")]);
/** A page position: the id of the last conversation of the previous page. */
const After = Type.Optional(Id);
const MuteUntilSchema = Type.Union([Type.Integer({ minimum: 0 }), Type.Literal("forever"), Type.Null()]);
/** Most attachments on one message (also announced in `welcome.limits.maxAttachments`). */
export const MAX_ATTACHMENTS = 10;

export const schemas = {
  hello: Type.Object(
    {
      versions: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 16 }),
      token: Type.Optional(Type.String({ maxLength: 4096 })),
    },
    { additionalProperties: false },
  ),
  ping: Type.Object({}, { additionalProperties: false }),
  "auth.register": Type.Object(
    { username: Username, password: Password, displayName: Type.Optional(DisplayName), deviceName: Type.Optional(DeviceName) },
    { additionalProperties: false },
  ),
  "auth.login": Type.Object(
    {
      username: Type.String({ maxLength: 64 }),
      password: Type.String({ maxLength: 1024 }),
      deviceName: Type.Optional(DeviceName),
    },
    { additionalProperties: false },
  ),
  "auth.refresh": Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }),
  "auth.logout": Type.Object({}, { additionalProperties: false }),
  "me.get": Type.Object({}, { additionalProperties: false }),
  "me.update": Type.Object({ displayName: DisplayName }, { additionalProperties: false }),
  "users.get": Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
  "users.getMany": Type.Object({ userIds: UserIds }, { additionalProperties: false }),
  "contacts.list": Type.Object({}, { additionalProperties: false }),
  "contacts.add": Type.Object({ userId: Id }, { additionalProperties: false }),
  "contacts.remove": Type.Object({ userId: Id }, { additionalProperties: false }),
  "blocks.list": Type.Object({}, { additionalProperties: false }),
  "blocks.add": Type.Object({ userId: Id }, { additionalProperties: false }),
  "blocks.remove": Type.Object({ userId: Id }, { additionalProperties: false }),
  "conversations.list": Type.Object(
    { after: After, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
    { additionalProperties: false },
  ),
  "conversations.get": Type.Object({ conversationId: Id }, { additionalProperties: false }),
  "conversations.openDirect": Type.Object({ userId: Id }, { additionalProperties: false }),
  "conversations.createGroup": Type.Object(
    { title: Title, memberIds: Type.Array(Id, { maxItems: 500, uniqueItems: true }) },
    { additionalProperties: false },
  ),
  "conversations.rename": Type.Object({ conversationId: Id, title: Title }, { additionalProperties: false }),
  "conversations.leave": Type.Object({ conversationId: Id }, { additionalProperties: false }),
  "members.add": Type.Object({ conversationId: Id, userIds: UserIds }, { additionalProperties: false }),
  "members.remove": Type.Object({ conversationId: Id, userId: Id }, { additionalProperties: false }),
  "members.setRole": Type.Object({ conversationId: Id, userId: Id, role: RoleSchema }, { additionalProperties: false }),
  "messages.send": Type.Object(
    {
      conversationId: Id,
      clientId: Type.String({ minLength: 1, maxLength: 64 }),
      // May be empty when the message carries attachments.
      body: Type.String(),
      replyTo: Type.Optional(Type.Integer({ minimum: 1 })),
      attachments: Type.Optional(Type.Array(Id, { maxItems: MAX_ATTACHMENTS, uniqueItems: true })),
    },
    { additionalProperties: false },
  ),
  "messages.history": Type.Object(
    {
      conversationId: Id,
      before: Type.Optional(Seq),
      after: Type.Optional(Seq),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    },
    { additionalProperties: false },
  ),
  sync: Type.Object(
    {
      cursors: Type.Record(Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" }), Seq, { maxProperties: 10_000 }),
      receiptsSince: Type.Optional(Type.Integer({ minimum: 0 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
      after: After,
      through: Type.Optional(Id),
    },
    { additionalProperties: false },
  ),
  "receipts.mark": Type.Object(
    { conversationId: Id, delivered: Type.Optional(Seq), read: Type.Optional(Seq) },
    { additionalProperties: false },
  ),
  typing: Type.Object({ conversationId: Id, typing: Type.Boolean() }, { additionalProperties: false }),
  "presence.query": Type.Object({ userIds: UserIds }, { additionalProperties: false }),
  "presence.subscribe": Type.Object({ userIds: UserIds }, { additionalProperties: false }),
  "presence.unsubscribe": Type.Object({ userIds: UserIds }, { additionalProperties: false }),
  "messages.edit": Type.Object(
    { conversationId: Id, seq: TargetSeq, clientId: ClientId, body: Type.String({ minLength: 1 }) },
    { additionalProperties: false },
  ),
  "messages.delete": Type.Object(
    { conversationId: Id, seq: TargetSeq, clientId: ClientId, scope: Type.Union([Type.Literal("everyone"), Type.Literal("me")]) },
    { additionalProperties: false },
  ),
  "messages.react": Type.Object(
    {
      conversationId: Id,
      seq: TargetSeq,
      clientId: ClientId,
      emoji: Type.String({ minLength: 1, maxLength: MAX_EMOJI_LENGTH }),
      remove: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  // Push notifications (docs/protocol.md §6.9).
  "push.config": Type.Object({}, { additionalProperties: false }),
  "push.subscribe": Type.Object(
    {
      endpoint: PushEndpoint,
      keys: Type.Object({ p256dh: Base64Url(80, 100), auth: Base64Url(16, 32) }, { additionalProperties: false }),
      expirationTime: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
    },
    { additionalProperties: false },
  ),
  "push.unsubscribe": Type.Object({ endpoint: PushEndpoint }, { additionalProperties: false }),
  "conversations.mute": Type.Object({ conversationId: Id, until: MuteUntilSchema }, { additionalProperties: false }),
  "settings.get": Type.Object({}, { additionalProperties: false }),
  "settings.update": Type.Object(
    { dnd: Type.Optional(MuteUntilSchema), previews: Type.Optional(Type.Boolean()), groupAdds: Type.Optional(GroupAddsSchema) },
    { additionalProperties: false, minProperties: 1 },
  ),
  "files.sign": Type.Object(
    { uploadIds: Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true }) },
    { additionalProperties: false },
  ),
  "uploads.presign": Type.Object(
    {
      name: Type.String({ minLength: 1, maxLength: 1024 }),
      size: Type.Integer({ minimum: 0 }),
      mimeType: Type.Optional(Type.String({ maxLength: 255 })),
    },
    { additionalProperties: false },
  ),
  "uploads.complete": Type.Object(
    { uploadToken: Type.String({ minLength: 1, maxLength: 4096 }) },
    { additionalProperties: false },
  ),
  "messages.search": Type.Object(
    {
      query: Type.String({ minLength: 1, maxLength: 256 }),
      conversationId: Type.Optional(Id),
      senderId: Type.Optional(Id),
      after: Type.Optional(Type.Integer({ minimum: 0 })),
      before: Type.Optional(Type.Integer({ minimum: 0 })),
      cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
      limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50 })),
    },
    { additionalProperties: false },
  ),
} satisfies Record<string, TSchema>;

export type OpName = keyof typeof schemas;
export type OpArgs<K extends OpName> = Static<(typeof schemas)[K]>;

export interface AuthResult {
  user: User;
  sessionId: string;
  accessToken: string;
  /** Access token lifetime in seconds. */
  expiresIn: number;
  refreshToken: string;
}

export interface SyncConversation {
  conversationId: string;
  membership: "member" | "left";
  /** Newest sequence number visible to the caller. */
  lastSeq: number;
  /** Messages after the cursor, ascending by seq, without gaps; may stop short of `lastSeq` when `hasMore`. */
  messages: Message[];
  /** Current members' roles and watermarks. */
  members: Member[];
  /**
   * Seqs the caller deleted for themself ("delete for me") since `receiptsSince` (every one when it is absent), at
   * any seq: a device applies them to messages it already holds. Absent when there are none.
   */
  hidden?: number[];
}

export interface SyncResult {
  conversations: SyncConversation[];
  /** True when some conversation was cut short by `limit`: call again with the advanced cursors (and the same `after`). */
  hasMore: boolean;
  /**
   * More of the caller's conversations follow this page (by conversation id): once `hasMore` is false, call again
   * with `after: next`. Null on the last page.
   */
  next: string | null;
  /** Pass as `receiptsSince` on the next sync to receive receipt changes made after this response. */
  serverTime: number;
}

export interface Welcome {
  version: number;
  user: User;
  sessionId: string;
  connectionId: string;
  serverTime: number;
  limits: Limits;
}

export interface OpResults {
  hello: Welcome;
  ping: { serverTime: number };
  "auth.register": AuthResult;
  "auth.login": AuthResult;
  "auth.refresh": AuthResult;
  "auth.logout": Record<string, never>;
  "me.get": User;
  "me.update": User;
  "users.get": User;
  "users.getMany": { users: User[] };
  "contacts.list": { contacts: User[] };
  "contacts.add": { contacts: User[] };
  "contacts.remove": { contacts: User[] };
  "blocks.list": { blocked: User[] };
  "blocks.add": { blocked: User[] };
  "blocks.remove": { blocked: User[] };
  /** `next`: pass as `after` for the next page; null on the last page. */
  "conversations.list": { conversations: ConversationSummary[]; next: string | null };
  "conversations.get": ConversationSummary;
  "conversations.openDirect": Conversation;
  "conversations.createGroup": Conversation;
  "conversations.rename": { message: Message };
  "conversations.leave": { message: Message };
  "members.add": { message: Message };
  "members.remove": { message: Message };
  "members.setRole": { message: Message };
  "messages.send": MessageAck;
  "messages.history": { messages: Message[]; hasMore: boolean };
  sync: SyncResult;
  "receipts.mark": ReceiptState;
  typing: Record<string, never>;
  "presence.query": { presence: Presence[] };
  "presence.subscribe": { presence: Presence[] };
  "presence.unsubscribe": Record<string, never>;
  "messages.edit": ActionResult;
  "messages.delete": ActionResult;
  "messages.react": ActionResult;
  "push.config": PushConfig;
  "push.subscribe": { endpoint: string };
  "push.unsubscribe": Record<string, never>;
  "conversations.mute": ConversationMute;
  "settings.get": Settings;
  "settings.update": Settings;
  "files.sign": { files: SignedFile[] };
  "uploads.presign": PresignedUpload;
  "uploads.complete": Attachment;
  "messages.search": SearchResult;
}

/** Where to PUT a file directly to the object store, and the token that turns it into an upload afterwards. */
export interface PresignedUpload {
  /** Absolute URL of the object store; PUT exactly `size` bytes there before `expiresAt`. */
  url: string;
  method: "PUT";
  /** Headers the PUT must carry (at least Content-Length). */
  headers: Record<string, string>;
  /** Pass to `uploads.complete` once the PUT succeeded. */
  uploadToken: string;
  expiresAt: number;
}

/** Signed download URLs of one upload, relative to the server's base URL; valid until `expiresAt`. */
export interface SignedFile {
  id: string;
  url: string;
  /** The WebP thumbnail, for images; null otherwise. */
  thumbnailUrl: string | null;
  /** When the signatures expire (ms since the epoch). */
  expiresAt: number;
}

/** The answer of `POST /v1/uploads`: the stored file's metadata, to pass its `id` in `messages.send`'s `attachments`. */
export type UploadResult = Attachment;

export type OpResult<K extends OpName> = OpResults[K];

export interface MessageAck {
  id: string;
  conversationId: string;
  seq: number;
  clientId: string;
  createdAt: number;
  /** True when this clientId had already been stored: the original ack is returned and nothing new is stored. */
  duplicate: boolean;
  /** A reply's quoted message as stored with it (present only for `messages.send` with `replyTo`). */
  replyTo?: ReplyRef;
}

/** The answer to `messages.edit`, `messages.delete` and `messages.react`. */
export interface ActionResult {
  /** The action's own entry in the sequence; null for `messages.delete` with scope `me`, which is not an entry. */
  ack: MessageAck | null;
  /** The target message in its state after the action, as the caller sees it. */
  message: Message;
}

export type Transport = "ws" | "http";

export interface OpSpec {
  /** `public` operations need no token; `hello` is the WebSocket handshake itself. */
  auth: "public" | "user";
  transports: readonly Transport[];
  http?: { method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE"; path: string };
}

const both: readonly Transport[] = ["ws", "http"];

export const operations: Record<OpName, OpSpec> = {
  hello: { auth: "public", transports: ["ws"] },
  ping: { auth: "user", transports: ["ws"] },
  "auth.register": { auth: "public", transports: ["http"], http: { method: "POST", path: "/v1/auth/register" } },
  "auth.login": { auth: "public", transports: ["http"], http: { method: "POST", path: "/v1/auth/login" } },
  "auth.refresh": { auth: "public", transports: ["http"], http: { method: "POST", path: "/v1/auth/refresh" } },
  "auth.logout": { auth: "user", transports: ["http"], http: { method: "POST", path: "/v1/auth/logout" } },
  "me.get": { auth: "user", transports: both, http: { method: "GET", path: "/v1/me" } },
  "me.update": { auth: "user", transports: both, http: { method: "PATCH", path: "/v1/me" } },
  "users.get": { auth: "user", transports: both, http: { method: "GET", path: "/v1/users/by-username/:username" } },
  "users.getMany": { auth: "user", transports: both, http: { method: "POST", path: "/v1/users/lookup" } },
  "contacts.list": { auth: "user", transports: both, http: { method: "GET", path: "/v1/contacts" } },
  "contacts.add": { auth: "user", transports: both, http: { method: "PUT", path: "/v1/contacts/:userId" } },
  "contacts.remove": { auth: "user", transports: both, http: { method: "DELETE", path: "/v1/contacts/:userId" } },
  "blocks.list": { auth: "user", transports: both, http: { method: "GET", path: "/v1/blocks" } },
  "blocks.add": { auth: "user", transports: both, http: { method: "PUT", path: "/v1/blocks/:userId" } },
  "blocks.remove": { auth: "user", transports: both, http: { method: "DELETE", path: "/v1/blocks/:userId" } },
  "conversations.list": { auth: "user", transports: both, http: { method: "GET", path: "/v1/conversations" } },
  "conversations.get": { auth: "user", transports: both, http: { method: "GET", path: "/v1/conversations/:conversationId" } },
  "conversations.openDirect": { auth: "user", transports: both, http: { method: "POST", path: "/v1/conversations/direct" } },
  "conversations.createGroup": { auth: "user", transports: both, http: { method: "POST", path: "/v1/conversations/group" } },
  "conversations.rename": {
    auth: "user",
    transports: both,
    http: { method: "PATCH", path: "/v1/conversations/:conversationId" },
  },
  "conversations.leave": {
    auth: "user",
    transports: both,
    http: { method: "POST", path: "/v1/conversations/:conversationId/leave" },
  },
  "members.add": { auth: "user", transports: both, http: { method: "POST", path: "/v1/conversations/:conversationId/members" } },
  "members.remove": {
    auth: "user",
    transports: both,
    http: { method: "DELETE", path: "/v1/conversations/:conversationId/members/:userId" },
  },
  "members.setRole": {
    auth: "user",
    transports: both,
    http: { method: "PATCH", path: "/v1/conversations/:conversationId/members/:userId" },
  },
  "messages.send": {
    auth: "user",
    transports: both,
    http: { method: "POST", path: "/v1/conversations/:conversationId/messages" },
  },
  "messages.history": {
    auth: "user",
    transports: both,
    http: { method: "GET", path: "/v1/conversations/:conversationId/messages" },
  },
  sync: { auth: "user", transports: both, http: { method: "POST", path: "/v1/sync" } },
  "receipts.mark": {
    auth: "user",
    transports: both,
    http: { method: "POST", path: "/v1/conversations/:conversationId/receipts" },
  },
  typing: { auth: "user", transports: ["ws"] },
  "presence.query": { auth: "user", transports: both, http: { method: "POST", path: "/v1/presence/query" } },
  "presence.subscribe": { auth: "user", transports: ["ws"] },
  "presence.unsubscribe": { auth: "user", transports: ["ws"] },
  "messages.edit": {
    auth: "user",
    transports: both,
    http: { method: "PATCH", path: "/v1/conversations/:conversationId/messages/:seq" },
  },
  "messages.delete": {
    auth: "user",
    transports: both,
    http: { method: "POST", path: "/v1/conversations/:conversationId/messages/:seq/delete" },
  },
  "messages.react": {
    auth: "user",
    transports: both,
    http: { method: "POST", path: "/v1/conversations/:conversationId/messages/:seq/reactions" },
  },
  "push.config": { auth: "user", transports: both, http: { method: "GET", path: "/v1/push/config" } },
  "push.subscribe": { auth: "user", transports: both, http: { method: "POST", path: "/v1/push/subscriptions" } },
  "push.unsubscribe": { auth: "user", transports: both, http: { method: "POST", path: "/v1/push/unsubscribe" } },
  "conversations.mute": {
    auth: "user",
    transports: both,
    http: { method: "PUT", path: "/v1/conversations/:conversationId/mute" },
  },
  "settings.get": { auth: "user", transports: both, http: { method: "GET", path: "/v1/settings" } },
  "settings.update": { auth: "user", transports: both, http: { method: "PATCH", path: "/v1/settings" } },
  "files.sign": { auth: "user", transports: both, http: { method: "POST", path: "/v1/files/sign" } },
  "uploads.presign": { auth: "user", transports: both, http: { method: "POST", path: "/v1/uploads/presign" } },
  "uploads.complete": { auth: "user", transports: both, http: { method: "POST", path: "/v1/uploads/complete" } },
  "messages.search": { auth: "user", transports: both, http: { method: "GET", path: "/v1/search/messages" } },
};

export const OP_NAMES = Object.keys(schemas) as OpName[];

export function isOpName(value: unknown): value is OpName {
  return typeof value === "string" && Object.hasOwn(schemas, value);
}

export type { MuteUntil, Role };
