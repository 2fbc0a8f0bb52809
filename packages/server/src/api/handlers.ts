// Maps every protocol operation to the service call that performs it, typed by operation; pipeline.ts calls them.

import type { AdminOp, OpArgs, OpName, OpResult, PublicOp } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import type { TransportLabel } from "../observability/metrics.js";
import type { SpanContext } from "../observability/tracing.js";
import type { Services } from "../services/index.js";
import type { Origin } from "../services/log/entry-drafts.js";

/** The transport a request came on, as the metrics label it: a live session's (`ws`, `longpoll`) or `http`. */
export type RequestTransport = TransportLabel;

/** What every handler knows about its request. */
export interface PublicContext {
  transport: RequestTransport;
  /** When the request arrived (`preciseNow()`), for latency metrics. */
  receivedAt: number;
  /** The request's span, when it is traced (observability/tracing.ts). */
  trace?: SpanContext;
}

/** A request of an authenticated user. */
export interface UserContext extends PublicContext {
  userId: string;
  sessionId: string;
  /** The live session the request came on (absent over HTTP). */
  connection?: ConnectionHooks;
}

/** What connection-scoped operations need from the transport. */
export interface ConnectionHooks {
  id: string;
  watchPresence(userIds: readonly string[]): void;
  unwatchPresence(userIds: readonly string[]): void;
}

/** Operations that run as requests: `hello` is the live session's handshake (transport/dispatch.ts), not one. */
export type RequestOp = Exclude<OpName, "hello">;
export type PublicRequestOp = Exclude<PublicOp, "hello">;
/** Operations of administrators: the pipeline checks the role before their handler runs. */
export type AdminRequestOp = AdminOp;
export type UserOp = Exclude<RequestOp, PublicOp | AdminOp>;

type Handler<K extends OpName, C> = (ctx: C, args: OpArgs<K>) => Promise<OpResult<K>>;
export type PublicHandlers = { [K in PublicRequestOp]: Handler<K, PublicContext> };
export type UserHandlers = { [K in UserOp]: Handler<K, UserContext> };
export type AdminHandlers = { [K in AdminRequestOp]: Handler<K, UserContext> };

export function publicHandlers(s: Services): PublicHandlers {
  return {
    "auth.register": (_ctx, a) => s.auth.register(a),
    "auth.login": (_ctx, a) => s.auth.login(a),
    "auth.sso": async () => s.sso.info(),
    "auth.ssoExchange": (_ctx, a) => s.sso.exchange(a),
    "auth.refresh": (_ctx, a) => s.auth.refresh(a.refreshToken),
    "auth.resetPassword": (_ctx, a) => s.auth.resetPassword(a),
  };
}

export function userHandlers(s: Services): UserHandlers {
  return {
    ping: async () => ({ serverTime: Date.now() }),
    "auth.logout": async (ctx) => {
      await s.auth.logout(ctx.sessionId);
      await s.push.sessionEnded(ctx.sessionId);
      return {};
    },
    "me.get": (ctx) => s.accounts.me(ctx.userId),
    "me.update": (ctx, a) => s.accounts.updateProfile(ctx.userId, a.displayName),
    "me.removeAvatar": (ctx) => s.accounts.setAvatar(ctx.userId, null),
    "me.changePassword": async (ctx, a) => {
      await s.auth.changePassword(ctx.userId, ctx.sessionId, a.oldPassword, a.newPassword);
      return {};
    },
    "sessions.list": async (ctx) => ({ sessions: await s.auth.sessions(ctx.userId, ctx.sessionId) }),
    "sessions.revoke": async (ctx, a) => ({
      sessions: await s.auth.revokeOwnSession(ctx.userId, ctx.sessionId, a.sessionId),
    }),
    "users.get": (_ctx, a) => s.accounts.byUsername(a.username),
    "users.getMany": async (_ctx, a) => ({ users: await s.accounts.byIds(a.userIds) }),
    "users.search": (ctx, a) => s.accounts.search(ctx.userId, a),
    "contacts.list": async (ctx) => ({ contacts: await s.accounts.contacts(ctx.userId) }),
    "contacts.add": async (ctx, a) => ({ contacts: await s.accounts.addContact(ctx.userId, a.userId) }),
    "contacts.remove": async (ctx, a) => ({ contacts: await s.accounts.removeContact(ctx.userId, a.userId) }),
    "blocks.list": async (ctx) => ({ blocked: await s.accounts.blocked(ctx.userId) }),
    "blocks.add": async (ctx, a) => ({ blocked: await s.accounts.block(ctx.userId, a.userId) }),
    "blocks.remove": async (ctx, a) => ({ blocked: await s.accounts.unblock(ctx.userId, a.userId) }),
    "reports.create": (ctx, a) => s.moderation.report(ctx.userId, a),
    "conversations.list": (ctx, a) => s.conversations.list(ctx.userId, a),
    "conversations.get": (ctx, a) => s.conversations.get(ctx.userId, a.conversationId),
    "conversations.openDirect": (ctx, a) => s.conversations.openDirect(ctx.userId, a.userId, a.encrypted === true),
    "conversations.createGroup": (ctx, a) => s.conversations.createGroup(ctx.userId, a.title, a.memberIds, a.encrypted === true),
    "conversations.rename": async (ctx, a) => ({ message: await s.conversations.rename(ctx.userId, a.conversationId, a.title) }),
    "conversations.setDisappearing": async (ctx, a) => ({
      message: await s.conversations.setDisappearing(ctx.userId, a.conversationId, a.seconds),
    }),
    "conversations.setRetention": async (ctx, a) => ({
      message: await s.conversations.setRetention(ctx.userId, a.conversationId, a.seconds),
    }),
    "conversations.leave": async (ctx, a) => ({ message: await s.conversations.leave(ctx.userId, a.conversationId) }),
    "channels.create": (ctx, a) => s.channels.create(ctx.userId, a),
    "channels.directory": (_ctx, a) => s.channels.directory(a),
    "channels.join": (ctx, a) => s.channels.join(ctx.userId, a.conversationId),
    "channels.members": (ctx, a) => s.channels.members(ctx.userId, a),
    "channels.addMembers": async (ctx, a) => ({ message: await s.channels.addMembers(ctx.userId, a.conversationId, a.userIds) }),
    "channels.removeMembers": async (ctx, a) => ({
      message: await s.channels.removeMembers(ctx.userId, a.conversationId, a.userIds),
    }),
    "channels.setNotifications": (ctx, a) => s.channels.setNotifications(ctx.userId, a.conversationId, a.level),
    "channels.createInvite": (ctx, a) => {
      const { conversationId, ...terms } = a;
      return s.channels.createInvite(ctx.userId, conversationId, terms);
    },
    "channels.invites": (ctx, a) => s.channels.invites(ctx.userId, a.conversationId),
    "channels.revokeInvite": (ctx, a) => s.channels.revokeInvite(ctx.userId, a.conversationId, a.inviteId),
    "channels.joinByInvite": (ctx, a) => s.channels.joinByInvite(ctx.userId, a.token),
    "channels.readCount": (ctx, a) => s.channels.readCount(ctx.userId, a.conversationId, a.seq),
    "members.add": async (ctx, a) => ({ message: await s.conversations.addMembers(ctx.userId, a.conversationId, a.userIds) }),
    "members.remove": async (ctx, a) => ({ message: await s.conversations.removeMember(ctx.userId, a.conversationId, a.userId) }),
    "members.ban": (ctx, a) => s.conversations.ban(ctx.userId, a.conversationId, a.userId, a.reason),
    "members.unban": async (ctx, a) => ({ bans: await s.conversations.unban(ctx.userId, a.conversationId, a.userId) }),
    "members.bans": async (ctx, a) => ({ bans: await s.conversations.bans(ctx.userId, a.conversationId) }),
    "members.setRole": async (ctx, a) => ({
      message: await s.conversations.setRole(ctx.userId, a.conversationId, a.userId, a.role),
    }),
    "messages.send": async (ctx, a) => {
      const mls = a.mls === undefined ? undefined : await s.e2ee.applicationMessage(ctx.userId, ctx.sessionId, a.mls);
      const ack = await s.messages.send(ctx.userId, { ...a, mls }, originOf(ctx));
      s.failures.detach("typing.stop", s.typing.messageSent(ctx.userId, a.conversationId));
      return ack;
    },
    "messages.forward": (ctx, a) => s.messages.forward(ctx.userId, a, originOf(ctx)),
    "messages.history": (ctx, a) => s.messages.history(ctx.userId, a),
    sync: (ctx, a) => s.messages.sync(ctx.userId, a),
    "receipts.mark": async (ctx, a) => {
      const state = await s.receipts.mark(ctx.userId, a);
      if (ctx.connection) s.stages.acknowledged(ctx.connection.id, a.conversationId, a, ctx.receivedAt);
      return state;
    },
    typing: async (ctx, a) => {
      await s.typing.set(ctx.userId, a.conversationId, a.typing, requireConnection(ctx).id);
      return {};
    },
    "presence.query": async (ctx, a) => ({ presence: await s.presence.query(ctx.userId, a.userIds) }),
    "presence.subscribe": async (ctx, a) => {
      const connection = requireConnection(ctx);
      const visible = await s.presence.visible(ctx.userId, a.userIds);
      connection.watchPresence(visible);
      return { presence: await s.presence.query(ctx.userId, visible) };
    },
    "presence.unsubscribe": async (ctx, a) => {
      requireConnection(ctx).unwatchPresence(a.userIds);
      return {};
    },
    "messages.edit": (ctx, a) => s.messages.edit(ctx.userId, a, ctx.connection?.id),
    "messages.delete": (ctx, a) =>
      a.scope === "me"
        ? s.messages.deleteForMe(ctx.userId, a, ctx.connection?.id)
        : s.messages.deleteForEveryone(ctx.userId, a, ctx.connection?.id),
    "messages.react": (ctx, a) => s.messages.react(ctx.userId, a, ctx.connection?.id),
    "messages.pin": (ctx, a) => s.messages.pin(ctx.userId, a, ctx.connection?.id),
    "messages.unpin": (ctx, a) => s.messages.unpin(ctx.userId, a, ctx.connection?.id),
    "messages.pins": (ctx, a) => s.messages.pins(ctx.userId, a),
    "push.config": async () => s.push.pushConfig(),
    "push.subscribe": (ctx, a) => s.push.subscribe(ctx.userId, ctx.sessionId, a),
    "push.unsubscribe": async (ctx, a) => {
      await s.push.unsubscribe(ctx.userId, a.endpoint);
      return {};
    },
    "conversations.mute": (ctx, a) => s.push.mute(ctx.userId, a.conversationId, a.until),
    "settings.get": (ctx) => s.settings.get(ctx.userId),
    "settings.update": (ctx, a) => s.settings.update(ctx.userId, a),
    "links.preview": (_ctx, a) => s.linkPreviews.preview(a.url),
    "files.sign": async (ctx, a) => ({ files: await s.media.sign(ctx.userId, a.uploadIds) }),
    "uploads.presign": (ctx, a) => s.media.presignUpload(ctx.userId, a),
    "uploads.complete": (ctx, a) => s.media.completeUpload(ctx.userId, a.uploadToken),
    "messages.search": (ctx, a) => s.search.search(ctx.userId, a),
    "e2ee.devices.register": (ctx, a) => s.e2ee.register(ctx.userId, ctx.sessionId, a.signatureKey),
    "e2ee.devices.list": (ctx, a) => s.e2ee.list(ctx.userId, a.userId),
    "e2ee.keyPackages.upload": (ctx, a) => s.e2ee.upload(ctx.userId, ctx.sessionId, a),
    "e2ee.keyPackages.count": (ctx) => s.e2ee.count(ctx.userId, ctx.sessionId),
    "e2ee.keyPackages.claim": (ctx, a) => s.e2ee.claim(ctx.userId, a.userIds),
    "e2ee.commit": (ctx, a) => s.e2ee.commit(ctx.userId, ctx.sessionId, a, originOf(ctx)),
    "e2ee.groupInfo": (ctx, a) => s.e2ee.groupInfo(ctx.userId, a.conversationId),
    "e2ee.welcomes.list": (ctx) => s.e2ee.welcomes(ctx.userId, ctx.sessionId),
    "e2ee.welcomes.ack": (ctx, a) => s.e2ee.ackWelcomes(ctx.userId, ctx.sessionId, a.ids),
  };
}

export function adminHandlers(s: Services): AdminHandlers {
  return {
    "admin.users.list": (_ctx, a) => s.admin.listUsers(a),
    "admin.users.create": (ctx, a) => s.admin.createUser(ctx.userId, a),
    "admin.users.deactivate": (ctx, a) => s.admin.deactivate(ctx.userId, a.userId),
    "admin.users.reactivate": (ctx, a) => s.admin.reactivate(ctx.userId, a.userId),
    "admin.users.resetLink": (ctx, a) => s.admin.resetLink(ctx.userId, a.userId),
    "admin.settings.get": () => s.admin.settings(),
    "admin.settings.update": (ctx, a) => s.admin.updateSettings(ctx.userId, a),
    "admin.invites.create": (ctx, a) => s.admin.createInvite(ctx.userId, a),
    "admin.invites.list": (_ctx, a) => s.admin.listInvites(a),
    "admin.invites.revoke": (ctx, a) => s.admin.revokeInvite(ctx.userId, a.inviteId),
    "admin.audit.list": (_ctx, a) => s.admin.audit(a),
    "admin.reports.list": (_ctx, a) => s.moderation.list(a),
    "admin.reports.resolve": (ctx, a) => s.moderation.dismiss(ctx.userId, a.reportId),
    "admin.messages.remove": (ctx, a) => s.moderation.remove(ctx.userId, a),
  };
}

function requireConnection(ctx: UserContext): ConnectionHooks {
  if (!ctx.connection)
    throw new AppError("unknown_op", "This operation is only available on a live connection (WebSocket or long polling)");
  return ctx.connection;
}

/** Where a request's entries came from, for the conversation log: its connection, arrival and span. */
function originOf(ctx: UserContext): Origin {
  const origin: Origin = { receivedAt: ctx.receivedAt };
  if (ctx.connection) origin.connectionId = ctx.connection.id;
  if (ctx.trace) origin.trace = ctx.trace;
  return origin;
}
