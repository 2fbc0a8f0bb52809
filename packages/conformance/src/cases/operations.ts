// Success cases: every operation of §6.1 over each transport it lists, answered with its documented result shape.

import { createECDH, randomBytes } from "node:crypto";
import type { OpName } from "@parley/protocol";
import { type Case, perTransport } from "../case.js";
import type { Actor, Ctx, OpTransport } from "../context.js";
import { asOutcome, check, expectError, expectOk, Skip } from "../expect.js";
import { startPageServer } from "../pages.js";
import { httpJson, httpRaw, type Json, WsConn } from "../wire.js";

/** The success cases of `op`, one per transport it lists: `run` sets up, calls and checks the result. */
function success(op: OpName, title: string, run: (ctx: Ctx, t: OpTransport) => Promise<unknown>): Case[] {
  return perTransport(op, `${op}: ${title}`, { ops: [op] }, async (ctx, t) => {
    await run(ctx, t);
  });
}

/** Calls `op` as `as` and checks the result's documented shape. */
async function ok(ctx: Ctx, as: Actor | undefined, op: OpName, args: Record<string, unknown>, t: OpTransport): Promise<Json> {
  return expectOk(await ctx.call(as, op, args, t));
}

/**
 * The invitation cases leave their channels at the end: the suite runs under a low cap of conversations per user
 * (for the `conversation_limit` case), which every case's new conversations count towards.
 */
async function leaveAll(ctx: Ctx, conversationId: string, who: readonly Actor[]): Promise<void> {
  for (const actor of who) await ok(ctx, actor, "conversations.leave", { conversationId }, "ws");
}

/** Uploads a small text file as `as` (§17.2) and returns its Attachment. */
export async function upload(ctx: Ctx, as: Actor, bytes = "conformance\n", name = "note.txt"): Promise<Json> {
  const answer = await httpRaw(ctx.base, "POST", `/v1/uploads?name=${encodeURIComponent(name)}`, {
    headers: { authorization: `Bearer ${await as.token()}`, "content-type": "text/plain" },
    body: bytes,
  });
  check(answer.status === 201, `POST /v1/uploads: expected 201, got ${answer.status} ${answer.text}`);
  return answer.body;
}

/** A P-256 public key and auth secret as a browser's PushSubscription carries them. */
export function pushKeys(): { p256dh: string; auth: string } {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return { p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16).toString("base64url") };
}

export async function pushEnabled(ctx: Ctx): Promise<boolean> {
  return expectOk(await ctx.call(ctx.alice, "push.config", {}, "ws")).enabled;
}

export const operationCases: Case[] = [
  ...success("hello", "the welcome", async (ctx) => {
    const conn = await WsConn.open(ctx.wsUrl);
    try {
      const frame = await conn.request("hello", { versions: [1], token: await ctx.alice.token() });
      check(frame.type === "result", `hello: expected a result, got ${JSON.stringify(frame)}`);
      expectOk({ op: "hello", transport: "ws", result: frame.result });
      check(frame.result.version === 1, "welcome.version is not 1");
      check(frame.result.user.id === ctx.alice.id, "welcome.user is not the token's user");
    } finally {
      conn.close();
    }
  }),
  ...success("ping", "server time", (ctx, t) => ok(ctx, ctx.alice, "ping", {}, t)),
  ...success("auth.register", "201 and an AuthResult", async (ctx, t) => {
    const username = ctx.unique("cfr").slice(0, 32);
    const result = await ok(ctx, undefined, "auth.register", { username, password: "conformance-pass", displayName: "R" }, t);
    check(result.user.username === username, "the registered user has another username");
  }),
  ...success("auth.login", "a new device session", async (ctx, _t) => {
    const answer = await ctx.login(ctx.bob);
    const result = expectOk(asOutcome("auth.login", answer));
    check(result.sessionId !== ctx.bob.auth.sessionId, "login returned an existing session");
  }),
  ...success("auth.refresh", "rotates the refresh token", async (ctx, t) => {
    const session = (await ctx.login(ctx.bob)).body;
    const result = await ok(ctx, undefined, "auth.refresh", { refreshToken: session.refreshToken }, t);
    check(result.sessionId === session.sessionId, "refresh changed the session id");
    check(result.refreshToken !== session.refreshToken, "refresh did not rotate the refresh token");
  }),
  ...success("auth.sso", "whether single sign-on is offered", async (ctx, t) => {
    const info = await ok(ctx, undefined, "auth.sso", {}, t);
    if (info.enabled) check(info.startPath === "/v1/auth/sso/start" && typeof info.name === "string", "no start path or name");
    else check(info.ssoOnly === false, "SSO-only without single sign-on");
  }),
  ...success("auth.logout", "revokes the session", async (ctx, _t) => {
    const session = (await ctx.login(ctx.bob)).body;
    const answer = await httpJson(ctx.base, "POST", "/v1/auth/logout", {}, session.accessToken);
    expectOk(asOutcome("auth.logout", answer));
    const after = await httpJson(ctx.base, "GET", "/v1/me", undefined, session.accessToken);
    check(after.status === 401, `a logged-out session's token still works (HTTP ${after.status})`);
  }),
  ...success("me.get", "the caller", async (ctx, t) => {
    check((await ok(ctx, ctx.alice, "me.get", {}, t)).id === ctx.alice.id, "me.get is not the caller");
  }),
  ...success("me.update", "display name", async (ctx, t) => {
    check((await ok(ctx, ctx.carol, "me.update", { displayName: " Carol " }, t)).displayName === "Carol", "not trimmed");
  }),
  ...success("users.get", "by username", async (ctx, t) => {
    check((await ok(ctx, ctx.alice, "users.get", { username: ctx.bob.username }, t)).id === ctx.bob.id, "another user");
  }),
  ...success("users.getMany", "known ids only", async (ctx, t) => {
    const result = await ok(ctx, ctx.alice, "users.getMany", { userIds: [ctx.bob.id, "nobody_here"] }, t);
    check(result.users.length === 1 && result.users[0].id === ctx.bob.id, "unknown ids not left out");
  }),
  ...success("users.search", "a substring of the username, never the caller", async (ctx, t) => {
    const result = await ok(ctx, ctx.alice, "users.search", { query: ctx.bob.username }, t);
    check(
      result.users.some((u: Json) => u.id === ctx.bob.id),
      "the user is not found by their username",
    );
    const self = await ok(ctx, ctx.alice, "users.search", { query: ctx.alice.username }, t);
    check(!self.users.some((u: Json) => u.id === ctx.alice.id), "the caller finds themself");
  }),
  ...success("me.removeAvatar", "idempotent, no picture left", async (ctx, t) => {
    check((await ok(ctx, ctx.carol, "me.removeAvatar", {}, t)).avatarId === undefined, "a picture is left");
  }),
  ...success("contacts.list", "a list", (ctx, t) => ok(ctx, ctx.bob, "contacts.list", {}, t)),
  ...success("contacts.add", "the full list", async (ctx, t) => {
    const result = await ok(ctx, ctx.bob, "contacts.add", { userId: ctx.alice.id }, t);
    check(
      result.contacts.some((u: Json) => u.id === ctx.alice.id),
      "the added contact is missing",
    );
  }),
  ...success("contacts.remove", "idempotent", (ctx, t) => ok(ctx, ctx.bob, "contacts.remove", { userId: ctx.carol.id }, t)),
  ...success("blocks.list", "a list", (ctx, t) => ok(ctx, ctx.carol, "blocks.list", {}, t)),
  ...success("blocks.add", "the full list", async (ctx, t) => {
    const [owner, other] = await Promise.all([ctx.register("bo"), ctx.register("bt")]);
    const result = await ok(ctx, owner, "blocks.add", { userId: other.id }, t);
    check(
      result.blocked.some((u: Json) => u.id === other.id),
      "the blocked user is missing",
    );
  }),
  ...success("blocks.remove", "the full list", async (ctx, t) => {
    const [owner, other] = await Promise.all([ctx.register("bo"), ctx.register("bt")]);
    await ok(ctx, owner, "blocks.add", { userId: other.id }, t);
    check((await ok(ctx, owner, "blocks.remove", { userId: other.id }, t)).blocked.length === 0, "still blocked");
  }),
  ...success("conversations.list", "summaries", async (ctx, t) => {
    const result = await ok(ctx, ctx.alice, "conversations.list", {}, t);
    check(
      result.conversations.some((c: Json) => c.id === ctx.direct.id),
      "the direct conversation is missing",
    );
  }),
  ...success("conversations.get", "a summary", async (ctx, t) => {
    const result = await ok(ctx, ctx.alice, "conversations.get", { conversationId: ctx.direct.id }, t);
    check(result.membership === "member" && result.kind === "direct", "wrong membership or kind");
  }),
  ...success("conversations.openDirect", "one per pair", async (ctx, t) => {
    const result = await ok(ctx, ctx.bob, "conversations.openDirect", { userId: ctx.alice.id }, t);
    check(result.id === ctx.direct.id, "opening the pair's direct conversation again gave another one");
  }),
  ...success("conversations.createGroup", "seq 1 is conversation.created", async (ctx, t) => {
    const result = await ok(ctx, ctx.alice, "conversations.createGroup", { title: "Team", memberIds: [ctx.bob.id] }, t);
    check(result.kind === "group" && result.lastSeq === 1 && result.members.length === 2, "not a two-member group at seq 1");
  }),
  ...success("conversations.rename", "a conversation.renamed entry", async (ctx, t) => {
    const group = await ctx.group([]);
    const result = await ok(ctx, ctx.alice, "conversations.rename", { conversationId: group.id, title: "Renamed" }, t);
    check(result.message.event?.type === "conversation.renamed", "not a conversation.renamed entry");
  }),
  ...success("conversations.leave", "a member.left entry", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    const result = await ok(ctx, ctx.bob, "conversations.leave", { conversationId: group.id }, t);
    check(result.message.event?.type === "member.left", "not a member.left entry");
  }),
  ...success("members.add", "a member.added entry", async (ctx, t) => {
    const group = await ctx.group([]);
    const result = await ok(ctx, ctx.alice, "members.add", { conversationId: group.id, userIds: [ctx.bob.id] }, t);
    check(result.message.event?.type === "member.added", "not a member.added entry");
  }),
  ...success("members.remove", "a member.removed entry", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    const result = await ok(ctx, ctx.alice, "members.remove", { conversationId: group.id, userId: ctx.bob.id }, t);
    check(result.message.event?.type === "member.removed", "not a member.removed entry");
  }),
  ...success("members.ban", "removes a member with a member.removed entry and records the ban", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    const args = { conversationId: group.id, userId: ctx.bob.id, reason: "spam" };
    const result = await ok(ctx, ctx.alice, "members.ban", args, t);
    check(result.message?.event?.type === "member.removed", "not a member.removed entry");
    check(result.ban.userId === ctx.bob.id && result.ban.bannedBy === ctx.alice.id && result.ban.reason === "spam", "wrong ban");
    // A non-member can be banned too: no entry then.
    const again = await ok(ctx, ctx.alice, "members.ban", { conversationId: group.id, userId: ctx.carol.id }, t);
    check(again.message === null && again.ban.reason === null, "banning a non-member appended an entry");
  }),
  ...success("members.bans", "the group's bans, oldest first", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    expectOk(await ctx.call(ctx.alice, "members.ban", { conversationId: group.id, userId: ctx.bob.id }, "ws"));
    const result = await ok(ctx, ctx.alice, "members.bans", { conversationId: group.id }, t);
    check(result.bans.length === 1 && result.bans[0].userId === ctx.bob.id, "the ban is not listed");
  }),
  ...success("members.unban", "lifts the ban: the user can be added again", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    expectOk(await ctx.call(ctx.alice, "members.ban", { conversationId: group.id, userId: ctx.bob.id }, "ws"));
    const result = await ok(ctx, ctx.alice, "members.unban", { conversationId: group.id, userId: ctx.bob.id }, t);
    check(result.bans.length === 0, "the ban is still listed");
    expectOk(await ctx.call(ctx.alice, "members.add", { conversationId: group.id, userIds: [ctx.bob.id] }, "ws"));
  }),
  ...success(
    "conversations.setDisappearing",
    "a conversation.disappearing entry; the timer on the conversation",
    async (ctx, t) => {
      const group = await ctx.group([ctx.bob]);
      const args = { conversationId: group.id, seconds: 86_400 };
      const result = await ok(ctx, ctx.bob, "conversations.setDisappearing", args, t);
      check(
        result.message.event?.type === "conversation.disappearing" && result.message.event.seconds === 86_400,
        "not a conversation.disappearing entry with the timer",
      );
      const seen = await ok(ctx, ctx.alice, "conversations.get", { conversationId: group.id }, t);
      check(seen.disappearAfter === 86_400 && typeof seen.maxAge === "number" && seen.maxAge <= 86_400, "the timer is not shown");
    },
  ),
  ...success(
    "conversations.setRetention",
    "a conversation.retention entry; the retention on the conversation",
    async (ctx, t) => {
      const result = await ok(ctx, ctx.alice, "conversations.setRetention", { conversationId: ctx.direct.id, seconds: null }, t);
      check(
        result.message.event?.type === "conversation.retention" && result.message.event.seconds === null,
        "not a conversation.retention entry",
      );
      const seen = await ok(ctx, ctx.bob, "conversations.get", { conversationId: ctx.direct.id }, t);
      check(seen.retention === undefined, "a retention removed is still shown");
    },
  ),
  ...success("channels.create", "a channel: kind, settings, the creator as its admin and memberCount 1", async (ctx, t) => {
    const c = await ok(
      ctx,
      ctx.alice,
      "channels.create",
      { title: ctx.unique("ch"), visibility: "private", posting: "admins" },
      t,
    );
    check(c.kind === "channel" && c.memberCount === 1, "not a one-member channel");
    check(
      c.channel?.visibility === "private" && c.channel.posting === "admins" && c.channel.history === "full",
      "wrong settings",
    );
    check(c.members.length === 1 && c.members[0].role === "admin", "the creator is not the one admin listed");
  }),
  ...success("channels.directory", "public channels by title prefix, with member counts", async (ctx, t) => {
    const title = ctx.unique("Dir");
    const c = await ok(ctx, ctx.alice, "channels.create", { title, visibility: "public" }, t);
    const page = await ok(ctx, ctx.bob, "channels.directory", { query: title.toLowerCase(), limit: 10 }, t);
    check(
      page.channels.some((l: Json) => l.id === c.id && l.memberCount === 1),
      "the public channel is not listed",
    );
  }),
  ...success("channels.join", "joins a public channel: memberCount grows", async (ctx, t) => {
    const c = await ok(ctx, ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "public" }, "ws");
    const joined = await ok(ctx, ctx.bob, "channels.join", { conversationId: c.id }, t);
    check(joined.memberCount === 2 && joined.members.length === 1 && joined.members[0].userId === ctx.bob.id, "not joined");
  }),
  ...success("channels.members", "a page of members with their accounts", async (ctx, t) => {
    const c = await ok(ctx, ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "private" }, "ws");
    await ok(ctx, ctx.alice, "channels.addMembers", { conversationId: c.id, userIds: [ctx.bob.id] }, "ws");
    const page = await ok(ctx, ctx.alice, "channels.members", { conversationId: c.id, limit: 1 }, t);
    check(page.members.length === 1 && page.members[0].role === "admin" && typeof page.next === "string", "not a first page");
    const rest = await ok(ctx, ctx.alice, "channels.members", { conversationId: c.id, cursor: page.next, limit: 1 }, t);
    check(rest.members[0]?.user.id === ctx.bob.id, "the second page does not hold the member");
  }),
  ...success("channels.addMembers", "one member.added entry for the users added", async (ctx, t) => {
    const c = await ok(ctx, ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "private" }, "ws");
    const r = await ok(ctx, ctx.alice, "channels.addMembers", { conversationId: c.id, userIds: [ctx.bob.id, ctx.carol.id] }, t);
    check(r.message.event?.type === "member.added" && r.message.event.userIds.length === 2, "not one member.added entry");
  }),
  ...success("channels.removeMembers", "one members.removed entry", async (ctx, t) => {
    const c = await ok(ctx, ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "private" }, "ws");
    await ok(ctx, ctx.alice, "channels.addMembers", { conversationId: c.id, userIds: [ctx.bob.id, ctx.carol.id] }, "ws");
    const r = await ok(
      ctx,
      ctx.alice,
      "channels.removeMembers",
      { conversationId: c.id, userIds: [ctx.bob.id, ctx.carol.id] },
      t,
    );
    check(r.message.event?.type === "members.removed" && r.message.event.userIds.length === 2, "not one members.removed entry");
  }),
  ...success("channels.setNotifications", "the level as set", async (ctx, t) => {
    const c = await ok(ctx, ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "private" }, "ws");
    const r = await ok(ctx, ctx.alice, "channels.setNotifications", { conversationId: c.id, level: "all" }, t);
    check(r.conversationId === c.id && r.level === "all", "not the level set");
  }),
  ...success("channels.readCount", "counts the members who read up to a seq", async (ctx, t) => {
    const c = await ok(ctx, ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "private" }, "ws");
    await ok(ctx, ctx.alice, "channels.addMembers", { conversationId: c.id, userIds: [ctx.bob.id] }, "ws");
    const ack = await ctx.send(ctx.alice, c.id);
    await ok(ctx, ctx.bob, "receipts.mark", { conversationId: c.id, read: ack.seq }, "ws");
    const deadline = Date.now() + 5000;
    let count = 0;
    while (Date.now() < deadline) {
      count = (await ok(ctx, ctx.alice, "channels.readCount", { conversationId: c.id, seq: ack.seq }, t)).count;
      if (count >= 1) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    check(count >= 1, "the member's read is not counted");
  }),
  ...success("channels.createInvite", "an invitation link of the channel, its token shown once", async (ctx, t) => {
    const c = await ok(ctx, ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "private" }, "ws");
    const invite = await ok(ctx, ctx.alice, "channels.createInvite", { conversationId: c.id, maxUses: 3 }, t);
    check(invite.conversationId === c.id && typeof invite.token === "string", "no token for the channel");
    check(invite.maxUses === 3 && invite.uses === 0 && invite.revokedAt === null, "not the terms asked for");
    await leaveAll(ctx, c.id, [ctx.alice]);
  }),
  ...success("channels.invites", "the usable links, newest first, without tokens", async (ctx, t) => {
    const c = await ok(ctx, ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "private" }, "ws");
    const first = await ok(ctx, ctx.alice, "channels.createInvite", { conversationId: c.id }, "ws");
    const second = await ok(ctx, ctx.alice, "channels.createInvite", { conversationId: c.id }, "ws");
    await ok(ctx, ctx.alice, "channels.revokeInvite", { conversationId: c.id, inviteId: first.id }, "ws");
    const listed = await ok(ctx, ctx.alice, "channels.invites", { conversationId: c.id }, t);
    check(
      listed.invites.length === 1 && listed.invites[0].id === second.id && listed.invites[0].token === undefined,
      "not only the usable link, or with its token",
    );
    await leaveAll(ctx, c.id, [ctx.alice]);
  }),
  ...success("channels.revokeInvite", "revoked, idempotently", async (ctx, t) => {
    const c = await ok(ctx, ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "private" }, "ws");
    const invite = await ok(ctx, ctx.alice, "channels.createInvite", { conversationId: c.id }, "ws");
    const revoked = await ok(ctx, ctx.alice, "channels.revokeInvite", { conversationId: c.id, inviteId: invite.id }, t);
    const again = await ok(ctx, ctx.alice, "channels.revokeInvite", { conversationId: c.id, inviteId: invite.id }, t);
    check(revoked.revokedAt !== null && again.revokedAt === revoked.revokedAt, "not revoked once");
    await leaveAll(ctx, c.id, [ctx.alice]);
  }),
  ...success("channels.joinByInvite", "joins a private channel by its link; memberCount grows", async (ctx, t) => {
    const c = await ok(ctx, ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "private" }, "ws");
    const invite = await ok(ctx, ctx.alice, "channels.createInvite", { conversationId: c.id }, "ws");
    const joined = await ok(ctx, ctx.bob, "channels.joinByInvite", { token: invite.token }, t);
    check(joined.id === c.id && joined.kind === "channel" && joined.memberCount === 2, "not the channel, joined");
    const again = await ok(ctx, ctx.bob, "channels.joinByInvite", { token: invite.token }, t);
    check(again.memberCount === 2, "joining again changed the members");
    await leaveAll(ctx, c.id, [ctx.bob, ctx.alice]);
  }),
  ...success("members.setRole", "a member.role entry", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    const result = await ok(
      ctx,
      ctx.alice,
      "members.setRole",
      { conversationId: group.id, userId: ctx.bob.id, role: "admin" },
      t,
    );
    check(result.message.event?.type === "member.role", "not a member.role entry");
  }),
  ...success("messages.send", "ack, then the same ack as a duplicate", async (ctx, t) => {
    const clientId = ctx.unique("send");
    const args = { conversationId: ctx.direct.id, clientId, body: "conformance" };
    const first = await ok(ctx, ctx.alice, "messages.send", args, t);
    check(first.duplicate === false && first.clientId === clientId, "first ack is a duplicate or has another clientId");
    const again = await ok(ctx, ctx.alice, "messages.send", { ...args, body: "ignored" }, t);
    check(again.duplicate === true && again.seq === first.seq, "a repeated clientId did not answer the original ack");
  }),
  ...success("messages.send", "a mention of a member, counted in their unread mentions", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    const body = `hi <@${ctx.bob.id}>`;
    await ok(ctx, ctx.alice, "messages.send", { conversationId: group.id, clientId: ctx.unique("send"), body }, t);
    const seen = await ok(ctx, ctx.bob, "conversations.get", { conversationId: group.id }, t);
    check(seen.unread === 1 && seen.mentions === 1, `expected 1 unread mention, got ${seen.mentions} of ${seen.unread}`);
    const sent = await ok(ctx, ctx.alice, "conversations.get", { conversationId: group.id }, t);
    check(sent.mentions === 0, "the sender's own message counted as a mention of someone else");
  }),
  ...success("messages.history", "ascending entries", async (ctx, t) => {
    const result = await ok(ctx, ctx.alice, "messages.history", { conversationId: ctx.direct.id, limit: 2, after: 0 }, t);
    check(result.messages[0]?.seq === 1 && result.messages[0].kind === "system", "seq 1 is not the conversation.created entry");
  }),
  ...success("sync", "from cursor 0", async (ctx, t) => {
    const result = await ok(ctx, ctx.alice, "sync", { cursors: { [ctx.direct.id]: 0 } }, t);
    const conv = result.conversations.find((c: Json) => c.conversationId === ctx.direct.id);
    check(conv?.messages[0]?.seq === 1, "sync from 0 does not start at seq 1");
  }),
  ...success("receipts.mark", "the caller's watermarks", async (ctx, t) => {
    const result = await ok(ctx, ctx.bob, "receipts.mark", { conversationId: ctx.direct.id, delivered: 2, read: 1 }, t);
    check(result.userId === ctx.bob.id && result.deliveredSeq >= 2 && result.readSeq >= 1, "watermarks did not move");
  }),
  ...success("typing", "{}", (ctx, t) => ok(ctx, ctx.alice, "typing", { conversationId: ctx.direct.id, typing: false }, t)),
  ...success("presence.query", "presence entries", (ctx, t) =>
    ok(ctx, ctx.alice, "presence.query", { userIds: [ctx.bob.id] }, t),
  ),
  ...success("presence.subscribe", "presence entries", (ctx, t) =>
    ok(ctx, ctx.alice, "presence.subscribe", { userIds: [ctx.bob.id] }, t),
  ),
  ...success("presence.unsubscribe", "{}", (ctx, t) => ok(ctx, ctx.alice, "presence.unsubscribe", { userIds: [ctx.bob.id] }, t)),
  ...success("messages.edit", "an edit entry and the edited message", async (ctx, t) => {
    const sent = await ctx.send(ctx.alice, ctx.direct.id, "before");
    const args = { conversationId: ctx.direct.id, seq: sent.seq, clientId: ctx.unique("e"), body: "after" };
    const result = await ok(ctx, ctx.alice, "messages.edit", args, t);
    check(result.message.body === "after" && typeof result.message.editedAt === "number", "the message was not edited");
    check(result.ack?.duplicate === false, "the edit's ack is missing or a duplicate");
  }),
  ...success("messages.delete", "a tombstone", async (ctx, t) => {
    const sent = await ctx.send(ctx.alice, ctx.direct.id, "to delete");
    const args = { conversationId: ctx.direct.id, seq: sent.seq, clientId: ctx.unique("d"), scope: "everyone" };
    const result = await ok(ctx, ctx.alice, "messages.delete", args, t);
    check(result.message.body === null && typeof result.message.deletedAt === "number", "not a tombstone");
  }),
  ...success("reports.create", "an open report; a repeat returns it", async (ctx, t) => {
    const sent = await ctx.send(ctx.alice, ctx.direct.id, "report me");
    const args = { conversationId: ctx.direct.id, seq: sent.seq, reason: "spam" };
    const report = await ok(ctx, ctx.bob, "reports.create", args, t);
    check(report.resolution === null && report.reason === "spam", "not an open spam report");
    const again = await ok(ctx, ctx.bob, "reports.create", { ...args, reason: "other" }, t);
    check(again.id === report.id, "a second open report of the same message");
  }),
  ...success("messages.react", "the reaction is listed", async (ctx, t) => {
    const sent = await ctx.send(ctx.alice, ctx.direct.id, "react to me");
    const args = { conversationId: ctx.direct.id, seq: sent.seq, clientId: ctx.unique("r"), emoji: "👍" };
    const result = await ok(ctx, ctx.bob, "messages.react", args, t);
    check(result.message.reactions?.[0]?.emoji === "👍", "the reaction is missing");
  }),
  ...success("messages.pin", "the message is pinned, newest pin first", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    const first = await ctx.send(ctx.alice, group.id, "pin me first");
    const second = await ctx.send(ctx.alice, group.id, "pin me next");
    for (const sent of [first, second]) {
      const args = { conversationId: group.id, seq: sent.seq, clientId: ctx.unique("p") };
      const result = await ok(ctx, ctx.bob, "messages.pin", args, t);
      check(result.message.seq === sent.seq && result.ack?.seq > sent.seq, "not the pinned message and its entry");
    }
    const { pins } = await ok(ctx, ctx.alice, "messages.pins", { conversationId: group.id }, "ws");
    check(pins.length === 2 && pins[0].seq === second.seq && pins[1].seq === first.seq, "not newest pin first");
    check(pins[0].pinnedBy === ctx.bob.id && pins[0].message.body === "pin me next", "not who pinned what");
  }),
  ...success("messages.unpin", "the pin is gone", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    const sent = await ctx.send(ctx.alice, group.id, "pinned for a while");
    await ok(ctx, ctx.alice, "messages.pin", { conversationId: group.id, seq: sent.seq, clientId: ctx.unique("p") }, "ws");
    const args = { conversationId: group.id, seq: sent.seq, clientId: ctx.unique("u") };
    const result = await ok(ctx, ctx.bob, "messages.unpin", args, t);
    check(result.message.seq === sent.seq, "not the unpinned message");
    const { pins } = await ok(ctx, ctx.alice, "messages.pins", { conversationId: group.id }, "ws");
    check(pins.length === 0, "still pinned");
  }),
  ...success("messages.pins", "none in a new conversation", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    const { pins } = await ok(ctx, ctx.bob, "messages.pins", { conversationId: group.id }, t);
    check(pins.length === 0, "pins in a new conversation");
  }),
  ...success("messages.forward", "a copy marked forwarded, in the other conversation", async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    const sent = await ctx.send(ctx.bob, group.id, "worth forwarding");
    const args = { conversationId: ctx.direct.id, clientId: ctx.unique("f"), from: { conversationId: group.id, seq: sent.seq } };
    const ack = await ok(ctx, ctx.alice, "messages.forward", args, t);
    check(ack.conversationId === ctx.direct.id && ack.duplicate === false, "not a new message of the target");
    const page = await ok(ctx, ctx.bob, "messages.history", { conversationId: ctx.direct.id, after: ack.seq - 1 }, "ws");
    const copy = page.messages.find((m: Json) => m.seq === ack.seq);
    check(copy?.body === "worth forwarding" && copy.forwarded === true && copy.senderId === ctx.alice.id, "not a forwarded copy");
  }),
  ...success("push.config", "enabled and key", (ctx, t) => ok(ctx, ctx.alice, "push.config", {}, t)),
  ...success("push.subscribe", "the endpoint", async (ctx, t) => {
    if (!(await pushEnabled(ctx))) throw new Skip("push is disabled on this server (push_disabled is checked instead)");
    const endpoint = `https://push.example.com/conformance/${ctx.unique("ep")}`;
    const result = await ok(ctx, ctx.carol, "push.subscribe", { endpoint, keys: pushKeys() }, t);
    check(result.endpoint === endpoint, "another endpoint");
    await ok(ctx, ctx.carol, "push.unsubscribe", { endpoint }, t);
  }),
  ...success("push.unsubscribe", "unknown endpoint is no error", (ctx, t) =>
    ok(ctx, ctx.carol, "push.unsubscribe", { endpoint: "https://push.example.com/none" }, t),
  ),
  ...success("conversations.mute", "muted for ever", async (ctx, t) => {
    const result = await ok(ctx, ctx.bob, "conversations.mute", { conversationId: ctx.direct.id, until: "forever" }, t);
    check(result.mutedUntil === "forever", "not muted");
    await ok(ctx, ctx.bob, "conversations.mute", { conversationId: ctx.direct.id, until: null }, t);
  }),
  ...success("settings.get", "settings", (ctx, t) => ok(ctx, ctx.alice, "settings.get", {}, t)),
  ...success("settings.update", "previews", async (ctx, t) => {
    check((await ok(ctx, ctx.carol, "settings.update", { previews: true }, t)).previews === true, "previews not set");
  }),
  ...success("settings.update", "mentions in muted conversations", async (ctx, t) => {
    const set = await ok(ctx, ctx.carol, "settings.update", { mentionsInMuted: true }, t);
    check(set.mentionsInMuted === true, "mentionsInMuted not set");
    await ok(ctx, ctx.carol, "settings.update", { mentionsInMuted: false }, t);
  }),
  ...success("files.sign", "a working download URL", async (ctx, t) => {
    const file = await upload(ctx, ctx.alice);
    const result = await ok(ctx, ctx.alice, "files.sign", { uploadIds: [file.id] }, t);
    const download = await httpRaw(ctx.base, "GET", result.files[0].url, { redirect: "follow" });
    check(download.status === 200 && download.text === "conformance\n", `the signed URL answered ${download.status}`);
  }),
  ...success("files.sign", "an SVG: stored as image/svg+xml, downloaded as an attachment (§17.2)", async (ctx, t) => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"><script>alert(1)</script></svg>';
    const file = await upload(ctx, ctx.alice, svg, "logo.svg");
    check(file.mimeType === "image/svg+xml", `an SVG was stored as ${file.mimeType}`);
    check(file.hasThumbnail === false, "an SVG got a thumbnail");
    const result = await ok(ctx, ctx.alice, "files.sign", { uploadIds: [file.id] }, t);
    const download = await httpRaw(ctx.base, "GET", result.files[0].url, { redirect: "follow" });
    const disposition = download.headers.get("content-disposition") ?? "";
    check(download.status === 200 && download.text === svg, `the signed URL answered ${download.status}`);
    check(disposition.startsWith("attachment"), `an SVG was served with Content-Disposition: ${disposition}`);
  }),
  ...success(
    "links.preview",
    "title, description and site name of a page (or skipped where loopback is refused)",
    async (ctx, t) => {
      const pages = await startPageServer();
      try {
        const url = `${pages.url}/page?${ctx.unique("q")}`;
        const outcome = await ctx.call(ctx.alice, "links.preview", { url }, t);
        if (outcome.error?.code === "link_previews_disabled") {
          expectError(outcome, "link_previews_disabled");
          throw new Skip("link previews are off on this server (link_previews_disabled, as documented)");
        }
        if (outcome.error?.code === "link_preview_unavailable" && outcome.error.details?.reason === "blocked") {
          throw new Skip("the server refuses loopback pages (as production servers must); the preview shape is not checked");
        }
        const preview = expectOk(outcome);
        check(preview.url === url, "the preview names another URL");
        check(preview.title === "Conformance & page", `title ${JSON.stringify(preview.title)}: og:title, entities decoded`);
        check(preview.description === "A page for links.preview" && preview.siteName === "Parley", "description or siteName");
        check(preview.image === null, "a page without an image has image null");
      } finally {
        await pages.close();
      }
    },
  ),
  ...success("uploads.presign", "or not_supported", async (ctx, t) => {
    const outcome = await ctx.call(ctx.alice, "uploads.presign", { name: "a.txt", size: 5 }, t);
    if (outcome.error?.code === "not_supported") {
      expectError(outcome, "not_supported");
      throw new Skip("the server keeps files locally (not_supported, as documented); the presigned shape is not checked");
    }
    expectOk(outcome);
  }),
  ...success("uploads.complete", "after a PUT, or not_supported", async (ctx, t) => {
    const presign = await ctx.call(ctx.alice, "uploads.presign", { name: "a.txt", size: 5 }, t);
    if (presign.error?.code === "not_supported") {
      expectError(await ctx.call(ctx.alice, "uploads.complete", { uploadToken: "x" }, t), "not_supported");
      throw new Skip("the server keeps files locally (not_supported, as documented); the completed shape is not checked");
    }
    const target = expectOk(presign);
    const put = await fetch(target.url, { method: "PUT", headers: target.headers, body: "hello" });
    check(put.ok, `the presigned PUT failed: ${put.status}`);
    const result = await ok(ctx, ctx.alice, "uploads.complete", { uploadToken: target.uploadToken }, t);
    check(result.size === 5, "the completed upload has another size");
  }),
  ...success("messages.search", "finds a sent word", async (ctx, t) => {
    const word = `w${ctx.run}x${t}`;
    const group = await ctx.group([]);
    await ctx.send(ctx.alice, group.id, `the ${word} is here`);
    const result = await ok(ctx, ctx.alice, "messages.search", { query: word, conversationId: group.id }, t);
    check(result.results.length === 1 && result.results[0].message.body.includes(word), "the message was not found");
  }),
];
