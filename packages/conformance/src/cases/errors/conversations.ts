// Error cases of conversations and members: access (never a member answers as a made-up id), conflicts, group
// limits and the consent to be added.

import { OP_NAMES, type OpName, operations, schemas } from "@parley/protocol";
import { type Case, perTransport } from "../../case.js";
import type { Ctx } from "../../context.js";
import { asOutcome, check, expectError, expectOk, Skip } from "../../expect.js";
import { httpJson } from "../../wire.js";

/** A made-up conversation id: well-formed, never issued. */
const MADE_UP = "Cnotaconversation0000000000000";

/**
 * The operations scoped to one conversation (their schema requires `conversationId`), derived from the operation
 * definitions so that a new one is covered by the never-a-member rule without being listed here. Administrators'
 * operations are not: they reach any conversation, and everyone else gets `forbidden` first.
 */
export const CONVERSATION_SCOPED: OpName[] = OP_NAMES.filter(
  (op) => operations[op].auth !== "admin" && ((schemas[op] as { required?: string[] }).required ?? []).includes("conversationId"),
);

/** Valid arguments of a conversation-scoped operation apart from the conversation (the target exists for alice). */
function scopedArgs(ctx: Ctx, op: OpName, conversationId: string): Record<string, unknown> {
  const rest: Partial<Record<OpName, Record<string, unknown>>> = {
    "conversations.rename": { title: "x" },
    "members.add": { userIds: [ctx.bob.id] },
    "members.remove": { userId: ctx.bob.id },
    "members.setRole": { userId: ctx.bob.id, role: "admin" },
    "members.ban": { userId: ctx.bob.id },
    "members.unban": { userId: ctx.bob.id },
    "messages.send": { clientId: ctx.unique("p"), body: "probe" },
    "messages.history": {},
    "receipts.mark": { read: 1 },
    typing: { typing: true },
    "messages.edit": { seq: 2, clientId: ctx.unique("p"), body: "probe" },
    "messages.delete": { seq: 2, clientId: ctx.unique("p"), scope: "me" },
    "messages.react": { seq: 2, clientId: ctx.unique("p"), emoji: "👍" },
    "messages.pin": { seq: 2, clientId: ctx.unique("p") },
    "messages.unpin": { seq: 2, clientId: ctx.unique("p") },
    // The source is the same conversation: whether it or the target is checked first, the answer must not differ.
    "messages.forward": { clientId: ctx.unique("p"), from: { conversationId, seq: 2 } },
    "reports.create": { seq: 2, reason: "spam" },
    "conversations.mute": { until: "forever" },
    "conversations.setDisappearing": { seconds: 3600 },
    "conversations.setRetention": { seconds: 3600 },
    "channels.addMembers": { userIds: [ctx.bob.id] },
    "channels.removeMembers": { userIds: [ctx.bob.id] },
    "channels.readCount": { seq: 1 },
    "channels.setNotifications": { level: "all" },
    "channels.revokeInvite": { inviteId: MADE_UP },
    "e2ee.commit": { epoch: 0, commit: "AAAAAA", groupInfo: "AAAAAA" },
  };
  const own = rest[op];
  if (own) return { conversationId, ...own };
  // A new scoped operation whose other arguments are all optional needs no entry; any other fails here until given.
  const required = ((schemas[op] as { required?: string[] }).required ?? []).filter((k) => k !== "conversationId");
  if (required.length > 0) throw new Error(`the suite has no sample arguments for ${op} (${required.join(", ")}): add them`);
  return { conversationId };
}

const neverMemberCases: Case[] = CONVERSATION_SCOPED.flatMap((op) =>
  perTransport(
    op,
    `not_found: ${op} by a user never in the conversation equals a made-up id`,
    { ops: [op], errors: ["not_found"] },
    async (ctx, t) => {
      const existing = await ctx.call(ctx.carol, op, scopedArgs(ctx, op, ctx.direct.id), t);
      const madeUp = await ctx.call(ctx.carol, op, scopedArgs(ctx, op, MADE_UP), t);
      expectError(madeUp, "not_found");
      expectError(existing, "not_found");
    },
  ),
);

/** A channel of alice's (she is its admin) with these settings, and `members` joined or added. */
async function channel(ctx: Ctx, settings: Record<string, unknown>, members: Ctx["bob"][] = []): Promise<{ id: string }> {
  const created = expectOk(
    await ctx.call(ctx.alice, "channels.create", { title: ctx.unique("ch"), visibility: "private", ...settings }, "ws"),
  );
  if (members.length > 0) {
    expectOk(
      await ctx.call(ctx.alice, "channels.addMembers", { conversationId: created.id, userIds: members.map((m) => m.id) }, "ws"),
    );
  }
  return created;
}

export const channelErrorCases: Case[] = [
  ...perTransport(
    "messages.send",
    "forbidden: a plain member posts where only admins post (details.reason posting); nothing stored",
    { errors: ["forbidden"] },
    async (ctx, t) => {
      const ch = await channel(ctx, { posting: "admins" }, [ctx.bob]);
      const outcome = await ctx.call(
        ctx.bob,
        "messages.send",
        { conversationId: ch.id, clientId: ctx.unique("p"), body: "x" },
        t,
      );
      expectError(outcome, "forbidden");
      check(outcome.error?.details?.reason === "posting", "details.reason is not posting");
      const after = expectOk(await ctx.call(ctx.alice, "conversations.get", { conversationId: ch.id }, t));
      check(after.lastSeq === 2, "the refused message was stored");
    },
  ),
  ...perTransport(
    "typing",
    "not_allowed: typing in a channel (details.reason channel)",
    { errors: ["not_allowed"] },
    async (ctx, t) => {
      const ch = await channel(ctx, {});
      const outcome = await ctx.call(ctx.alice, "typing", { conversationId: ch.id, typing: true }, t);
      expectError(outcome, "not_allowed");
      check(outcome.error?.details?.reason === "channel", "details.reason is not channel");
    },
  ),
  ...perTransport(
    "channels.join",
    "not_found: a private channel cannot be joined (nor told apart from a made-up id)",
    { errors: ["not_found"] },
    async (ctx, t) => {
      const ch = await channel(ctx, {});
      expectError(await ctx.call(ctx.carol, "channels.join", { conversationId: ch.id }, t), "not_found");
    },
  ),
  ...perTransport(
    "channels.addMembers",
    "forbidden: a plain member adds members; nobody is added",
    { errors: ["forbidden"] },
    async (ctx, t) => {
      const ch = await channel(ctx, {}, [ctx.bob]);
      expectError(
        await ctx.call(ctx.bob, "channels.addMembers", { conversationId: ch.id, userIds: [ctx.carol.id] }, t),
        "forbidden",
      );
      const after = expectOk(await ctx.call(ctx.alice, "conversations.get", { conversationId: ch.id }, t));
      check(after.memberCount === 2, "the refused add changed the members");
    },
  ),
  ...perTransport(
    "channels.removeMembers",
    "not_member: none of the users is a member",
    { errors: ["not_member"] },
    async (ctx, t) => {
      const ch = await channel(ctx, {});
      expectError(
        await ctx.call(ctx.alice, "channels.removeMembers", { conversationId: ch.id, userIds: [ctx.carol.id] }, t),
        "not_member",
      );
    },
  ),
  ...perTransport(
    "channels.members",
    "validation_failed: a cursor the server never handed out",
    { errors: ["validation_failed"] },
    async (ctx, t) => {
      const ch = await channel(ctx, {});
      const outcome = await ctx.call(ctx.alice, "channels.members", { conversationId: ch.id, cursor: "bm90IGEgY3Vyc29y" }, t);
      expectError(outcome, "validation_failed");
    },
  ),
  ...perTransport(
    "channels.createInvite",
    "forbidden: a plain member makes an invitation link",
    { errors: ["forbidden"] },
    async (ctx, t) => {
      const ch = await channel(ctx, {}, [ctx.bob]);
      expectError(await ctx.call(ctx.bob, "channels.createInvite", { conversationId: ch.id }, t), "forbidden");
      // Left again, as below: the suite's cap of conversations per user counts every case's.
      for (const who of [ctx.bob, ctx.alice])
        expectOk(await ctx.call(who, "conversations.leave", { conversationId: ch.id }, "ws"));
    },
  ),
  ...perTransport(
    "channels.joinByInvite",
    "invalid_invite: a revoked link, a used-up link, a wrong secret and a server invitation's token join nobody",
    { ops: ["channels.revokeInvite"], errors: ["invalid_invite"] },
    async (ctx, t) => {
      const ch = await channel(ctx, {});
      const invite = expectOk(await ctx.call(ctx.alice, "channels.createInvite", { conversationId: ch.id, maxUses: 1 }, "ws"));
      const reason = async (who: typeof ctx.bob, token: string) => {
        const outcome = await ctx.call(who, "channels.joinByInvite", { token }, t);
        expectError(outcome, "invalid_invite");
        return outcome.error?.details?.reason;
      };
      check((await reason(ctx.bob, `${invite.id}.wrong`)) === "unknown", "a wrong secret is not unknown");
      check((await reason(ctx.bob, "no-dot")) === "unknown", "a malformed token is not unknown");
      expectOk(await ctx.call(ctx.bob, "channels.joinByInvite", { token: invite.token }, t));
      check((await reason(ctx.carol, invite.token)) === "used_up", "a used-up link is not used_up");
      const other = expectOk(await ctx.call(ctx.alice, "channels.createInvite", { conversationId: ch.id }, "ws"));
      expectOk(await ctx.call(ctx.alice, "channels.revokeInvite", { conversationId: ch.id, inviteId: other.id }, t));
      check((await reason(ctx.carol, other.token)) === "revoked", "a revoked link is not revoked");
      const after = expectOk(await ctx.call(ctx.alice, "conversations.get", { conversationId: ch.id }, t));
      check(after.memberCount === 2, "a refused link changed the members");
      for (const who of [ctx.bob, ctx.alice])
        expectOk(await ctx.call(who, "conversations.leave", { conversationId: ch.id }, "ws"));
    },
  ),
  ...perTransport(
    "channels.readCount",
    "forbidden: a plain member asks the read count of someone else's message",
    { errors: ["forbidden"] },
    async (ctx, t) => {
      const ch = await channel(ctx, {}, [ctx.bob]);
      const ack = await ctx.send(ctx.alice, ch.id);
      expectError(await ctx.call(ctx.bob, "channels.readCount", { conversationId: ch.id, seq: ack.seq }, t), "forbidden");
    },
  ),
];

export const conversationErrorCases: Case[] = [
  ...perTransport(
    "conversations.setRetention",
    "forbidden: a group's plain member sets the retention; nothing changes",
    { errors: ["forbidden"] },
    async (ctx, t) => {
      const group = await ctx.group([ctx.bob]);
      expectError(
        await ctx.call(ctx.bob, "conversations.setRetention", { conversationId: group.id, seconds: 3600 }, t),
        "forbidden",
      );
      const after = expectOk(await ctx.call(ctx.alice, "conversations.get", { conversationId: group.id }, t));
      check(after.retention === undefined && after.lastSeq === 1, "the refused change was applied");
    },
  ),
  ...perTransport(
    "conversations.rename",
    "forbidden: renaming a direct conversation",
    { errors: ["forbidden"] },
    async (ctx, t) => {
      expectError(
        await ctx.call(ctx.alice, "conversations.rename", { conversationId: ctx.direct.id, title: "x" }, t),
        "forbidden",
      );
    },
  ),
  ...perTransport("messages.send", "not_member: a past member sends", { errors: ["not_member"] }, async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    expectOk(await ctx.call(ctx.bob, "conversations.leave", { conversationId: group.id }, "ws"));
    const outcome = await ctx.call(
      ctx.bob,
      "messages.send",
      { conversationId: group.id, clientId: ctx.unique("nm"), body: "x" },
      t,
    );
    expectError(outcome, "not_member");
  }),
  ...perTransport("users.get", "not_found: an unknown username", { errors: ["not_found"] }, async (ctx, t) => {
    expectError(await ctx.call(ctx.alice, "users.get", { username: ctx.unique("nobody") }, t), "not_found", {
      field: "username",
    });
  }),
  {
    id: "not_found: an unknown route [http]",
    covers: { errors: ["not_found"] },
    async run(ctx) {
      const answer = await httpJson(ctx.base, "GET", "/v1/no/such/route", undefined, await ctx.alice.token());
      expectError(asOutcome("me.get", answer), "not_found");
    },
  },
  ...neverMemberCases,
  ...perTransport("members.add", "conflict: every user is already a member", { errors: ["conflict"] }, async (ctx, t) => {
    const group = await ctx.group([ctx.bob]);
    expectError(await ctx.call(ctx.alice, "members.add", { conversationId: group.id, userIds: [ctx.bob.id] }, t), "conflict");
  }),
  ...perTransport(
    "messages.send",
    "conflict: a clientId reused in another conversation",
    { errors: ["conflict"] },
    async (ctx, t) => {
      const clientId = ctx.unique("reuse");
      const group = await ctx.group([]);
      expectOk(await ctx.call(ctx.alice, "messages.send", { conversationId: ctx.direct.id, clientId, body: "one" }, t));
      expectError(await ctx.call(ctx.alice, "messages.send", { conversationId: group.id, clientId, body: "two" }, t), "conflict");
    },
  ),
  ...perTransport(
    "conversations.createGroup",
    "group_full: more members than limits.maxGroupMembers",
    { errors: ["group_full"] },
    async (ctx, t) => {
      const max = ctx.limits.maxGroupMembers;
      if (max > 500) throw new Skip(`maxGroupMembers is ${max}: a createGroup (at most 500 ids) cannot exceed it`);
      const memberIds = Array.from({ length: max }, (_, i) => `Ufull${i}`);
      expectError(await ctx.call(ctx.alice, "conversations.createGroup", { title: "full", memberIds }, t), "group_full", {
        field: "memberIds",
      });
    },
  ),
  ...perTransport(
    "members.add",
    "not_allowed: adding a user banned from the group (details.reason banned); nobody is added",
    { errors: ["not_allowed"] },
    async (ctx, t) => {
      const group = await ctx.group([ctx.bob]);
      expectOk(await ctx.call(ctx.alice, "members.ban", { conversationId: group.id, userId: ctx.bob.id }, "ws"));
      const answer = await ctx.call(
        ctx.alice,
        "members.add",
        { conversationId: group.id, userIds: [ctx.carol.id, ctx.bob.id] },
        t,
      );
      expectError(answer, "not_allowed", { field: "userIds", userId: ctx.bob.id, reason: "banned" });
      const after = expectOk(await ctx.call(ctx.alice, "conversations.get", { conversationId: group.id }, t));
      check(after.members.length === 1, "a refused add added someone");
    },
  ),
  ...perTransport(
    "members.ban",
    "forbidden: a plain member bans, or anyone bans the owner; nothing changes",
    { errors: ["forbidden"] },
    async (ctx, t) => {
      const group = await ctx.group([ctx.bob, ctx.carol]);
      expectError(await ctx.call(ctx.bob, "members.ban", { conversationId: group.id, userId: ctx.carol.id }, t), "forbidden");
      expectError(await ctx.call(ctx.bob, "members.bans", { conversationId: group.id }, t), "forbidden");
      expectError(await ctx.call(ctx.alice, "members.ban", { conversationId: group.id, userId: ctx.alice.id }, t), "forbidden");
      const after = expectOk(await ctx.call(ctx.alice, "members.bans", { conversationId: group.id }, t));
      check(after.bans.length === 0, "a refused ban was recorded");
    },
  ),
  ...perTransport("members.ban", "not_found: banning an unknown user", { errors: ["not_found"] }, async (ctx, t) => {
    const group = await ctx.group([]);
    expectError(
      await ctx.call(ctx.alice, "members.ban", { conversationId: group.id, userId: "Unobody0000000000000" }, t),
      "not_found",
      { field: "userId" },
    );
  }),
  ...perTransport(
    "conversations.openDirect",
    "not_allowed: opening a direct chat with a user who blocked the caller",
    { errors: ["not_allowed"] },
    async (ctx, t) => {
      const [owner, blocked] = await Promise.all([ctx.register("nb"), ctx.register("nc")]);
      expectOk(await ctx.call(owner, "blocks.add", { userId: blocked.id }, t));
      expectError(await ctx.call(blocked, "conversations.openDirect", { userId: owner.id }, t), "not_allowed");
    },
  ),
  ...perTransport(
    "conversations.createGroup",
    "not_allowed: adding a user whose settings.groupAdds is nobody",
    { errors: ["not_allowed"] },
    async (ctx, t) => {
      const [owner, stranger] = await Promise.all([ctx.register("na"), ctx.register("ns")]);
      expectOk(await ctx.call(owner, "settings.update", { groupAdds: "nobody" }, t));
      const answer = await ctx.call(stranger, "conversations.createGroup", { title: "x", memberIds: [owner.id] }, t);
      expectError(answer, "not_allowed");
    },
  ),
  {
    id: "conversation_limit: adding a user who is in limits.maxConversationsPerUser conversations [ws]",
    covers: { errors: ["conversation_limit"] },
    async run(ctx) {
      const max = ctx.limits.maxConversationsPerUser;
      if (max > ctx.limits.maxGroupsPerDay || max > 200) {
        throw new Skip(`maxConversationsPerUser is ${max}: filling it takes over 200 groups (or more than one day's)`);
      }
      const [full, other] = await Promise.all([ctx.register("cl"), ctx.register("co")]);
      for (let i = 0; i < max; i++) {
        expectOk(await ctx.call(full, "conversations.createGroup", { title: `g${i}`, memberIds: [] }, "ws"));
      }
      const answer = await ctx.call(other, "conversations.createGroup", { title: "one more", memberIds: [full.id] }, "ws");
      expectError(answer, "conversation_limit");
    },
  },
];
