// Every request a client can make, one definition record per operation: arguments, result, auth, transports, HTTP route.

import { type Static, type TSchema, Type } from "@sinclair/typebox";
import {
  type AdminReport,
  type AdminUser,
  type AuditEntry,
  type ChannelInvite,
  type DeviceSession,
  type Invite,
  type PasswordResetLink,
  REPORT_REASONS,
  type Report,
  type ServerSettings,
} from "./admin.js";
import {
  type Attachment,
  type ChannelListing,
  type ChannelMember,
  type ClaimedKeyPackage,
  type Conversation,
  type ConversationSummary,
  DISAPPEAR_TIMERS,
  type GroupBan,
  type Limits,
  type Member,
  type Message,
  type MlsDevice,
  type MlsWelcome,
  type PinnedMessage,
  type Presence,
  RETENTION_MAX_SECONDS,
  RETENTION_MIN_SECONDS,
  type ReceiptState,
  type ReplyRef,
  type Role,
  type User,
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
/** A one-time secret handed out by the server (invitation, password-reset link): `<id>.<secret>`. */
const SecretToken = Type.String({ minLength: 1, maxLength: 256 });
const RegistrationModeSchema = Type.Union([Type.Literal("open"), Type.Literal("invite_only"), Type.Literal("closed")]);
const AdminPageLimit = Type.Optional(Type.Integer({ minimum: 1, maximum: 200 }));
/** A retention period in seconds, or null for none. */
const RetentionSeconds = Type.Union([
  Type.Integer({ minimum: RETENTION_MIN_SECONDS, maximum: RETENTION_MAX_SECONDS }),
  Type.Null(),
]);
/** Base64url (padding optional) of opaque MLS bytes; `max` characters at most (frames are bounded too). */
const MlsBytes = (max: number) => Type.String({ minLength: 4, maxLength: max, pattern: "^[A-Za-z0-9_-]+={0,2}$" });
/** Most single-use KeyPackages one upload carries (also the most the server keeps per device). */
export const MAX_KEY_PACKAGES = 100;
/** A KeyPackage's expiry (ms since the epoch): checked against now + 1 hour … now + 90 days by the server. */
const KeyPackageUpload = Type.Object(
  { data: MlsBytes(16_384), expiresAt: Type.Integer({ minimum: 0 }) },
  { additionalProperties: false },
);
const Epoch = Type.Integer({ minimum: 0 });
const MuteUntilSchema = Type.Union([Type.Integer({ minimum: 0 }), Type.Literal("forever"), Type.Null()]);
/** Most user ids in one `channels.addMembers` or `channels.removeMembers` call. */
export const MAX_CHANNEL_MEMBERS_PER_CALL = 1000;
const ChannelUserIds = Type.Array(Id, { minItems: 1, maxItems: MAX_CHANNEL_MEMBERS_PER_CALL, uniqueItems: true });
/** What an invitation allows (`admin.invites.create`, `channels.createInvite`); without `expiresInSeconds`, 7 days. */
const InviteTermsArgs = {
  maxUses: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
  expiresInSeconds: Type.Optional(Type.Integer({ minimum: 60, maximum: 90 * 24 * 3600 })),
  note: Type.Optional(Type.String({ maxLength: 200 })),
};
/** An opaque page position handed out by a previous page (`next`). */
const PageCursor = Type.Optional(Type.String({ minLength: 1, maxLength: 512 }));
/** A prefix to filter by (titles, usernames, display names; any case). */
const PrefixQuery = Type.Optional(Type.String({ minLength: 1, maxLength: 64 }));
const ChannelPageLimit = Type.Optional(Type.Integer({ minimum: 1, maximum: 200 }));
/** Most people in one page of `users.search` (also its default page size is 20). */
export const MAX_USER_SEARCH_PAGE = 50;
/** Most attachments on one message (also announced in `welcome.limits.maxAttachments`). */
export const MAX_ATTACHMENTS = 10;

/**
 * Where an operation can be called: `live` is a live session (a WebSocket or long polling, which carry the same
 * frames), `http` the stateless JSON API.
 */
export type Transport = "live" | "http";

export interface HttpBinding {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
}

declare const resultBrand: unique symbol;
/** The type of an operation's result, carried by its definition for the type checker only (nothing at run time). */
export interface ResultType<R> {
  readonly [resultBrand]?: R;
}

/** Declares an operation's result type in its definition record. */
function returns<R>(): ResultType<R> {
  return {};
}

/** One operation, completely: adding an operation means writing one of these (and its server handler). */
export interface OpDefinition<R = unknown> {
  /** The arguments' schema: what the server validates and the clients' argument type. */
  args: TSchema;
  result: ResultType<R>;
  /**
   * `public` operations need no token; `hello` is the live session's handshake itself. `admin` operations need a user
   * who is an administrator of the server, checked on every call (§6.11).
   */
  auth: "public" | "user" | "admin";
  transports: readonly Transport[];
  /** The operation's HTTP route, when `transports` lists `http`. */
  http?: HttpBinding;
}

const LIVE = ["live"] as const satisfies readonly Transport[];
const HTTP = ["http"] as const satisfies readonly Transport[];
const BOTH = ["live", "http"] as const satisfies readonly Transport[];

const definitions = {
  hello: {
    args: Type.Object(
      {
        versions: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 16 }),
        token: Type.Optional(Type.String({ maxLength: 4096 })),
      },
      { additionalProperties: false },
    ),
    result: returns<Welcome>(),
    auth: "public",
    transports: LIVE,
  },
  ping: {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<{ serverTime: number }>(),
    auth: "user",
    transports: LIVE,
  },
  "auth.register": {
    args: Type.Object(
      {
        username: Username,
        password: Password,
        displayName: Type.Optional(DisplayName),
        deviceName: Type.Optional(DeviceName),
        invite: Type.Optional(SecretToken),
      },
      { additionalProperties: false },
    ),
    result: returns<AuthResult>(),
    auth: "public",
    transports: HTTP,
    http: { method: "POST", path: "/v1/auth/register" },
  },
  "auth.resetPassword": {
    args: Type.Object(
      { token: SecretToken, password: Password, deviceName: Type.Optional(DeviceName) },
      { additionalProperties: false },
    ),
    result: returns<AuthResult>(),
    auth: "public",
    transports: HTTP,
    http: { method: "POST", path: "/v1/auth/reset-password" },
  },
  "auth.login": {
    args: Type.Object(
      {
        username: Type.String({ maxLength: 64 }),
        password: Type.String({ maxLength: 1024 }),
        deviceName: Type.Optional(DeviceName),
      },
      { additionalProperties: false },
    ),
    result: returns<AuthResult>(),
    auth: "public",
    transports: HTTP,
    http: { method: "POST", path: "/v1/auth/login" },
  },
  // Single sign-on (docs/protocol.md §6.12): the browser's redirects are routes of their own; these two are JSON.
  "auth.sso": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<SsoInfo>(),
    auth: "public",
    transports: HTTP,
    http: { method: "GET", path: "/v1/auth/sso" },
  },
  "auth.ssoExchange": {
    args: Type.Object(
      { code: Type.String({ minLength: 1, maxLength: 256 }), deviceName: Type.Optional(DeviceName) },
      { additionalProperties: false },
    ),
    result: returns<AuthResult>(),
    auth: "public",
    transports: HTTP,
    http: { method: "POST", path: "/v1/auth/sso/exchange" },
  },
  "auth.refresh": {
    args: Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false }),
    result: returns<AuthResult>(),
    auth: "public",
    transports: HTTP,
    http: { method: "POST", path: "/v1/auth/refresh" },
  },
  "auth.logout": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<Record<string, never>>(),
    auth: "user",
    transports: HTTP,
    http: { method: "POST", path: "/v1/auth/logout" },
  },
  "me.get": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<User>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/me" },
  },
  "me.update": {
    args: Type.Object({ displayName: DisplayName }, { additionalProperties: false }),
    result: returns<User>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PATCH", path: "/v1/me" },
  },
  "me.changePassword": {
    args: Type.Object({ oldPassword: Type.String({ maxLength: 1024 }), newPassword: Password }, { additionalProperties: false }),
    result: returns<Record<string, never>>(),
    auth: "user",
    transports: HTTP,
    http: { method: "POST", path: "/v1/me/password" },
  },
  /** Removes the caller's profile picture (set by `POST /v1/me/avatar`, §6.4). */
  "me.removeAvatar": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<User>(),
    auth: "user",
    transports: BOTH,
    http: { method: "DELETE", path: "/v1/me/avatar" },
  },
  "sessions.list": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<{ sessions: DeviceSession[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/me/sessions" },
  },
  "sessions.revoke": {
    args: Type.Object({ sessionId: Id }, { additionalProperties: false }),
    result: returns<{ sessions: DeviceSession[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "DELETE", path: "/v1/me/sessions/:sessionId" },
  },
  "users.get": {
    args: Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
    result: returns<User>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/users/by-username/:username" },
  },
  "users.getMany": {
    args: Type.Object({ userIds: UserIds }, { additionalProperties: false }),
    result: returns<{ users: User[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/users/lookup" },
  },
  /** People by name or username, for starting chats and adding members (§6.4). */
  "users.search": {
    args: Type.Object(
      {
        query: Type.String({ minLength: 1, maxLength: 64 }),
        after: Type.Optional(Username),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_USER_SEARCH_PAGE })),
      },
      { additionalProperties: false },
    ),
    result: returns<{ users: User[]; next: string | null }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/users/search" },
  },
  "contacts.list": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<{ contacts: User[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/contacts" },
  },
  "contacts.add": {
    args: Type.Object({ userId: Id }, { additionalProperties: false }),
    result: returns<{ contacts: User[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PUT", path: "/v1/contacts/:userId" },
  },
  "contacts.remove": {
    args: Type.Object({ userId: Id }, { additionalProperties: false }),
    result: returns<{ contacts: User[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "DELETE", path: "/v1/contacts/:userId" },
  },
  "blocks.list": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<{ blocked: User[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/blocks" },
  },
  "blocks.add": {
    args: Type.Object({ userId: Id }, { additionalProperties: false }),
    result: returns<{ blocked: User[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PUT", path: "/v1/blocks/:userId" },
  },
  "blocks.remove": {
    args: Type.Object({ userId: Id }, { additionalProperties: false }),
    result: returns<{ blocked: User[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "DELETE", path: "/v1/blocks/:userId" },
  },
  /** Reports a message the caller can see to the server's administrators; one open report per reporter and message. */
  "reports.create": {
    args: Type.Object(
      {
        conversationId: Id,
        seq: TargetSeq,
        reason: Type.Union(REPORT_REASONS.map((r) => Type.Literal(r))),
        note: Type.Optional(Type.String({ maxLength: 1000 })),
      },
      { additionalProperties: false },
    ),
    result: returns<Report>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/reports" },
  },
  /** `next`: pass as `after` for the next page; null on the last page. */
  "conversations.list": {
    args: Type.Object(
      { after: After, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
      { additionalProperties: false },
    ),
    result: returns<{ conversations: ConversationSummary[]; next: string | null }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/conversations" },
  },
  "conversations.get": {
    args: Type.Object({ conversationId: Id }, { additionalProperties: false }),
    result: returns<ConversationSummary>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/conversations/:conversationId" },
  },
  "conversations.openDirect": {
    args: Type.Object({ userId: Id, encrypted: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
    result: returns<Conversation>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/direct" },
  },
  "conversations.createGroup": {
    args: Type.Object(
      {
        title: Title,
        memberIds: Type.Array(Id, { maxItems: 500, uniqueItems: true }),
        encrypted: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    result: returns<Conversation>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/group" },
  },
  "conversations.rename": {
    args: Type.Object({ conversationId: Id, title: Title }, { additionalProperties: false }),
    result: returns<{ message: Message }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PATCH", path: "/v1/conversations/:conversationId" },
  },
  "conversations.leave": {
    args: Type.Object({ conversationId: Id }, { additionalProperties: false }),
    result: returns<{ message: Message }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/leave" },
  },
  "members.add": {
    args: Type.Object({ conversationId: Id, userIds: UserIds }, { additionalProperties: false }),
    result: returns<{ message: Message }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/members" },
  },
  "members.remove": {
    args: Type.Object({ conversationId: Id, userId: Id }, { additionalProperties: false }),
    result: returns<{ message: Message }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "DELETE", path: "/v1/conversations/:conversationId/members/:userId" },
  },
  /** Removes the user (as members.remove) when a member, and bans them: nobody can add them back until unbanned. */
  "members.ban": {
    args: Type.Object(
      { conversationId: Id, userId: Id, reason: Type.Optional(Type.String({ minLength: 1, maxLength: 500 })) },
      { additionalProperties: false },
    ),
    result: returns<{ ban: GroupBan; message: Message | null }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/bans" },
  },
  /** Idempotent: unbanning a user who is not banned is not an error. */
  "members.unban": {
    args: Type.Object({ conversationId: Id, userId: Id }, { additionalProperties: false }),
    result: returns<{ bans: GroupBan[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "DELETE", path: "/v1/conversations/:conversationId/bans/:userId" },
  },
  "members.bans": {
    args: Type.Object({ conversationId: Id }, { additionalProperties: false }),
    result: returns<{ bans: GroupBan[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/conversations/:conversationId/bans" },
  },
  "conversations.setDisappearing": {
    args: Type.Object(
      { conversationId: Id, seconds: Type.Union([...DISAPPEAR_TIMERS.map((t) => Type.Literal(t)), Type.Null()]) },
      { additionalProperties: false },
    ),
    result: returns<{ message: Message }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PUT", path: "/v1/conversations/:conversationId/disappearing" },
  },
  "conversations.setRetention": {
    args: Type.Object({ conversationId: Id, seconds: RetentionSeconds }, { additionalProperties: false }),
    result: returns<{ message: Message }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PUT", path: "/v1/conversations/:conversationId/retention" },
  },
  "members.setRole": {
    args: Type.Object({ conversationId: Id, userId: Id, role: RoleSchema }, { additionalProperties: false }),
    result: returns<{ message: Message }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PATCH", path: "/v1/conversations/:conversationId/members/:userId" },
  },
  "channels.create": {
    args: Type.Object(
      {
        title: Title,
        visibility: Type.Union([Type.Literal("public"), Type.Literal("private")]),
        posting: Type.Optional(Type.Union([Type.Literal("everyone"), Type.Literal("admins")])),
        history: Type.Optional(Type.Union([Type.Literal("full"), Type.Literal("from_join")])),
      },
      { additionalProperties: false },
    ),
    result: returns<Conversation>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/channels" },
  },
  /** Public channels by title prefix; `next`: pass as `cursor` for the next page, null on the last. */
  "channels.directory": {
    args: Type.Object({ query: PrefixQuery, cursor: PageCursor, limit: ChannelPageLimit }, { additionalProperties: false }),
    result: returns<{ channels: ChannelListing[]; next: string | null }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/channels" },
  },
  "channels.join": {
    args: Type.Object({ conversationId: Id }, { additionalProperties: false }),
    result: returns<Conversation>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/channels/:conversationId/join" },
  },
  /** A page of current members by (role, user id), optionally by username or display-name prefix. */
  "channels.members": {
    args: Type.Object(
      { conversationId: Id, query: PrefixQuery, cursor: PageCursor, limit: ChannelPageLimit },
      { additionalProperties: false },
    ),
    result: returns<{ members: ChannelMember[]; next: string | null }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/channels/:conversationId/members" },
  },
  "channels.addMembers": {
    args: Type.Object({ conversationId: Id, userIds: ChannelUserIds }, { additionalProperties: false }),
    result: returns<{ message: Message }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/channels/:conversationId/members" },
  },
  "channels.removeMembers": {
    args: Type.Object({ conversationId: Id, userIds: ChannelUserIds }, { additionalProperties: false }),
    result: returns<{ message: Message }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/channels/:conversationId/members/remove" },
  },
  /** The caller's push notifications for a channel: every message (`all`) or mentions only (`mentions`, the default). */
  "channels.setNotifications": {
    args: Type.Object(
      { conversationId: Id, level: Type.Union([Type.Literal("all"), Type.Literal("mentions")]) },
      { additionalProperties: false },
    ),
    result: returns<{ conversationId: string; level: "all" | "mentions" }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PUT", path: "/v1/channels/:conversationId/notifications" },
  },
  /** An invitation link (admins of the channel): its `token` joins by `channels.joinByInvite`, shown only here. */
  "channels.createInvite": {
    args: Type.Object({ conversationId: Id, ...InviteTermsArgs }, { additionalProperties: false }),
    result: returns<ChannelInvite>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/channels/:conversationId/invites" },
  },
  /** The channel's invitations that can still be used, newest first (admins of the channel). */
  "channels.invites": {
    args: Type.Object({ conversationId: Id }, { additionalProperties: false }),
    result: returns<{ invites: ChannelInvite[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/channels/:conversationId/invites" },
  },
  /** Idempotent: an earlier revocation is kept. */
  "channels.revokeInvite": {
    args: Type.Object({ conversationId: Id, inviteId: Id }, { additionalProperties: false }),
    result: returns<ChannelInvite>(),
    auth: "user",
    transports: BOTH,
    http: { method: "DELETE", path: "/v1/channels/:conversationId/invites/:inviteId" },
  },
  /** Joins the channel of an invitation link (counts one use; a current member gets the channel, no use counted). */
  "channels.joinByInvite": {
    args: Type.Object({ token: Type.String({ minLength: 1, maxLength: 200 }) }, { additionalProperties: false }),
    result: returns<Conversation>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/channels/join-by-invite" },
  },
  /** How many current members have read up to `seq` ("seen by"); for the message's author and the channel's admins. */
  "channels.readCount": {
    args: Type.Object({ conversationId: Id, seq: TargetSeq }, { additionalProperties: false }),
    result: returns<{ conversationId: string; seq: number; count: number }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/channels/:conversationId/read-count/:seq" },
  },
  // May be empty when the message carries attachments.
  "messages.send": {
    args: Type.Object(
      {
        conversationId: Id,
        clientId: Type.String({ minLength: 1, maxLength: 64 }),
        body: Type.String(),
        replyTo: Type.Optional(Type.Integer({ minimum: 1 })),
        attachments: Type.Optional(Type.Array(Id, { maxItems: MAX_ATTACHMENTS, uniqueItems: true })),
        /** Encrypted conversations only (§6.15): the MLS application message; `body` must then be `""`. */
        mls: Type.Optional(Type.Object({ epoch: Epoch, data: MlsBytes(262_144) }, { additionalProperties: false })),
      },
      { additionalProperties: false },
    ),
    result: returns<MessageAck>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/messages" },
  },
  "messages.history": {
    args: Type.Object(
      {
        conversationId: Id,
        before: Type.Optional(Seq),
        after: Type.Optional(Seq),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
      },
      { additionalProperties: false },
    ),
    // expiredThrough: entries with seq ≤ it were deleted by retention (§6.14); absent when none.
    result: returns<{ messages: Message[]; hasMore: boolean; expiredThrough?: number }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/conversations/:conversationId/messages" },
  },
  sync: {
    args: Type.Object(
      {
        cursors: Type.Record(Type.String({ pattern: "^[A-Za-z0-9_-]{1,64}$" }), Seq, {
          maxProperties: 10_000,
          additionalProperties: false,
        }),
        receiptsSince: Type.Optional(Type.Integer({ minimum: 0 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 5000 })),
        after: After,
        through: Type.Optional(Id),
      },
      { additionalProperties: false },
    ),
    result: returns<SyncResult>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/sync" },
  },
  "receipts.mark": {
    args: Type.Object(
      { conversationId: Id, delivered: Type.Optional(Seq), read: Type.Optional(Seq) },
      { additionalProperties: false },
    ),
    result: returns<ReceiptState>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/receipts" },
  },
  typing: {
    args: Type.Object({ conversationId: Id, typing: Type.Boolean() }, { additionalProperties: false }),
    result: returns<Record<string, never>>(),
    auth: "user",
    transports: LIVE,
  },
  "presence.query": {
    args: Type.Object({ userIds: UserIds }, { additionalProperties: false }),
    result: returns<{ presence: Presence[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/presence/query" },
  },
  "presence.subscribe": {
    args: Type.Object({ userIds: UserIds }, { additionalProperties: false }),
    result: returns<{ presence: Presence[] }>(),
    auth: "user",
    transports: LIVE,
  },
  "presence.unsubscribe": {
    args: Type.Object({ userIds: UserIds }, { additionalProperties: false }),
    result: returns<Record<string, never>>(),
    auth: "user",
    transports: LIVE,
  },
  "messages.edit": {
    args: Type.Object(
      { conversationId: Id, seq: TargetSeq, clientId: ClientId, body: Type.String({ minLength: 1 }) },
      { additionalProperties: false },
    ),
    result: returns<ActionResult>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PATCH", path: "/v1/conversations/:conversationId/messages/:seq" },
  },
  "messages.delete": {
    args: Type.Object(
      {
        conversationId: Id,
        seq: TargetSeq,
        clientId: ClientId,
        scope: Type.Union([Type.Literal("everyone"), Type.Literal("me")]),
      },
      { additionalProperties: false },
    ),
    result: returns<ActionResult>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/messages/:seq/delete" },
  },
  "messages.react": {
    args: Type.Object(
      {
        conversationId: Id,
        seq: TargetSeq,
        clientId: ClientId,
        emoji: Type.String({ minLength: 1, maxLength: MAX_EMOJI_LENGTH }),
        remove: Type.Optional(Type.Boolean()),
      },
      { additionalProperties: false },
    ),
    result: returns<ActionResult>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/messages/:seq/reactions" },
  },
  /** Pins a text message to its conversation (§6.8): an action entry `{ type: "pin", target }`. */
  "messages.pin": {
    args: Type.Object({ conversationId: Id, seq: TargetSeq, clientId: ClientId }, { additionalProperties: false }),
    result: returns<ActionResult>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/messages/:seq/pin" },
  },
  /** Removes a message's pin: an action entry `{ type: "unpin", target }`. */
  "messages.unpin": {
    args: Type.Object({ conversationId: Id, seq: TargetSeq, clientId: ClientId }, { additionalProperties: false }),
    result: returns<ActionResult>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/messages/:seq/unpin" },
  },
  /** The conversation's pinned messages, newest pin first, as the caller may see them. */
  "messages.pins": {
    args: Type.Object({ conversationId: Id }, { additionalProperties: false }),
    result: returns<{ pins: PinnedMessage[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/conversations/:conversationId/pins" },
  },
  /**
   * Copies a text message the caller can read (`from`) into another conversation (`conversationId`) as a new message of
   * the caller, body and files included, marked `forwarded: true` (§6.6).
   */
  "messages.forward": {
    args: Type.Object(
      {
        conversationId: Id,
        clientId: ClientId,
        from: Type.Object({ conversationId: Id, seq: TargetSeq }, { additionalProperties: false }),
      },
      { additionalProperties: false },
    ),
    result: returns<MessageAck>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/forward" },
  },
  // Push notifications (docs/protocol.md §6.9).
  "push.config": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<PushConfig>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/push/config" },
  },
  "push.subscribe": {
    args: Type.Object(
      {
        endpoint: PushEndpoint,
        keys: Type.Object({ p256dh: Base64Url(80, 100), auth: Base64Url(16, 32) }, { additionalProperties: false }),
        expirationTime: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()])),
      },
      { additionalProperties: false },
    ),
    result: returns<{ endpoint: string }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/push/subscriptions" },
  },
  "push.unsubscribe": {
    args: Type.Object({ endpoint: PushEndpoint }, { additionalProperties: false }),
    result: returns<Record<string, never>>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/push/unsubscribe" },
  },
  "conversations.mute": {
    args: Type.Object({ conversationId: Id, until: MuteUntilSchema }, { additionalProperties: false }),
    result: returns<ConversationMute>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PUT", path: "/v1/conversations/:conversationId/mute" },
  },
  "settings.get": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<Settings>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/settings" },
  },
  "settings.update": {
    args: Type.Object(
      {
        dnd: Type.Optional(MuteUntilSchema),
        previews: Type.Optional(Type.Boolean()),
        mentionsInMuted: Type.Optional(Type.Boolean()),
        groupAdds: Type.Optional(GroupAddsSchema),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
    result: returns<Settings>(),
    auth: "user",
    transports: BOTH,
    http: { method: "PATCH", path: "/v1/settings" },
  },
  "files.sign": {
    args: Type.Object(
      { uploadIds: Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true }) },
      { additionalProperties: false },
    ),
    result: returns<{ files: SignedFile[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/files/sign" },
  },
  "links.preview": {
    args: Type.Object({ url: Type.String({ minLength: 1, maxLength: 2048 }) }, { additionalProperties: false }),
    result: returns<LinkPreview>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/links/preview" },
  },
  "uploads.presign": {
    args: Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 1024 }),
        size: Type.Integer({ minimum: 0 }),
        mimeType: Type.Optional(Type.String({ maxLength: 255 })),
      },
      { additionalProperties: false },
    ),
    result: returns<PresignedUpload>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/uploads/presign" },
  },
  "uploads.complete": {
    args: Type.Object({ uploadToken: Type.String({ minLength: 1, maxLength: 4096 }) }, { additionalProperties: false }),
    result: returns<Attachment>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/uploads/complete" },
  },
  "messages.search": {
    args: Type.Object(
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
    result: returns<SearchResult>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/search/messages" },
  },
  // Administration (docs/protocol.md §6.11): every call checks that the caller is an administrator.
  "admin.users.list": {
    args: Type.Object(
      {
        query: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
        after: Type.Optional(Username),
        limit: AdminPageLimit,
      },
      { additionalProperties: false },
    ),
    result: returns<{ users: AdminUser[]; next: string | null }>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "GET", path: "/v1/admin/users" },
  },
  "admin.users.create": {
    args: Type.Object(
      { username: Username, displayName: Type.Optional(DisplayName), password: Type.Optional(Password) },
      { additionalProperties: false },
    ),
    result: returns<{ user: AdminUser; reset: PasswordResetLink | null }>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "POST", path: "/v1/admin/users" },
  },
  "admin.users.deactivate": {
    args: Type.Object({ userId: Id }, { additionalProperties: false }),
    result: returns<AdminUser>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "POST", path: "/v1/admin/users/:userId/deactivate" },
  },
  "admin.users.reactivate": {
    args: Type.Object({ userId: Id }, { additionalProperties: false }),
    result: returns<AdminUser>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "POST", path: "/v1/admin/users/:userId/reactivate" },
  },
  "admin.users.resetLink": {
    args: Type.Object({ userId: Id }, { additionalProperties: false }),
    result: returns<PasswordResetLink>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "POST", path: "/v1/admin/users/:userId/reset-link" },
  },
  "admin.settings.get": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<ServerSettings>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "GET", path: "/v1/admin/settings" },
  },
  "admin.settings.update": {
    args: Type.Object(
      { registration: Type.Optional(RegistrationModeSchema), maxMessageAge: Type.Optional(RetentionSeconds) },
      { additionalProperties: false, minProperties: 1 },
    ),
    result: returns<ServerSettings>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "PATCH", path: "/v1/admin/settings" },
  },
  "admin.invites.create": {
    args: Type.Object(InviteTermsArgs, { additionalProperties: false }),
    result: returns<Invite>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "POST", path: "/v1/admin/invites" },
  },
  "admin.invites.list": {
    args: Type.Object({ after: After, limit: AdminPageLimit }, { additionalProperties: false }),
    result: returns<{ invites: Invite[]; next: string | null }>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "GET", path: "/v1/admin/invites" },
  },
  "admin.invites.revoke": {
    args: Type.Object({ inviteId: Id }, { additionalProperties: false }),
    result: returns<Invite>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "DELETE", path: "/v1/admin/invites/:inviteId" },
  },
  /** The moderation queue, newest first: open reports (default) or resolved ones. */
  "admin.reports.list": {
    args: Type.Object(
      {
        status: Type.Optional(Type.Union([Type.Literal("open"), Type.Literal("resolved")])),
        after: After,
        limit: AdminPageLimit,
      },
      { additionalProperties: false },
    ),
    result: returns<{ reports: AdminReport[]; next: string | null }>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "GET", path: "/v1/admin/reports" },
  },
  /** Dismisses an open report (the message stays); a resolved report is returned unchanged. */
  "admin.reports.resolve": {
    args: Type.Object({ reportId: Id }, { additionalProperties: false }),
    result: returns<AdminReport>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "POST", path: "/v1/admin/reports/:reportId/resolve" },
  },
  /** Removes any text message for everyone: a delete entry with `by: "admin"`; resolves its open reports. */
  "admin.messages.remove": {
    args: Type.Object({ conversationId: Id, seq: TargetSeq }, { additionalProperties: false }),
    result: returns<{ message: Message }>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "POST", path: "/v1/admin/conversations/:conversationId/messages/:seq/remove" },
  },
  "admin.audit.list": {
    args: Type.Object(
      { before: Type.Optional(Type.Integer({ minimum: 1 })), limit: AdminPageLimit },
      { additionalProperties: false },
    ),
    result: returns<{ entries: AuditEntry[]; next: number | null }>(),
    auth: "admin",
    transports: BOTH,
    http: { method: "GET", path: "/v1/admin/audit" },
  },
  // ── End-to-end encryption (MLS, §6.15) ──
  "e2ee.devices.register": {
    args: Type.Object({ signatureKey: MlsBytes(256) }, { additionalProperties: false }),
    result: returns<{ device: MlsDevice }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/e2ee/devices" },
  },
  "e2ee.devices.list": {
    args: Type.Object({ userId: Id }, { additionalProperties: false }),
    result: returns<{ devices: MlsDevice[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/e2ee/devices/:userId" },
  },
  "e2ee.keyPackages.upload": {
    args: Type.Object(
      {
        keyPackages: Type.Array(KeyPackageUpload, { maxItems: MAX_KEY_PACKAGES }),
        lastResort: Type.Optional(KeyPackageUpload),
      },
      { additionalProperties: false },
    ),
    result: returns<{ count: number; lastResort: boolean }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/e2ee/key-packages" },
  },
  "e2ee.keyPackages.count": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<{ count: number; lastResort: boolean }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/e2ee/key-packages" },
  },
  "e2ee.keyPackages.claim": {
    args: Type.Object({ userIds: UserIds }, { additionalProperties: false }),
    result: returns<{ keyPackages: ClaimedKeyPackage[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/e2ee/key-packages/claim" },
  },
  "e2ee.commit": {
    args: Type.Object(
      {
        conversationId: Id,
        epoch: Epoch,
        commit: MlsBytes(2_000_000),
        groupInfo: MlsBytes(2_000_000),
        welcome: Type.Optional(
          Type.Object(
            { data: MlsBytes(2_000_000), deviceIds: Type.Array(Id, { minItems: 1, maxItems: 5000, uniqueItems: true }) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    result: returns<{ message: Message }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/conversations/:conversationId/mls/commits" },
  },
  "e2ee.groupInfo": {
    args: Type.Object({ conversationId: Id }, { additionalProperties: false }),
    result: returns<{ epoch: number; groupInfo: string | null }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/conversations/:conversationId/mls/group-info" },
  },
  "e2ee.welcomes.list": {
    args: Type.Object({}, { additionalProperties: false }),
    result: returns<{ welcomes: MlsWelcome[] }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "GET", path: "/v1/e2ee/welcomes" },
  },
  "e2ee.welcomes.ack": {
    args: Type.Object(
      { ids: Type.Array(Id, { minItems: 1, maxItems: 100, uniqueItems: true }) },
      { additionalProperties: false },
    ),
    result: returns<{ deleted: number }>(),
    auth: "user",
    transports: BOTH,
    http: { method: "POST", path: "/v1/e2ee/welcomes/ack" },
  },
} satisfies Record<string, OpDefinition>;

type Definitions = typeof definitions;
export type OpName = keyof Definitions;
export type OpArgs<K extends OpName> = Static<Definitions[K]["args"]>;
export type OpResult<K extends OpName> = Definitions[K]["result"] extends ResultType<infer R> ? R : never;

/**
 * Every operation's definition by name: its arguments' schema and auth exactly as written, its transports and HTTP
 * binding as the general types (so `operations[op].http` and `.transports.includes(...)` work for any `op`).
 */
export const operations: {
  readonly [K in OpName]: Omit<OpDefinition<OpResult<K>>, "args" | "auth"> & Pick<Definitions[K], "args" | "auth">;
} = definitions;
/** Every operation's result type by name. */
export type OpResults = { [K in OpName]: OpResult<K> };
/** The operations that need no token. */
export type PublicOp = { [K in OpName]: Definitions[K]["auth"] extends "public" ? K : never }[OpName];
/** The operations only administrators may call. */
export type AdminOp = { [K in OpName]: Definitions[K]["auth"] extends "admin" ? K : never }[OpName];

export const OP_NAMES = Object.keys(operations) as OpName[];

/** Every operation's argument schema by name (the `args` of its definition). */
export const schemas = Object.fromEntries(OP_NAMES.map((op) => [op, operations[op].args])) as {
  readonly [K in OpName]: Definitions[K]["args"];
};

export function isOpName(value: unknown): value is OpName {
  return typeof value === "string" && Object.hasOwn(operations, value);
}

/** Whether and how this server offers single sign-on (`auth.sso`). */
export interface SsoInfo {
  enabled: boolean;
  /** The provider's name for the sign-in button; present when enabled. */
  name?: string;
  /** Where the browser goes to sign in (`/v1/auth/sso/start`); present when enabled. */
  startPath?: string;
  /** Password sign-in and registration are refused (`sso_only`). */
  ssoOnly: boolean;
}

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
  /**
   * Entries with seq ≤ this were deleted by retention (§6.14): a device drops those it holds and treats them as
   * received (never as a gap). Absent when nothing expired.
   */
  expiredThrough?: number;
  /**
   * Channels (§6.17): the caller was more than a page behind, so only the newest entries were sent; those after the
   * cursor up to this seq were skipped. They are not a gap: a device moves its cursor here and pages them backwards
   * with `messages.history` (`before`) when the user scrolls. Absent when nothing was skipped.
   */
  skippedThrough?: number;
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

/** What `links.preview` found on a web page (docs/protocol.md §6.16). */
export interface LinkPreview {
  /** The URL asked about (as given). */
  url: string;
  title: string | null;
  description: string | null;
  /** The page's image as a thumbnail the server fetched and stores, relative to the server's base URL; null if none. */
  image: string | null;
  siteName: string | null;
}

/** The answer of `POST /v1/uploads`: the stored file's metadata, to pass its `id` in `messages.send`'s `attachments`. */
export type UploadResult = Attachment;

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

/** The answer to `messages.edit`, `messages.delete`, `messages.react`, `messages.pin` and `messages.unpin`. */
export interface ActionResult {
  /** The action's own entry in the sequence; null for `messages.delete` with scope `me`, which is not an entry. */
  ack: MessageAck | null;
  /** The target message in its state after the action, as the caller sees it. */
  message: Message;
}

export type { MuteUntil, Role };
