// The documented shape of every result and entity (docs/protocol.md §4.2, §5, §6, §7, §17), as runtime checks.

import { CLOSE_CODES, ERRORS, type ErrorCode, type OpName } from "@parley/protocol";

/** Throws a message naming the path of the first member that breaks the shape. */
export type Check = (value: unknown, path: string) => void;

export class ShapeError extends Error {}

const fail = (path: string, expected: string, value: unknown): never => {
  const shown = JSON.stringify(value);
  throw new ShapeError(
    `${path || "result"}: expected ${expected}, got ${shown === undefined ? "undefined" : shown.slice(0, 120)}`,
  );
};

export const str: Check = (v, p) => {
  if (typeof v !== "string") fail(p, "a string", v);
};
const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** §1: every id the server issues matches `^[A-Za-z0-9_-]{1,64}$`. */
export const id: Check = (v, p) => {
  if (typeof v !== "string" || !ID_PATTERN.test(v)) fail(p, "an id (^[A-Za-z0-9_-]{1,64}$)", v);
};
export const int: Check = (v, p) => {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0) fail(p, "an integer ≥ 0", v);
};
export const bool: Check = (v, p) => {
  if (typeof v !== "boolean") fail(p, "a boolean", v);
};
export const literal =
  (...values: unknown[]): Check =>
  (v, p) => {
    if (!values.includes(v)) fail(p, values.map((x) => JSON.stringify(x)).join(" | "), v);
  };
export const nullable =
  (check: Check): Check =>
  (v, p) => {
    if (v !== null) check(v, p);
  };
/** A member that may be absent (but, when present, is not null unless `check` allows it). */
export const optional =
  (check: Check): Check =>
  (v, p) => {
    if (v !== undefined) check(v, p);
  };
export const arrayOf =
  (check: Check): Check =>
  (v, p) => {
    if (!Array.isArray(v)) fail(p, "an array", v);
    (v as unknown[]).forEach((item, i) => {
      check(item, `${p}.${i}`);
    });
  };
export const recordOf =
  (check: Check): Check =>
  (v, p) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(p, "an object", v);
    for (const [k, item] of Object.entries(v as object)) check(item, `${p}.${k}`);
  };
/** An object with at least these members (clients MUST ignore unknown members, so extra ones are allowed). */
export const object =
  (members: Record<string, Check>): Check =>
  (v, p) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) fail(p, "an object", v);
    for (const [k, check] of Object.entries(members)) check((v as Record<string, unknown>)[k], p ? `${p}.${k}` : k);
  };
export const empty: Check = object({});
/** Any of several shapes (the first message is reported when none fits). */
export const oneOf =
  (...checks: Check[]): Check =>
  (v, p) => {
    let first: unknown;
    for (const check of checks) {
      try {
        check(v, p);
        return;
      } catch (error) {
        first ??= error;
      }
    }
    throw first;
  };

export const User = object({
  id,
  username: str,
  displayName: str,
  createdAt: int,
  admin: optional(literal(true)),
  deactivated: optional(literal(true)),
  avatarId: optional(id),
});
export const Role = literal("owner", "admin", "member");
export const Member = object({ userId: id, role: Role, joinedSeq: int, deliveredSeq: int, readSeq: int });
const ChannelSettings = object({
  visibility: literal("public", "private"),
  posting: literal("everyone", "admins"),
  history: literal("full", "from_join"),
});
export const Conversation = object({
  id,
  kind: literal("direct", "group", "channel"),
  title: nullable(str),
  createdAt: int,
  lastSeq: int,
  members: arrayOf(Member),
  disappearAfter: optional(int),
  retention: optional(int),
  maxAge: optional(int),
  expiredThrough: optional(int),
  channel: optional(ChannelSettings),
  memberCount: optional(int),
  encrypted: optional(literal(true)),
});
const ChannelListing = object({
  id,
  title: str,
  createdAt: int,
  memberCount: int,
  posting: literal("everyone", "admins"),
  history: literal("full", "from_join"),
});
export const Attachment = object({
  id,
  name: str,
  size: int,
  mimeType: str,
  width: nullable(int),
  height: nullable(int),
  hasThumbnail: bool,
  unscanned: optional(literal(true)),
});
const ReplyRef = object({ seq: int, senderId: id, preview: nullable(str), deleted: optional(literal(true)) });
const Reaction = object({ emoji: str, count: int, userIds: arrayOf(id) });
const MlsPayload = object({ epoch: int, deviceId: id, data: str });
export const MlsDevice = object({ userId: id, deviceId: id, signatureKey: str, registeredAt: int });
export const ClaimedKeyPackage = object({ userId: id, deviceId: id, signatureKey: str, keyPackage: str, lastResort: bool });
export const MlsWelcome = object({ id, conversationId: id, epoch: int, deviceId: id, data: str, createdAt: int });
const KeyPackageCount = object({ count: int, lastResort: bool });
const MessageAction = object({ type: literal("edit", "delete", "reaction", "pin", "unpin"), target: int });
export const Message: Check = (v, p) =>
  object({
    id,
    conversationId: id,
    seq: int,
    senderId: id,
    clientId: nullable(str),
    kind: literal("text", "system", "action"),
    body: nullable(str),
    event: nullable(object({ type: str, actorId: id })),
    createdAt: int,
    replyTo: optional(ReplyRef),
    editedAt: optional(int),
    deletedAt: optional(int),
    reactions: optional(arrayOf(Reaction)),
    hidden: optional(literal(true)),
    forwarded: optional(literal(true)),
    action: optional(MessageAction),
    updated: optional(Message),
    attachments: arrayOf(Attachment),
    mls: optional(MlsPayload),
  })(v, p);
export const ConversationSummary: Check = (v, p) => {
  Conversation(v, p);
  object({ lastMessage: nullable(Message), unread: int, mentions: int, membership: literal("member", "left") })(v, p);
};
export const MessageAck = object({
  id,
  conversationId: id,
  seq: int,
  clientId: str,
  createdAt: int,
  duplicate: bool,
  replyTo: optional(ReplyRef),
});
export const ActionResult = object({ ack: nullable(MessageAck), message: Message });
export const GroupBan = object({ userId: id, bannedBy: id, reason: nullable(str), createdAt: int });
export const PinnedMessage = object({ seq: int, pinnedBy: id, pinnedAt: int, entrySeq: int, message: Message });
export const Presence = object({ userId: id, online: bool, lastSeenAt: nullable(int) });
export const ReceiptState = object({ userId: id, deliveredSeq: int, readSeq: int });
export const Limits = object({
  maxMessageBytes: int,
  maxFrameBytes: int,
  maxBufferedBytes: int,
  maxGroupMembers: int,
  maxChannelMembers: int,
  historyPageMax: int,
  syncPageMax: int,
  heartbeatIntervalMs: int,
  typingTimeoutMs: int,
  presenceGraceMs: int,
  maxUploadBytes: int,
  maxAttachments: int,
  maxConversationsPerUser: int,
  maxGroupsPerDay: int,
  conversationPageMax: int,
});
export const Welcome = object({ version: int, user: User, sessionId: id, connectionId: id, serverTime: int, limits: Limits });
export const AuthResult = object({ user: User, sessionId: id, accessToken: str, expiresIn: int, refreshToken: str });
const MuteUntil = oneOf(int, literal("forever", null));
export const ConversationMute = object({ conversationId: id, mutedUntil: MuteUntil });
export const NotificationSettings = object({
  dnd: MuteUntil,
  previews: bool,
  mentionsInMuted: bool,
  mutes: arrayOf(ConversationMute),
  groupAdds: literal("everyone", "contacts", "nobody"),
});
export const SyncResult = object({
  conversations: arrayOf(
    object({
      conversationId: id,
      membership: literal("member", "left"),
      lastSeq: int,
      messages: arrayOf(Message),
      members: arrayOf(Member),
      hidden: optional(arrayOf(int)),
      expiredThrough: optional(int),
    }),
  ),
  hasMore: bool,
  next: nullable(str),
  serverTime: int,
});
export const LinkPreview = object({
  url: str,
  title: nullable(str),
  description: nullable(str),
  image: nullable(str),
  siteName: nullable(str),
});
export const SignedFile = object({ id, url: str, thumbnailUrl: nullable(str), expiresAt: int });
export const PresignedUpload = object({
  url: str,
  method: literal("PUT"),
  headers: recordOf(str),
  uploadToken: str,
  expiresAt: int,
});
export const SearchResult = object({
  results: arrayOf(
    object({
      conversationId: id,
      seq: int,
      message: Message,
      snippet: str,
      highlights: arrayOf(object({ start: int, end: int })),
    }),
  ),
  nextCursor: nullable(str),
});
export const DeviceSession = object({ id, deviceName: str, createdAt: int, expiresAt: int, current: bool });
export const AdminUser: Check = (v, p) => {
  User(v, p);
  object({ deactivatedAt: nullable(int), lastSeenAt: nullable(int) })(v, p);
};
export const PasswordResetLink = object({ userId: id, token: str, expiresAt: int });
export const ServerSettings = object({
  registration: literal("open", "invite_only", "closed"),
  maxMessageAge: nullable(int),
});
export const Invite = object({
  id,
  token: optional(str),
  note: nullable(str),
  createdBy: id,
  createdAt: int,
  expiresAt: int,
  maxUses: nullable(int),
  uses: int,
  revokedAt: nullable(int),
});
export const ChannelInvite: Check = (v, p) => {
  Invite(v, p);
  object({ conversationId: id })(v, p);
};
export const AuditEntry = object({
  id: int,
  at: int,
  actorId: nullable(id),
  action: literal(
    "admin.granted",
    "admin.revoked",
    "user.created",
    "user.deactivated",
    "user.reactivated",
    "user.reset_link",
    "settings.updated",
    "invite.created",
    "invite.revoked",
    "message.removed",
    "report.dismissed",
  ),
  target: nullable(str),
  details: object({}),
});
export const Report = object({
  id,
  conversationId: id,
  seq: int,
  reason: literal("spam", "harassment", "hate", "violence", "sexual", "illegal", "other"),
  note: nullable(str),
  createdAt: int,
  resolvedAt: nullable(int),
  resolution: nullable(literal("dismissed", "removed")),
});
export const AdminReport: Check = (v, p) => {
  Report(v, p);
  object({ reporter: User, resolvedBy: nullable(id), message: nullable(Message) })(v, p);
};

/** The documented result of every operation (§6.1 "Result" column); a new operation fails to compile until added. */
export const RESULT_SHAPES: Record<OpName, Check> = {
  hello: Welcome,
  ping: object({ serverTime: int }),
  "auth.register": AuthResult,
  "auth.login": AuthResult,
  "auth.refresh": AuthResult,
  "auth.sso": object({ enabled: bool, name: optional(str), startPath: optional(str), ssoOnly: bool }),
  "auth.ssoExchange": AuthResult,
  "auth.resetPassword": AuthResult,
  "auth.logout": empty,
  "me.get": User,
  "me.update": User,
  "me.removeAvatar": User,
  "me.changePassword": empty,
  "sessions.list": object({ sessions: arrayOf(DeviceSession) }),
  "sessions.revoke": object({ sessions: arrayOf(DeviceSession) }),
  "users.get": User,
  "users.getMany": object({ users: arrayOf(User) }),
  "users.search": object({ users: arrayOf(User), next: nullable(str) }),
  "contacts.list": object({ contacts: arrayOf(User) }),
  "contacts.add": object({ contacts: arrayOf(User) }),
  "contacts.remove": object({ contacts: arrayOf(User) }),
  "blocks.list": object({ blocked: arrayOf(User) }),
  "blocks.add": object({ blocked: arrayOf(User) }),
  "blocks.remove": object({ blocked: arrayOf(User) }),
  "reports.create": Report,
  "conversations.list": object({ conversations: arrayOf(ConversationSummary), next: nullable(str) }),
  "conversations.get": ConversationSummary,
  "conversations.openDirect": Conversation,
  "conversations.createGroup": Conversation,
  "conversations.rename": object({ message: Message }),
  "conversations.leave": object({ message: Message }),
  "channels.create": Conversation,
  "channels.directory": object({ channels: arrayOf(ChannelListing), next: nullable(str) }),
  "channels.join": Conversation,
  "channels.members": object({
    members: arrayOf(object({ user: User, role: literal("admin", "member"), joinedSeq: int })),
    next: nullable(str),
  }),
  "channels.addMembers": object({ message: Message }),
  "channels.removeMembers": object({ message: Message }),
  "channels.setNotifications": object({ conversationId: id, level: literal("all", "mentions") }),
  "channels.readCount": object({ conversationId: id, seq: int, count: int }),
  "channels.createInvite": ChannelInvite,
  "channels.invites": object({ invites: arrayOf(ChannelInvite) }),
  "channels.revokeInvite": ChannelInvite,
  "channels.joinByInvite": Conversation,
  "members.add": object({ message: Message }),
  "members.remove": object({ message: Message }),
  "members.setRole": object({ message: Message }),
  "members.ban": object({ ban: GroupBan, message: nullable(Message) }),
  "members.unban": object({ bans: arrayOf(GroupBan) }),
  "members.bans": object({ bans: arrayOf(GroupBan) }),
  "conversations.setDisappearing": object({ message: Message }),
  "conversations.setRetention": object({ message: Message }),
  "messages.send": MessageAck,
  "messages.history": object({ messages: arrayOf(Message), hasMore: bool, expiredThrough: optional(int) }),
  sync: SyncResult,
  "receipts.mark": ReceiptState,
  typing: empty,
  "presence.query": object({ presence: arrayOf(Presence) }),
  "presence.subscribe": object({ presence: arrayOf(Presence) }),
  "presence.unsubscribe": empty,
  "messages.edit": ActionResult,
  "messages.delete": ActionResult,
  "messages.react": ActionResult,
  "messages.pin": ActionResult,
  "messages.unpin": ActionResult,
  "messages.pins": object({ pins: arrayOf(PinnedMessage) }),
  "messages.forward": MessageAck,
  "push.config": object({ enabled: bool, vapidPublicKey: nullable(str) }),
  "push.subscribe": object({ endpoint: str }),
  "push.unsubscribe": empty,
  "conversations.mute": ConversationMute,
  "settings.get": NotificationSettings,
  "settings.update": NotificationSettings,
  "files.sign": object({ files: arrayOf(SignedFile) }),
  "links.preview": LinkPreview,
  "uploads.presign": PresignedUpload,
  "uploads.complete": Attachment,
  "messages.search": SearchResult,
  "e2ee.devices.register": object({ device: MlsDevice }),
  "e2ee.devices.list": object({ devices: arrayOf(MlsDevice) }),
  "e2ee.keyPackages.upload": KeyPackageCount,
  "e2ee.keyPackages.count": KeyPackageCount,
  "e2ee.keyPackages.claim": object({ keyPackages: arrayOf(ClaimedKeyPackage) }),
  "e2ee.commit": object({ message: Message }),
  "e2ee.groupInfo": object({ epoch: int, groupInfo: nullable(str) }),
  "e2ee.welcomes.list": object({ welcomes: arrayOf(MlsWelcome) }),
  "e2ee.welcomes.ack": object({ deleted: int }),
  "admin.users.list": object({ users: arrayOf(AdminUser), next: nullable(str) }),
  "admin.users.create": object({ user: AdminUser, reset: nullable(PasswordResetLink) }),
  "admin.users.deactivate": AdminUser,
  "admin.users.reactivate": AdminUser,
  "admin.users.resetLink": PasswordResetLink,
  "admin.settings.get": ServerSettings,
  "admin.settings.update": ServerSettings,
  "admin.invites.create": Invite,
  "admin.invites.list": object({ invites: arrayOf(Invite), next: nullable(str) }),
  "admin.invites.revoke": Invite,
  "admin.audit.list": object({ entries: arrayOf(AuditEntry), next: nullable(int) }),
  "admin.reports.list": object({ reports: arrayOf(AdminReport), next: nullable(id) }),
  "admin.reports.resolve": AdminReport,
  "admin.messages.remove": object({ message: Message }),
};

/** §3.1 ErrorBody, with `retryable` equal to the registry's value for a known code. */
export const ErrorBody: Check = (v, p) => {
  object({ code: str, message: str, retryable: bool, retryAfterMs: optional(int), details: optional(object({})) })(v, p);
  const body = v as { code: string; retryable: boolean };
  const spec = (ERRORS as Record<string, { retryable: boolean }>)[body.code];
  if (spec && spec.retryable !== body.retryable)
    fail(`${p}.retryable`, `${spec.retryable} (the registry value for ${body.code})`, body.retryable);
};

/** The HTTP status §14.1 assigns to an error code. */
export const statusOf = (code: ErrorCode): number => ERRORS[code].status;

/** §14.3: the name a close code is sent with. */
export const closeName = (code: number): string | undefined =>
  Object.entries(CLOSE_CODES).find(([, spec]) => spec.code === code)?.[0];
