// Authorization matrix: every operation of the protocol registry, on every transport that carries it, asked by people
// who must not get the data (an outsider, a removed member, expired/revoked/forged tokens): refused, nothing leaks.

import assert from "node:assert/strict";
import { createECDH, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type AuthResult, ERRORS, isErrorCode, OP_NAMES, type OpName, operations } from "@parley/protocol";
import { SignJWT } from "jose";
import {
  connectVia,
  http,
  LongPollClient,
  login,
  type ProtocolClient,
  ProtocolError,
  RawClient,
  register,
  startTestServer,
  type TestServer,
  TRANSPORTS,
  type TransportName,
  uploadFile,
} from "./harness.js";

/** Everything the matrix needs to aim requests at protected data. */
interface Fixture {
  owner: AuthResult;
  member: AuthResult;
  removed: AuthResult;
  outsider: AuthResult;
  lateMember: AuthResult;
  bystander: AuthResult;
  group: string;
  direct: string;
  groupLastSeq: number;
  /** A file the owner shared in the group before the removal. */
  upload: string;
  /** The server's administrator (its first account) and an invitation they made. */
  admin: AuthResult;
  invite: string;
  /** A report of the group's seq 2 by the member. */
  report: string;
}

type Scope =
  /** Aimed at the group: outsiders and removed members must be refused (`not_found`, `not_member`, `forbidden`). */
  | "conversation"
  /** Aimed at the group, readable by a removed member up to their removal (history, summary). */
  | "conversation-read"
  /** Acts on the caller's own data (profile, contacts, list, sync, presence): allowed, but must reveal nothing. */
  | "own"
  /** No caller identity: the handshake and sign-in operations, checked separately. */
  | "public"
  /** Administrators only: everyone else gets `forbidden`, whatever the arguments, and nothing changes. */
  | "admin";

interface Case {
  scope: Scope;
  args: (fx: Fixture) => Record<string, unknown>;
}

let clientIds = 0;
/** A valid Web Push subscription key pair (a P-256 public key and a 16-byte auth secret). */
const PUSH_KEYS = (() => {
  const ecdh = createECDH("prime256v1");
  return { p256dh: ecdh.generateKeys().toString("base64url"), auth: randomBytes(16).toString("base64url") };
})();
/**
 * One case per operation. The type makes a new operation without a case a compile error, and the first test fails at
 * run time too: new operations are covered by construction.
 */
const CASES: Record<OpName, Case> = {
  hello: { scope: "public", args: () => ({ versions: [1] }) },
  ping: { scope: "own", args: () => ({}) },
  "auth.register": { scope: "public", args: () => ({}) },
  "auth.login": { scope: "public", args: () => ({}) },
  "auth.refresh": { scope: "public", args: () => ({}) },
  "auth.sso": { scope: "public", args: () => ({}) },
  "auth.ssoExchange": { scope: "public", args: () => ({}) },
  "auth.resetPassword": { scope: "public", args: () => ({}) },
  "auth.logout": { scope: "public", args: () => ({}) },
  "me.get": { scope: "own", args: () => ({}) },
  "me.update": { scope: "own", args: () => ({ displayName: "Curious" }) },
  "me.removeAvatar": { scope: "own", args: () => ({}) },
  // A wrong current password: refused (wrong_password), and the caller's sessions stay.
  "me.changePassword": { scope: "own", args: () => ({ oldPassword: "not the password", newPassword: "new password 1" }) },
  "sessions.list": { scope: "own", args: () => ({}) },
  // Another user's session: not_found, and it stays signed in.
  "sessions.revoke": { scope: "own", args: (fx) => ({ sessionId: fx.owner.sessionId }) },
  "users.get": { scope: "own", args: (fx) => ({ username: fx.owner.user.username }) },
  "users.getMany": { scope: "own", args: (fx) => ({ userIds: [fx.owner.user.id, fx.member.user.id] }) },
  "users.search": { scope: "own", args: () => ({ query: "a" }) },
  "contacts.list": { scope: "own", args: () => ({}) },
  "contacts.add": { scope: "own", args: (fx) => ({ userId: fx.bystander.user.id }) },
  "contacts.remove": { scope: "own", args: (fx) => ({ userId: fx.bystander.user.id }) },
  "blocks.list": { scope: "own", args: () => ({}) },
  "blocks.add": { scope: "own", args: (fx) => ({ userId: fx.bystander.user.id }) },
  "blocks.remove": { scope: "own", args: (fx) => ({ userId: fx.bystander.user.id }) },
  // A former member may report what they saw while a member (seq 2 is from before the removal).
  "reports.create": {
    scope: "conversation-read",
    args: (fx) => ({ conversationId: fx.group, seq: 2, reason: "other", note: `authz-${++clientIds}` }),
  },
  "conversations.list": { scope: "own", args: () => ({}) },
  "conversations.get": { scope: "conversation-read", args: (fx) => ({ conversationId: fx.group }) },
  "conversations.openDirect": { scope: "own", args: (fx) => ({ userId: fx.bystander.user.id }) },
  "conversations.createGroup": { scope: "own", args: () => ({ title: "My own group", memberIds: [] }) },
  "conversations.rename": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, title: "Hijacked" }) },
  "conversations.leave": { scope: "conversation", args: (fx) => ({ conversationId: fx.group }) },
  "conversations.setDisappearing": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, seconds: 3600 }) },
  "conversations.setRetention": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, seconds: 3600 }) },
  "channels.create": { scope: "own", args: () => ({ title: "My own channel", visibility: "private" }) },
  // Lists public channels only: the group's title and id must not show.
  "channels.directory": { scope: "own", args: () => ({}) },
  // The group is no channel: never a member → not_found, the removed member → not_member.
  "channels.join": { scope: "conversation", args: (fx) => ({ conversationId: fx.group }) },
  "channels.members": { scope: "conversation", args: (fx) => ({ conversationId: fx.group }) },
  "channels.addMembers": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, userIds: [fx.outsider.user.id, fx.removed.user.id] }),
  },
  "channels.removeMembers": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, userIds: [fx.member.user.id] }) },
  "channels.setNotifications": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, level: "all" }) },
  "channels.readCount": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, seq: 2 }) },
  "channels.createInvite": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, maxUses: 1 }) },
  "channels.invites": { scope: "conversation", args: (fx) => ({ conversationId: fx.group }) },
  // The server's invitation is no channel's: refused, and it stays usable.
  "channels.revokeInvite": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, inviteId: fx.invite }) },
  "channels.joinByInvite": { scope: "own", args: (fx) => ({ token: `${fx.invite}.not-the-secret` }) },
  "members.add": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, userIds: [fx.outsider.user.id, fx.removed.user.id] }),
  },
  "members.remove": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, userId: fx.member.user.id }) },
  "members.ban": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, userId: fx.member.user.id, reason: "injected" }),
  },
  "members.unban": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, userId: fx.member.user.id }) },
  "members.bans": { scope: "conversation", args: (fx) => ({ conversationId: fx.group }) },
  "members.setRole": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, userId: fx.member.user.id, role: "admin" }),
  },
  "messages.send": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, clientId: `authz-${++clientIds}`, body: "injected" }),
  },
  "messages.history": { scope: "conversation-read", args: (fx) => ({ conversationId: fx.group }) },
  sync: { scope: "own", args: (fx) => ({ cursors: { [fx.group]: 0, [fx.direct]: 0 } }) },
  "receipts.mark": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, delivered: 1, read: 1 }) },
  typing: { scope: "conversation", args: (fx) => ({ conversationId: fx.group, typing: true }) },
  "presence.query": { scope: "own", args: (fx) => ({ userIds: [fx.owner.user.id, fx.member.user.id] }) },
  "presence.subscribe": { scope: "own", args: (fx) => ({ userIds: [fx.owner.user.id, fx.member.user.id] }) },
  "presence.unsubscribe": { scope: "own", args: (fx) => ({ userIds: [fx.owner.user.id] }) },
  // Seq 2 is the owner's message from before the removal.
  "messages.edit": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, seq: 2, clientId: `authz-${++clientIds}`, body: "injected" }),
  },
  "messages.delete": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, seq: 2, clientId: `authz-${++clientIds}`, scope: "everyone" }),
  },
  "messages.react": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, seq: 2, clientId: `authz-${++clientIds}`, emoji: "👍" }),
  },
  "messages.pin": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, seq: 2, clientId: `authz-${++clientIds}` }),
  },
  "messages.unpin": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, seq: 2, clientId: `authz-${++clientIds}` }),
  },
  // A removed member still lists the pins made while they were a member.
  "messages.pins": { scope: "conversation-read", args: (fx) => ({ conversationId: fx.group }) },
  // Forwards the group's seq 2 into the group: an outsider may not read it, a removed member may not write there.
  "messages.forward": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, clientId: `authz-${++clientIds}`, from: { conversationId: fx.group, seq: 2 } }),
  },
  "push.config": { scope: "own", args: () => ({}) },
  "push.subscribe": {
    scope: "own",
    args: () => ({ endpoint: `https://push.example/authz-${++clientIds}`, keys: PUSH_KEYS }),
  },
  "push.unsubscribe": { scope: "own", args: () => ({ endpoint: "https://push.example/authz-1" }) },
  "conversations.mute": { scope: "conversation", args: (fx) => ({ conversationId: fx.group, until: "forever" }) },
  "settings.get": { scope: "own", args: () => ({}) },
  "settings.update": { scope: "own", args: () => ({ previews: true }) },
  "files.sign": { scope: "conversation-read", args: (fx) => ({ uploadIds: [fx.upload] }) },
  // The page is on loopback, which the server refuses (link_preview_unavailable, blocked): nothing is fetched.
  "links.preview": { scope: "own", args: () => ({ url: "http://127.0.0.1:9/authz" }) },
  "uploads.presign": { scope: "own", args: () => ({ name: "direct.pdf", size: 10 }) },
  "uploads.complete": { scope: "own", args: () => ({ uploadToken: "not.a-token" }) },
  // Matches the messages sent before and after the removal: the removed member may find only the first.
  "messages.search": { scope: "own", args: () => ({ query: "removal" }) },
  // The directory shows devices only to users who share a conversation or are contacts: the outsider gets not_found.
  "e2ee.devices.register": { scope: "own", args: () => ({ signatureKey: randomBytes(32).toString("base64url") }) },
  "e2ee.devices.list": { scope: "own", args: (fx) => ({ userId: fx.owner.user.id }) },
  "e2ee.keyPackages.upload": { scope: "own", args: () => ({ keyPackages: [] }) },
  "e2ee.keyPackages.count": { scope: "own", args: () => ({}) },
  "e2ee.keyPackages.claim": { scope: "own", args: (fx) => ({ userIds: [fx.owner.user.id] }) },
  "e2ee.commit": {
    scope: "conversation",
    args: (fx) => ({ conversationId: fx.group, epoch: 0, commit: "AAAAAA", groupInfo: "AAAAAA" }),
  },
  "e2ee.groupInfo": { scope: "conversation", args: (fx) => ({ conversationId: fx.group }) },
  "e2ee.welcomes.list": { scope: "own", args: () => ({}) },
  "e2ee.welcomes.ack": { scope: "own", args: () => ({ ids: ["W_none"] }) },
  "admin.users.list": { scope: "admin", args: () => ({ query: "user" }) },
  "admin.users.create": { scope: "admin", args: () => ({ username: `authz_${++clientIds}`, password: "long enough pw" }) },
  "admin.users.deactivate": { scope: "admin", args: (fx) => ({ userId: fx.owner.user.id }) },
  "admin.users.reactivate": { scope: "admin", args: (fx) => ({ userId: fx.owner.user.id }) },
  "admin.users.resetLink": { scope: "admin", args: (fx) => ({ userId: fx.owner.user.id }) },
  "admin.settings.get": { scope: "admin", args: () => ({}) },
  "admin.settings.update": { scope: "admin", args: () => ({ registration: "closed" }) },
  "admin.invites.create": { scope: "admin", args: () => ({ maxUses: 5 }) },
  "admin.invites.list": { scope: "admin", args: () => ({}) },
  "admin.invites.revoke": { scope: "admin", args: (fx) => ({ inviteId: fx.invite }) },
  "admin.audit.list": { scope: "admin", args: () => ({}) },
  "admin.reports.list": { scope: "admin", args: () => ({}) },
  "admin.reports.resolve": { scope: "admin", args: (fx) => ({ reportId: fx.report }) },
  "admin.messages.remove": { scope: "admin", args: (fx) => ({ conversationId: fx.group, seq: 2 }) },
};

const REFUSALS = new Set(["not_found", "not_member", "forbidden"]);
const SECRET_BEFORE = `before-removal-${randomBytes(6).toString("hex")}`;
const SECRET_AFTER = `after-removal-${randomBytes(6).toString("hex")}`;
const SECRET_DIRECT = `direct-${randomBytes(6).toString("hex")}`;
const TITLE = `Title-${randomBytes(6).toString("hex")}`;
const RENAMED = `Renamed-${randomBytes(6).toString("hex")}`;

type Answer = { ok: true; result: unknown } | { ok: false; code: string; status?: number; body: unknown };

/** Calls `op` over HTTP the way a client would: path parameters from args, the rest as query or JSON body. */
async function overHttp(
  server: TestServer,
  op: OpName,
  args: Record<string, unknown>,
  token: string | undefined,
): Promise<Answer> {
  const route = operations[op].http!;
  const rest = { ...args };
  const path = route.path.replace(/:(\w+)/g, (_, name: string) => {
    const value = String(rest[name]);
    delete rest[name];
    return encodeURIComponent(value);
  });
  const withQuery =
    route.method === "GET" || route.method === "DELETE"
      ? `${path}${Object.keys(rest).length ? `?${new URLSearchParams(rest as Record<string, string>)}` : ""}`
      : path;
  const body = route.method === "GET" || route.method === "DELETE" ? undefined : rest;
  const res = await http(server, route.method, withQuery, body, token);
  if (res.status < 300) return { ok: true, result: res.body };
  assert.ok(isErrorCode(res.body?.error?.code), `${op}: HTTP ${res.status} without a documented error code`);
  assert.equal(res.status, ERRORS[res.body.error.code as keyof typeof ERRORS].status, `${op}: status matches the code`);
  assert.deepEqual(Object.keys(res.body), ["error"], `${op}: an error answer carries nothing but the error`);
  return { ok: false, code: res.body.error.code, status: res.status, body: res.body };
}

/** Over a live transport (WebSocket or long polling): both carry the operations listed for "live". */
async function overLive(client: ProtocolClient, op: OpName, args: Record<string, unknown>): Promise<Answer> {
  try {
    return { ok: true, result: await client.requestRaw(op, args) };
  } catch (error) {
    if (!(error instanceof ProtocolError)) throw error;
    assert.ok(isErrorCode(error.error.code), `${op}: undocumented error code ${error.error.code}`);
    return { ok: false, code: error.error.code, body: error.error };
  }
}

function assertNoLeak(what: string, answer: unknown, forbidden: readonly string[]): void {
  const text = JSON.stringify(answer);
  for (const secret of forbidden) assert.ok(!text.includes(secret), `${what} leaked ${secret}: ${text.slice(0, 400)}`);
}

describe("authorization matrix", () => {
  let server: TestServer;
  let fx: Fixture;
  /** Live sessions per person and transport, opened before the removal so they would receive any leaked event. */
  let sockets: Record<"outsider" | "removed", Record<TransportName, ProtocolClient>> & { owner: ProtocolClient };
  /** What an outsider must never see, and what a removed member must not see from after the removal. */
  let outsiderSecrets: string[];
  let removedSecrets: string[];
  let expiredToken: string;
  let revoked: AuthResult;
  let forgedTokens: Record<string, string>;

  before(async () => {
    server = await startTestServer();
    // The first account of the server: its administrator, and nobody else is.
    const admin = await register(server);
    const invite = (await http(server, "POST", "/v1/admin/invites", { maxUses: 1 }, admin.accessToken)).body.id as string;
    const [owner, member, removed, outsider, lateMember, bystander] = (await Promise.all(
      Array.from({ length: 6 }, () => register(server)),
    )) as [AuthResult, AuthResult, AuthResult, AuthResult, AuthResult, AuthResult];
    const o = await RawClient.connect(server, owner.accessToken);
    const live = async (who: AuthResult) =>
      Object.fromEntries(
        await Promise.all(TRANSPORTS.map(async (t) => [t, await connectVia(t, server, who.accessToken)] as const)),
      ) as Record<TransportName, ProtocolClient>;
    const [removedLive, outsiderLive] = await Promise.all([live(removed), live(outsider)]);
    const group = await o.request("conversations.createGroup", { title: TITLE, memberIds: [member.user.id, removed.user.id] });
    const upload = await uploadFile(server, owner.accessToken, "before.txt", Buffer.from(SECRET_BEFORE));
    await o.request("messages.send", {
      conversationId: group.id,
      clientId: "before",
      body: SECRET_BEFORE,
      attachments: [upload.id],
    });
    await o.request("members.remove", { conversationId: group.id, userId: removed.user.id });
    await o.request("messages.send", { conversationId: group.id, clientId: "after", body: SECRET_AFTER });
    await o.request("members.add", { conversationId: group.id, userIds: [lateMember.user.id] });
    await o.request("conversations.rename", { conversationId: group.id, title: RENAMED });
    await o.request("receipts.mark", { conversationId: group.id, read: 6 });
    const direct = await o.request("conversations.openDirect", { userId: member.user.id });
    const ack = await o.request("messages.send", { conversationId: direct.id, clientId: "direct", body: SECRET_DIRECT });
    assert.equal(ack.duplicate, false);
    const { lastSeq } = await o.request("conversations.get", { conversationId: group.id });
    const report = (
      await http(server, "POST", "/v1/reports", { conversationId: group.id, seq: 2, reason: "spam" }, member.accessToken)
    ).body.id as string;
    fx = {
      owner,
      member,
      removed,
      outsider,
      lateMember,
      bystander,
      group: group.id,
      direct: direct.id,
      groupLastSeq: lastSeq,
      upload: upload.id,
      admin,
      invite,
      report,
    };
    sockets = { outsider: outsiderLive, removed: removedLive, owner: o };
    outsiderSecrets = [SECRET_BEFORE, SECRET_AFTER, SECRET_DIRECT, TITLE, RENAMED, group.id, direct.id];
    // The title a removed member sees is the current one (a documented limitation, docs/security.md).
    removedSecrets = [SECRET_AFTER, SECRET_DIRECT, direct.id, lateMember.user.id];

    const secret = new TextEncoder().encode(readFileSync(join(server.dataDir, "jwt-secret"), "utf8").trim());
    const claims = (sub: string, sid: string) =>
      new SignJWT({ sid }).setProtectedHeader({ alg: "HS256" }).setSubject(sub).setIssuer("parley");
    expiredToken = await claims(outsider.user.id, outsider.sessionId)
      .setIssuedAt(Math.floor(Date.now() / 1000) - 3600)
      .setExpirationTime(Math.floor(Date.now() / 1000) - 60)
      .sign(secret);
    revoked = await login(server, outsider.user.username);
    assert.equal((await http(server, "POST", "/v1/auth/logout", {}, revoked.accessToken)).status, 200);
    const [header, payload, signature] = outsider.accessToken.split(".") as [string, string, string];
    const claimsOf = JSON.parse(Buffer.from(payload, "base64url").toString());
    const tampered = Buffer.from(JSON.stringify({ ...claimsOf, sub: owner.user.id, sid: owner.sessionId })).toString("base64url");
    const none = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
    forgedTokens = {
      "signed with another key": await claims(owner.user.id, owner.sessionId)
        .setExpirationTime("1h")
        .sign(new TextEncoder().encode("x".repeat(48))),
      "payload changed after signing": `${header}.${tampered}.${signature}`,
      'alg "none"': `${none}.${tampered}.`,
      "another user's session id": await claims(owner.user.id, outsider.sessionId).setExpirationTime("1h").sign(secret),
      garbage: "not-a-token",
    };
  });

  after(async () => {
    await Promise.all(
      [sockets.owner, ...TRANSPORTS.flatMap((t) => [sockets.outsider[t], sockets.removed[t]])].map((s) => s.close()),
    );
    await server.close();
  });

  it("has a case for every operation of the registry", () => {
    for (const op of OP_NAMES) assert.ok(CASES[op], `no authorization case for ${op}: add one to CASES`);
  });

  for (const who of ["outsider", "removed"] as const) {
    for (const transport of ["http", ...TRANSPORTS] as const) {
      it(`refuses a ${who === "outsider" ? "user outside the conversation" : "removed member"} over ${transport}, leaking nothing`, async () => {
        const token = fx[who].accessToken;
        const secrets = who === "outsider" ? outsiderSecrets : removedSecrets;
        let covered = 0;
        for (const op of OP_NAMES) {
          const { scope, args } = CASES[op];
          if (scope === "public" || !operations[op].transports.includes(transport === "http" ? "http" : "live")) continue;
          covered++;
          const answer =
            transport === "http"
              ? await overHttp(server, op, args(fx), token)
              : await overLive(sockets[who][transport], op, args(fx));
          const label = `${who} ${op} over ${transport}`;
          if (!answer.ok) assert.notEqual(answer.code, "validation_failed", `${label}: the case's arguments must be valid`);
          if (scope === "conversation" || (scope === "conversation-read" && who === "outsider")) {
            assert.equal(answer.ok, false, `${label} must be refused`);
            if (!answer.ok) assert.ok(REFUSALS.has(answer.code), `${label}: refused with ${answer.code}`);
          }
          if (scope === "admin") {
            assert.equal(answer.ok, false, `${label} must be refused`);
            if (!answer.ok) assert.equal(answer.code, "forbidden", `${label}: refused with ${answer.code}`);
          }
          if (op === "me.changePassword" || op === "sessions.revoke") {
            assert.equal(answer.ok, false, `${label} must be refused`);
            if (!answer.ok) assert.ok(["wrong_password", "not_found"].includes(answer.code), `${label}: ${answer.code}`);
          }
          if (scope === "conversation-read" && who === "removed") {
            // Readable up to the removal, nothing after it: no later messages, no current members.
            assert.equal(answer.ok, true, `${label}: history up to the removal stays readable`);
          }
          assertNoLeak(label, answer, secrets);
          if (who === "outsider" && (scope !== "own" || op === "sync" || op === "conversations.list")) {
            assertNoLeak(label, answer, [fx.member.user.id, fx.lateMember.user.id]);
          }
          if (op.startsWith("presence.")) assertNoLeak(`${label} (presence visibility)`, answer, [fx.owner.user.id]);
        }
        assert.ok(covered >= 15, `${covered} operations covered`);
      });
    }
  }

  // Issue 23 item 1: §6.1 promises that a conversation the caller was never in is indistinguishable from none at all.
  for (const transport of ["http", ...TRANSPORTS] as const) {
    it(`answers a user who was never a member exactly as for a made-up conversation id over ${transport}`, async () => {
      const madeUp = `C_madeup${randomBytes(6).toString("hex")}`;
      const probes: [string, OpName, (fx: Fixture, id: string) => Record<string, unknown>][] = [];
      for (const op of OP_NAMES) {
        // Administrators' operations reach any conversation; everyone else is refused with `forbidden` first.
        if (CASES[op].scope === "admin" || !("conversationId" in CASES[op].args(fx))) continue;
        probes.push([op, op, (f, id) => ({ ...CASES[op].args(f), conversationId: id })]);
      }
      probes.push([
        "messages.search in one conversation",
        "messages.search",
        (_f, id) => ({ query: "removal", conversationId: id }),
      ]);
      // A file shared in the conversation, against an upload id that does not exist.
      probes.push(["files.sign", "files.sign", (f, id) => ({ uploadIds: [id === f.group ? f.upload : madeUp] })]);
      assert.ok(probes.length >= 14, `${probes.length} conversation-scoped operations probed`);
      let compared = 0;
      for (const [label, op, args] of probes) {
        if (!operations[op].transports.includes(transport === "http" ? "http" : "live")) continue;
        const ask = (id: string) =>
          transport === "http"
            ? overHttp(server, op, args(fx, id), fx.outsider.accessToken)
            : overLive(sockets.outsider[transport], op, args(fx, id));
        const [existing, unknown] = [await ask(fx.group), await ask(madeUp)];
        const summary = (a: Answer) => (a.ok ? { ok: true } : { ok: false, code: a.code, status: a.status });
        assert.deepEqual(summary(existing), summary(unknown), `${label} over ${transport}: an existing id must not show`);
        if (op !== "messages.search")
          assert.deepEqual(
            summary(existing),
            summary({ ok: false, code: "not_found", status: transport === "http" ? 404 : undefined, body: null }),
            `${label} over ${transport}`,
          );
        else assert.deepEqual(existing, unknown, `${label} over ${transport}: the same (empty) results`);
        compared++;
      }
      assert.ok(compared >= (transport === "http" ? 12 : 14), `${compared} operations compared over ${transport}`);
    });
  }

  it("shows a removed member the conversation as it was when they left: no later entries, no member list", async () => {
    const client = sockets.removed.ws;
    const summary = (await client.request("conversations.get", { conversationId: fx.group })) as {
      membership: string;
      lastSeq: number;
      members: unknown[];
    };
    assert.equal(summary.membership, "left");
    assert.deepEqual(summary.members, []);
    assert.ok(summary.lastSeq < fx.groupLastSeq);
    const { messages } = await client.request("messages.history", { conversationId: fx.group, limit: 100 });
    assert.ok(
      messages.some((m) => m.body === SECRET_BEFORE),
      "entries before the removal stay readable",
    );
    assert.ok(messages.every((m) => m.seq <= summary.lastSeq));
    const sync = await client.request("sync", { cursors: {} });
    const entry = sync.conversations.find((c) => c.conversationId === fx.group);
    assert.equal(entry?.membership, "left");
    assert.deepEqual(entry?.members, []);
  });

  it("delivered no event of the conversation to the outsider, and none after the removal to the removed member", () => {
    for (const t of TRANSPORTS) {
      assertNoLeak(`outsider's events over ${t}`, sockets.outsider[t].events, outsiderSecrets);
      assertNoLeak(`removed member's events over ${t}`, sockets.removed[t].events, [...removedSecrets, RENAMED]);
    }
  });

  it("refuses expired, revoked and forged tokens on every HTTP route with 401 and nothing else", async () => {
    const tokens: [string, string | undefined, string][] = [
      ["no token", undefined, "unauthorized"],
      ["expired token", expiredToken, "token_expired"],
      ["logged-out session's token", revoked.accessToken, "unauthorized"],
      ...Object.entries(forgedTokens).map(([name, t]): [string, string, string] => [`forged token (${name})`, t, "unauthorized"]),
    ];
    let checked = 0;
    for (const op of OP_NAMES) {
      if (!operations[op].transports.includes("http") || operations[op].auth === "public") continue;
      for (const [name, token, code] of tokens) {
        const res = await overHttp(server, op, CASES[op].args(fx), token);
        assert.equal(res.ok, false, `${op} with ${name} must be refused`);
        if (res.ok) continue;
        assert.equal(res.status, 401, `${op} with ${name}`);
        assert.equal(res.code, code, `${op} with ${name}`);
        assertNoLeak(`${op} with ${name}`, res.body, outsiderSecrets);
        checked++;
      }
    }
    assert.ok(checked > 100, `${checked} refusals checked`);
    // A refused token has no effect: nothing was renamed, added or sent.
    const { lastSeq } = await sockets.owner.request("conversations.get", { conversationId: fx.group });
    assert.equal(lastSeq, fx.groupLastSeq);
  });

  it("refuses expired, revoked and forged tokens in hello, answering no request pipelined behind it", async () => {
    const cases: [string, string | undefined, number[]][] = [
      ["no token", undefined, [4100]],
      ["expired token", expiredToken, [4101]],
      ["logged-out session's token", revoked.accessToken, [4102]],
      ...Object.entries(forgedTokens).map(([name, t]): [string, string, number[]] => [`forged token (${name})`, t, [4100, 4102]]),
    ];
    const wsOps = OP_NAMES.filter((op) => op !== "hello" && operations[op].transports.includes("live"));
    // At most 64 requests may wait behind a hello (§4.4): more operations than that go over several connections.
    const EARLY_LIMIT = 64;
    const batches: OpName[][] = [];
    for (let i = 0; i < wsOps.length; i += EARLY_LIMIT) batches.push(wsOps.slice(i, i + EARLY_LIMIT));
    for (const [name, token, closeCodes] of cases) {
      for (const batch of batches) {
        const client = await RawClient.open(server);
        client.ws.send(
          JSON.stringify({ rid: "h", op: "hello", args: token === undefined ? { versions: [1] } : { versions: [1], token } }),
        );
        // Every operation, pipelined behind the refused hello: none may be answered with data.
        for (const op of batch) client.ws.send(JSON.stringify({ rid: op, op, args: CASES[op].args(fx) }));
        const code = await client.closed;
        assert.ok(closeCodes.includes(code), `${name}: closed with ${code}`);
        const results = client.frames.filter((f) => f.type !== "error");
        assert.deepEqual(results, [], `${name}: no result or event`);
        const errors = client.frames.filter((f) => f.type === "error");
        assert.equal(errors.length, 1, `${name}: one error, for hello`);
        assertNoLeak(name, client.frames, outsiderSecrets);
      }
    }
    const { lastSeq } = await sockets.owner.request("conversations.get", { conversationId: fx.group });
    assert.equal(lastSeq, fx.groupLastSeq);
  });

  it("refuses expired, revoked and forged tokens when a long-poll session is opened", async () => {
    const cases: [string, string | undefined, number[]][] = [
      ["no token", undefined, [4100]],
      ["expired token", expiredToken, [4101]],
      ["logged-out session's token", revoked.accessToken, [4102]],
      ...Object.entries(forgedTokens).map(([name, t]): [string, string, number[]] => [`forged token (${name})`, t, [4100, 4102]]),
    ];
    for (const [name, token, closeCodes] of cases) {
      const client = await LongPollClient.open(server);
      await assert.rejects(client.requestRaw("hello", token === undefined ? { versions: [1] } : { versions: [1], token }));
      assert.ok(closeCodes.includes(client.closeCode ?? 0), `${name}: closed with ${client.closeCode}`);
      assert.equal(client.connectionId, undefined, `${name}: no session`);
      assert.deepEqual(
        client.frames.map((f) => f.type),
        ["error"],
        `${name}: one error, nothing else`,
      );
      assertNoLeak(name, client.frames, outsiderSecrets);
    }
  });

  it("refuses a revoked or forged refresh token", async () => {
    const forged = `${fx.outsider.sessionId}.${randomBytes(32).toString("base64url")}`;
    for (const token of [revoked.refreshToken, forged, `${fx.owner.sessionId}.x`, "garbage"]) {
      const res = await http(server, "POST", "/v1/auth/refresh", { refreshToken: token });
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, "invalid_refresh_token");
    }
  });

  it("left the protected conversation as it was", async () => {
    const view = await sockets.owner.request("conversations.get", { conversationId: fx.group });
    assert.equal(view.lastSeq, fx.groupLastSeq);
    assert.equal(view.title, RENAMED);
    assert.deepEqual(
      view.members.map((m) => m.userId).sort(),
      [fx.owner.user.id, fx.member.user.id, fx.lateMember.user.id].sort(),
    );
    assert.ok(view.members.every((m) => m.role !== "admin"));
  });

  it("left the server as it was: no account deactivated, no setting or invitation changed, the admin's audit log alone", async () => {
    const token = fx.admin.accessToken;
    const users = (await http(server, "GET", "/v1/admin/users?limit=200", undefined, token)).body.users as {
      deactivated?: true;
      admin?: true;
      username: string;
    }[];
    assert.ok(users.length >= 7);
    assert.deepEqual(
      users.filter((u) => u.deactivated),
      [],
    );
    assert.deepEqual(
      users.filter((u) => u.admin).map((u) => u.username),
      [fx.admin.user.username],
    );
    assert.ok(!users.some((u) => u.username.startsWith("authz_")), "no account was created");
    assert.equal((await http(server, "GET", "/v1/admin/settings", undefined, token)).body.registration, "open");
    const [invite] = (await http(server, "GET", "/v1/admin/invites", undefined, token)).body.invites;
    assert.equal(invite.revokedAt, null);
    const { entries } = (await http(server, "GET", "/v1/admin/audit", undefined, token)).body;
    assert.deepEqual(entries.map((e: { action: string; actorId: string | null }) => e.action).sort(), [
      "admin.granted",
      "invite.created",
    ]);
    // The owner's session, which others tried to revoke, still works.
    assert.equal((await http(server, "GET", "/v1/me", undefined, fx.owner.accessToken)).status, 200);
  });
});
