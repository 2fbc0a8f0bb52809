// Administration and account self-service (§5, §6.4, §6.11): every operation over each transport, the registration
// modes, deactivation (close 4103) and the refusals that must change nothing. Cases that need an administrator are
// skipped without `--admin-user`.

import type { OpName } from "@parley/protocol";
import { type Case, perTransport } from "../case.js";
import type { Actor, Ctx, OpTransport } from "../context.js";
import { asOutcome, check, expectError, expectOk, Skip } from "../expect.js";
import { httpJson, httpRaw, type Json, WsConn } from "../wire.js";
import { expectClose, refusedHello } from "./closes.js";

function requireAdmin(ctx: Ctx): Actor {
  if (!ctx.admin) throw new Skip("no administrator given (--admin-user / options.admin)");
  return ctx.admin;
}

/** One case per transport of `op`, run as the server's administrator. */
function asAdmin(op: OpName, title: string, run: (ctx: Ctx, admin: Actor, t: OpTransport) => Promise<unknown>): Case[] {
  return perTransport(op, `${op}: ${title}`, { ops: [op] }, async (ctx, t) => {
    await run(ctx, requireAdmin(ctx), t);
  });
}

async function ok(ctx: Ctx, as: Actor, op: OpName, args: Record<string, unknown>, t: OpTransport): Promise<Json> {
  return expectOk(await ctx.call(as, op, args, t));
}

/** Registers over HTTP with an invitation (or none); the raw answer. */
function registerWith(ctx: Ctx, invite?: string) {
  const username = ctx.unique("cfi").toLowerCase().slice(0, 32);
  return httpJson(ctx.base, "POST", "/v1/auth/register", {
    username,
    password: "conformance-pass",
    ...(invite ? { invite } : {}),
  });
}

const errorOf = (op: OpName, answer: { status: number; body: Json }) => ({
  op,
  transport: "http" as const,
  status: answer.status,
  error: answer.body?.error,
});

export const adminCases: Case[] = [
  ...perTransport(
    "me.changePassword",
    "me.changePassword: old password required, other sessions signed out",
    { ops: ["me.changePassword"], errors: ["wrong_password"] },
    async (ctx, t) => {
      const user = await ctx.register("pw");
      const other = expectOk(asOutcome("auth.login", await ctx.login(user)));
      expectError(
        await ctx.call(user, "me.changePassword", { oldPassword: "not it", newPassword: "another-pass" }, t),
        "wrong_password",
        {
          field: "oldPassword",
        },
      );
      await ok(ctx, user, "me.changePassword", { oldPassword: user.password, newPassword: "another-pass" }, t);
      const refused = await httpJson(ctx.base, "GET", "/v1/me", undefined, other.accessToken);
      check(refused.status === 401, `the other session still works (HTTP ${refused.status})`);
    },
  ),
  ...perTransport("sessions.list", "sessions.list: the caller's devices", { ops: ["sessions.list"] }, async (ctx, t) => {
    const result = await ok(ctx, ctx.carol, "sessions.list", {}, t);
    check(
      result.sessions.some((s: Json) => s.current && s.id === ctx.carol.auth.sessionId),
      "the current session is not marked",
    );
  }),
  ...perTransport(
    "sessions.revoke",
    "sessions.revoke: another device signed out",
    { ops: ["sessions.revoke"] },
    async (ctx, t) => {
      const user = await ctx.register("sr");
      const other = (await ctx.login(user)).body;
      const result = await ok(ctx, user, "sessions.revoke", { sessionId: other.sessionId }, t);
      check(!result.sessions.some((s: Json) => s.id === other.sessionId), "the revoked session is still listed");
      expectError(await ctx.call(user, "sessions.revoke", { sessionId: ctx.bob.auth.sessionId }, t), "not_found");
    },
  ),
  {
    id: "admin.*: a user who is not an administrator is refused (forbidden), whatever the arguments",
    covers: { errors: ["forbidden"] },
    async run(ctx) {
      for (const op of ["admin.users.list", "admin.settings.get", "admin.audit.list"] as const) {
        for (const t of ["ws", "http"] as const) expectError(await ctx.call(ctx.carol, op, {}, t), "forbidden");
      }
      expectError(await ctx.call(ctx.carol, "admin.settings.update", { registration: "bogus" }, "http"), "forbidden");
    },
  },
  ...asAdmin("admin.users.list", "a page of users", async (ctx, admin, t) => {
    const result = await ok(ctx, admin, "admin.users.list", { query: ctx.alice.username, limit: 5 }, t);
    check(result.users.length === 1 && result.users[0].id === ctx.alice.id, "the searched user is not the one listed");
  }),
  ...asAdmin("admin.users.create", "an account with a reset link", async (ctx, admin, t) => {
    const username = ctx.unique("cfm").toLowerCase().slice(0, 32);
    const result = await ok(ctx, admin, "admin.users.create", { username }, t);
    check(result.user.username === username && result.reset !== null, "no reset link for an account without password");
  }),
  ...asAdmin("admin.users.resetLink", "a one-time link", async (ctx, admin, t) => {
    const user = await ctx.register("rl");
    check((await ok(ctx, admin, "admin.users.resetLink", { userId: user.id }, t)).userId === user.id, "another user");
  }),
  ...perTransport(
    "auth.resetPassword",
    "auth.resetPassword: once, then invalid_reset_token",
    { ops: ["auth.resetPassword"], errors: ["invalid_reset_token"] },
    async (ctx, t) => {
      const admin = requireAdmin(ctx);
      const user = await ctx.register("rp");
      const link = await ok(ctx, admin, "admin.users.resetLink", { userId: user.id }, "http");
      const args = { token: link.token, password: "reset-conformance" };
      check(expectOk(await ctx.call(undefined, "auth.resetPassword", args, t)).user.id === user.id, "signed in as another user");
      expectError(await ctx.call(undefined, "auth.resetPassword", args, t), "invalid_reset_token");
    },
  ),
  ...asAdmin("admin.users.deactivate", "deactivates and reactivates", async (ctx, admin, t) => {
    const user = await ctx.register("da");
    check((await ok(ctx, admin, "admin.users.deactivate", { userId: user.id }, t)).deactivated === true, "not deactivated");
    check((await ok(ctx, admin, "admin.users.reactivate", { userId: user.id }, t)).deactivatedAt === null, "not reactivated");
  }),
  ...asAdmin("admin.users.reactivate", "an active user stays active", async (ctx, admin, t) => {
    check((await ok(ctx, admin, "admin.users.reactivate", { userId: ctx.bob.id }, t)).deactivatedAt === null, "bob is inactive");
  }),
  {
    id: "close 4103 account_deactivated: deactivation closes the user's connections; sign-in and old tokens refused",
    covers: { closes: ["account_deactivated"], errors: ["account_deactivated"] },
    async run(ctx) {
      const admin = requireAdmin(ctx);
      const user = await ctx.register("dc");
      const conn = await WsConn.open(ctx.wsUrl);
      check((await conn.request("hello", { versions: [1], token: await user.token() })).type === "result", "hello refused");
      await ok(ctx, admin, "admin.users.deactivate", { userId: user.id }, "http");
      expectClose(await conn.waitClose(2000), "account_deactivated");
      await refusedHello(ctx, { versions: [1], token: await user.token() }, "account_deactivated", "account_deactivated");
      const login = await ctx.login(user);
      expectError(errorOf("auth.login", login), "account_deactivated");
    },
  },
  {
    id: "not_allowed: a deactivated user cannot be put in a group or a new direct chat (details.reason: deactivated)",
    covers: { errors: ["not_allowed"] },
    async run(ctx) {
      const admin = requireAdmin(ctx);
      const user = await ctx.register("dn");
      await ok(ctx, admin, "admin.users.deactivate", { userId: user.id }, "http");
      const details = { reason: "deactivated", userId: user.id };
      expectError(await ctx.call(ctx.alice, "conversations.openDirect", { userId: user.id }, "http"), "not_allowed", {
        ...details,
        field: "userId",
      });
      const group = { title: "with a deactivated user", memberIds: [ctx.bob.id, user.id] };
      expectError(await ctx.call(ctx.alice, "conversations.createGroup", group, "http"), "not_allowed", {
        ...details,
        field: "memberIds",
      });
    },
  },
  ...asAdmin("admin.settings.get", "the registration mode", async (ctx, admin, t) => {
    check(
      ["open", "invite_only", "closed"].includes((await ok(ctx, admin, "admin.settings.get", {}, t)).registration),
      "unknown mode",
    );
  }),
  ...asAdmin("admin.settings.update", "setting the mode it has changes nothing", async (ctx, admin, t) => {
    const { registration } = await ok(ctx, admin, "admin.settings.get", {}, t);
    check((await ok(ctx, admin, "admin.settings.update", { registration }, t)).registration === registration, "changed");
  }),
  ...asAdmin("admin.invites.create", "a token once", async (ctx, admin, t) => {
    const invite = await ok(ctx, admin, "admin.invites.create", { maxUses: 2, note: "conformance" }, t);
    check(typeof invite.token === "string" && invite.uses === 0, "no token or already used");
  }),
  ...asAdmin("admin.invites.list", "newest first, no tokens", async (ctx, admin, t) => {
    await ok(ctx, admin, "admin.invites.create", {}, "http");
    const { invites } = await ok(ctx, admin, "admin.invites.list", { limit: 5 }, t);
    check(invites.length > 0 && invites.every((i: Json) => i.token === undefined), "a token is listed");
  }),
  ...asAdmin("admin.invites.revoke", "revoked, then refused", async (ctx, admin, t) => {
    const invite = await ok(ctx, admin, "admin.invites.create", {}, "http");
    check((await ok(ctx, admin, "admin.invites.revoke", { inviteId: invite.id }, t)).revokedAt !== null, "not revoked");
    expectError(errorOf("auth.register", await registerWith(ctx, invite.token)), "invalid_invite", { reason: "revoked" });
  }),
  ...asAdmin("admin.reports.list", "an open report in the queue", async (ctx, admin, t) => {
    const sent = await ctx.send(ctx.alice, ctx.direct.id, "queue me");
    const args = { conversationId: ctx.direct.id, seq: sent.seq, reason: "other" };
    const report = await ok(ctx, ctx.bob, "reports.create", args, "http");
    const { reports } = await ok(ctx, admin, "admin.reports.list", { limit: 200 }, t);
    const listed = reports.find((r: Json) => r.id === report.id);
    check(listed?.message?.body === "queue me" && listed.reporter.id === ctx.bob.id, "the report is not queued as sent");
  }),
  ...asAdmin("admin.reports.resolve", "dismissed, the message stays", async (ctx, admin, t) => {
    const sent = await ctx.send(ctx.alice, ctx.direct.id, "dismiss me");
    const args = { conversationId: ctx.direct.id, seq: sent.seq, reason: "other" };
    const report = await ok(ctx, ctx.bob, "reports.create", args, "http");
    const resolved = await ok(ctx, admin, "admin.reports.resolve", { reportId: report.id }, t);
    check(resolved.resolution === "dismissed" && resolved.message.body === "dismiss me", "not dismissed");
  }),
  ...asAdmin("admin.messages.remove", "a delete entry by an administrator", async (ctx, admin, t) => {
    const sent = await ctx.send(ctx.alice, ctx.direct.id, "remove me");
    const { message } = await ok(ctx, admin, "admin.messages.remove", { conversationId: ctx.direct.id, seq: sent.seq }, t);
    check(message.action?.type === "delete" && message.action.by === "admin", "not marked as an administrator's");
  }),
  ...asAdmin("admin.audit.list", "newest first", async (ctx, admin, t) => {
    const { entries } = await ok(ctx, admin, "admin.audit.list", { limit: 5 }, t);
    check(
      entries.every((e: Json, i: number) => i === 0 || e.id < entries[i - 1].id),
      "not newest first",
    );
  }),
  {
    id: "GET /v1/admin/audit/export: JSON lines and CSV for administrators, 403 for others",
    covers: {},
    async run(ctx) {
      const admin = requireAdmin(ctx);
      const headers = { authorization: `Bearer ${await admin.token()}` };
      const jsonl = await httpRaw(ctx.base, "GET", "/v1/admin/audit/export?format=jsonl", { headers });
      check(jsonl.status === 200, `jsonl: HTTP ${jsonl.status}`);
      for (const line of jsonl.text.trim().split("\n")) JSON.parse(line);
      const csv = await httpRaw(ctx.base, "GET", "/v1/admin/audit/export?format=csv", { headers });
      check(csv.text.startsWith("id,at,actorId,action,target,details\r\n"), "CSV without its header");
      const other = await httpRaw(ctx.base, "GET", "/v1/admin/audit/export", {
        headers: { authorization: `Bearer ${await ctx.carol.token()}` },
      });
      check(other.status === 403, `a non-administrator got HTTP ${other.status}`);
    },
  },
  {
    id: "retention_too_long: a conversation's retention longer than the server's maximum (the maximum is put back)",
    covers: { errors: ["retention_too_long"] },
    exclusive: true,
    async run(ctx) {
      const admin = requireAdmin(ctx);
      const { maxMessageAge } = await ok(ctx, admin, "admin.settings.get", {}, "http");
      // About 100 years: nothing on a real server is that old, so no sweep in between deletes anything.
      const max = 3_153_599_999;
      try {
        const set = await ok(ctx, admin, "admin.settings.update", { maxMessageAge: max }, "http");
        check(set.maxMessageAge === max, "the maximum was not stored");
        const group = await ctx.group([]);
        const args = { conversationId: group.id, seconds: max + 1 };
        expectError(await ctx.call(ctx.alice, "conversations.setRetention", args, "http"), "retention_too_long", {
          field: "seconds",
          max,
        });
        const seen = await ok(ctx, ctx.alice, "conversations.get", { conversationId: group.id }, "http");
        check(seen.retention === undefined && seen.lastSeq === 1, "the refused retention was applied");
      } finally {
        await ctx.call(admin, "admin.settings.update", { maxMessageAge }, "http");
      }
    },
  },
  {
    id: "registration modes: invite_only needs a valid invitation, closed refuses everyone (the mode is put back)",
    covers: { errors: ["invite_required", "invalid_invite", "registration_closed"] },
    exclusive: true,
    async run(ctx) {
      const admin = requireAdmin(ctx);
      const { registration } = await ok(ctx, admin, "admin.settings.get", {}, "http");
      try {
        await ok(ctx, admin, "admin.settings.update", { registration: "invite_only" }, "http");
        expectError(errorOf("auth.register", await registerWith(ctx)), "invite_required");
        const invite = await ok(ctx, admin, "admin.invites.create", { maxUses: 1 }, "http");
        check((await registerWith(ctx, invite.token)).status === 201, "the invitation did not admit");
        expectError(errorOf("auth.register", await registerWith(ctx, invite.token)), "invalid_invite", { reason: "used_up" });
        expectError(errorOf("auth.register", await registerWith(ctx, `${invite.id}.wrong`)), "invalid_invite", {
          reason: "unknown",
        });
        await ok(ctx, admin, "admin.settings.update", { registration: "closed" }, "http");
        const spare = await ok(ctx, admin, "admin.invites.create", {}, "http");
        expectError(errorOf("auth.register", await registerWith(ctx, spare.token)), "registration_closed");
      } finally {
        await ctx.call(admin, "admin.settings.update", { registration }, "http");
      }
    },
  },
];
