// Error cases: every error code of §14.1 a client can provoke, over each transport that can carry it.

import { OP_NAMES, type OpName, schemas } from "@parley/protocol";
import { type Case, perTransport } from "../case.js";
import type { Ctx } from "../context.js";
import { EICAR_TEST_FILE } from "../eicar.js";
import { asOutcome, check, expectError, expectErrorBody, expectOk, Skip } from "../expect.js";
import { httpHeadersOnly, httpJson, httpRaw } from "../wire.js";
import { pushEnabled, pushKeys, upload } from "./operations.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A made-up conversation id: well-formed, never issued. */
const MADE_UP = "Cnotaconversation0000000000000";

/**
 * The operations scoped to one conversation (their schema requires `conversationId`), derived from the operation
 * definitions so that a new one is covered by the never-a-member rule without being listed here.
 */
export const CONVERSATION_SCOPED: OpName[] = OP_NAMES.filter((op) =>
  ((schemas[op] as { required?: string[] }).required ?? []).includes("conversationId"),
);

/** Valid arguments of a conversation-scoped operation apart from the conversation (the target exists for alice). */
function scopedArgs(ctx: Ctx, op: OpName, conversationId: string): Record<string, unknown> {
  const rest: Partial<Record<OpName, Record<string, unknown>>> = {
    "conversations.rename": { title: "x" },
    "members.add": { userIds: [ctx.bob.id] },
    "members.remove": { userId: ctx.bob.id },
    "members.setRole": { userId: ctx.bob.id, role: "admin" },
    "messages.send": { clientId: ctx.unique("p"), body: "probe" },
    "messages.history": {},
    "receipts.mark": { read: 1 },
    typing: { typing: true },
    "messages.edit": { seq: 2, clientId: ctx.unique("p"), body: "probe" },
    "messages.delete": { seq: 2, clientId: ctx.unique("p"), scope: "me" },
    "messages.react": { seq: 2, clientId: ctx.unique("p"), emoji: "👍" },
    "conversations.mute": { until: "forever" },
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

/** A message in a fresh group of alice's (with bob), for the action rules. */
async function target(ctx: Ctx, body = "target"): Promise<{ conversationId: string; seq: number }> {
  const group = await ctx.group([ctx.bob]);
  const ack = await ctx.send(ctx.alice, group.id, body);
  return { conversationId: group.id, seq: ack.seq };
}

export const errorCases: Case[] = [
  {
    id: "invalid_json: an undecodable WebSocket frame (rid null, connection stays open)",
    covers: { errors: ["invalid_json"] },
    async run(ctx) {
      const conn = await ctx.connect(ctx.alice);
      try {
        conn.send("{not json");
        expectErrorBody((await conn.answer(null)).error, "invalid_json", {}, "frame");
        expectOk({ op: "ping", transport: "ws", result: (await conn.request("ping")).result });
      } finally {
        conn.close();
      }
    },
  },
  {
    id: "invalid_json: malformed JSON body [http]",
    covers: { errors: ["invalid_json"] },
    async run(ctx) {
      const answer = await httpRaw(ctx.base, "POST", "/v1/sync", {
        headers: { "content-type": "application/json", authorization: `Bearer ${await ctx.alice.token()}` },
        body: "{not json",
      });
      expectError(asOutcome("sync", answer), "invalid_json");
    },
  },
  {
    id: "invalid_json: a body declared text/plain [http]",
    covers: { errors: ["invalid_json"] },
    async run(ctx) {
      const answer = await httpRaw(ctx.base, "POST", "/v1/sync", {
        headers: { "content-type": "text/plain", authorization: `Bearer ${await ctx.alice.token()}` },
        body: '{"cursors":{}}',
      });
      expectError(asOutcome("sync", answer), "invalid_json");
    },
  },
  {
    id: "an empty body declared as JSON means no arguments [http]",
    covers: { ops: ["auth.logout"] },
    async run(ctx) {
      const session = await ctx.login(ctx.bob);
      const answer = await httpRaw(ctx.base, "POST", "/v1/auth/logout", {
        headers: { "content-type": "application/json", authorization: `Bearer ${session.body.accessToken}` },
        body: "",
      });
      expectOk(asOutcome("auth.logout", answer));
    },
  },
  {
    id: "invalid_frame: not an object, and no rid (rid null)",
    covers: { errors: ["invalid_frame"] },
    async run(ctx) {
      const conn = await ctx.connect(ctx.alice);
      try {
        conn.send("[]");
        expectErrorBody((await conn.answer(null)).error, "invalid_frame", {}, "array frame");
        conn.send({ op: "ping", args: {} });
        expectErrorBody((await conn.answer(null)).error, "invalid_frame", { field: "rid" }, "frame without rid");
        conn.send({ rid: "x", op: 5 });
        expectErrorBody((await conn.answer("x")).error, "invalid_frame", { field: "op" }, "frame with a numeric op");
      } finally {
        conn.close();
      }
    },
  },
  {
    id: "invalid_frame: a JSON body that is not an object [http]",
    covers: { errors: ["invalid_frame"] },
    async run(ctx) {
      const answer = await httpRaw(ctx.base, "POST", "/v1/sync", {
        headers: { "content-type": "application/json", authorization: `Bearer ${await ctx.alice.token()}` },
        body: "[]",
      });
      expectError(asOutcome("sync", answer), "invalid_frame");
    },
  },
  {
    id: "unknown_op: an unknown op, and auth.* over the WebSocket",
    covers: { errors: ["unknown_op"] },
    async run(ctx) {
      const conn = await ctx.alice.ws();
      expectErrorBody((await conn.request("no.such.op")).error, "unknown_op", { field: "op" }, "unknown op");
      expectErrorBody((await conn.request("auth.login", { username: "x", password: "y" })).error, "unknown_op", {}, "auth.login");
    },
  },
  ...perTransport("me.update", "validation_failed: an unknown member", { errors: ["validation_failed"] }, async (ctx, t) => {
    expectError(await ctx.call(ctx.alice, "me.update", { displayName: "A", extra: 1 }, t), "validation_failed", {
      field: "extra",
    });
  }),
  {
    id: "validation_failed: an unknown query parameter [http]",
    covers: { errors: ["validation_failed"] },
    async run(ctx) {
      const answer = await httpJson(ctx.base, "GET", "/v1/me?nocache=1", undefined, await ctx.alice.token());
      expectError(asOutcome("me.get", answer), "validation_failed");
    },
  },
  {
    id: "weak_password: a 5-character password [http]",
    covers: { errors: ["weak_password"] },
    async run(ctx) {
      const answer = await httpJson(ctx.base, "POST", "/v1/auth/register", {
        username: ctx.unique("cfw").slice(0, 32),
        password: "short",
      });
      expectError(asOutcome("auth.register", answer), "weak_password", { field: "password" });
    },
  },
  ...perTransport("messages.send", "too_large: a body over limits.maxMessageBytes", { errors: ["too_large"] }, async (ctx, t) => {
    const body = "x".repeat(ctx.limits.maxMessageBytes + 1);
    if (body.length + 200 > ctx.limits.maxFrameBytes && t === "ws")
      throw new Skip("maxMessageBytes is not below maxFrameBytes: an oversized body closes the connection instead");
    const outcome = await ctx.call(
      ctx.alice,
      "messages.send",
      { conversationId: ctx.direct.id, clientId: ctx.unique("big"), body },
      t,
    );
    expectError(outcome, "too_large", { field: "body", limit: ctx.limits.maxMessageBytes });
  }),
  {
    id: "unauthorized: no token, and a forged one [http]",
    covers: { errors: ["unauthorized"] },
    async run(ctx) {
      for (const token of [undefined, "not.a.token"]) {
        const answer = await httpJson(ctx.base, "GET", "/v1/me", undefined, token);
        expectError(asOutcome("me.get", answer), "unauthorized");
        check(/^Bearer realm="parley"/.test(answer.headers.get("www-authenticate") ?? ""), "401 without WWW-Authenticate");
      }
    },
  },
  {
    id: "invalid_credentials: a wrong password and an unknown user answer alike [http]",
    covers: { errors: ["invalid_credentials"] },
    async run(ctx) {
      const wrong = await httpJson(ctx.base, "POST", "/v1/auth/login", {
        username: ctx.carol.username,
        password: "wrong-password",
      });
      expectError(asOutcome("auth.login", wrong), "invalid_credentials");
      const unknown = await httpJson(ctx.base, "POST", "/v1/auth/login", {
        username: ctx.unique("nobody"),
        password: "wrong-password",
      });
      expectError(asOutcome("auth.login", unknown), "invalid_credentials");
    },
  },
  {
    id: "invalid_refresh_token: an unknown refresh token [http]",
    covers: { errors: ["invalid_refresh_token"] },
    async run(ctx) {
      const answer = await httpJson(ctx.base, "POST", "/v1/auth/refresh", { refreshToken: "S_unknown.secret" });
      expectError(asOutcome("auth.refresh", answer), "invalid_refresh_token");
    },
  },
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
  {
    id: "username_taken: registering an existing username [http]",
    covers: { errors: ["username_taken"] },
    async run(ctx) {
      const answer = await httpJson(ctx.base, "POST", "/v1/auth/register", {
        username: ctx.alice.username,
        password: "long-enough-pw",
      });
      expectError(asOutcome("auth.register", answer), "username_taken", { field: "username" });
    },
  },
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
  ...perTransport("messages.send", "conflict: a clientId already used for an edit", { errors: ["conflict"] }, async (ctx, t) => {
    const { conversationId, seq } = await target(ctx);
    const clientId = ctx.unique("e");
    expectOk(await ctx.call(ctx.alice, "messages.edit", { conversationId, seq, clientId, body: "edited" }, t));
    expectError(await ctx.call(ctx.alice, "messages.send", { conversationId, clientId, body: "again" }, t), "conflict");
  }),
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
  {
    id: "already_authenticated: a second hello",
    covers: { errors: ["already_authenticated"] },
    async run(ctx) {
      const conn = await ctx.alice.ws();
      const again = await conn.request("hello", { versions: [1], token: await ctx.alice.token() });
      expectErrorBody(again.error, "already_authenticated", {}, "second hello");
    },
  },
  {
    id: "rate_limited: the login lockout of a username [http]",
    covers: { errors: ["rate_limited"] },
    async run(ctx) {
      const username = ctx.unique("locked");
      for (let attempt = 1; attempt <= 12; attempt++) {
        const answer = await httpJson(ctx.base, "POST", "/v1/auth/login", { username, password: "wrong-password" });
        if (answer.body?.error?.code === "invalid_credentials") continue;
        const error = expectError(asOutcome("auth.login", answer), "rate_limited");
        check(typeof error.retryAfterMs === "number" && error.retryAfterMs > 0, "rate_limited without retryAfterMs");
        check(error.details?.limit === "login" || error.details?.limit === "auth_ip", `details.limit is ${error.details?.limit}`);
        check(Number(answer.headers.get("retry-after")) >= 1, "429 without Retry-After");
        return;
      }
      throw new Skip("12 failed logins of one username were not refused: the server's login lockout is off or higher");
    },
  },
  ...perTransport("messages.edit", "message_not_found: no such seq", { errors: ["message_not_found"] }, async (ctx, t) => {
    const args = { conversationId: ctx.direct.id, seq: 1_000_000, clientId: ctx.unique("e"), body: "x" };
    expectError(await ctx.call(ctx.alice, "messages.edit", args, t), "message_not_found");
  }),
  ...perTransport(
    "messages.react",
    "invalid_target: reacting to a system entry",
    { errors: ["invalid_target"] },
    async (ctx, t) => {
      const args = { conversationId: ctx.direct.id, seq: 1, clientId: ctx.unique("r"), emoji: "👍" };
      expectError(await ctx.call(ctx.alice, "messages.react", args, t), "invalid_target");
    },
  ),
  ...perTransport("messages.edit", "message_deleted: editing a tombstone", { errors: ["message_deleted"] }, async (ctx, t) => {
    const { conversationId, seq } = await target(ctx);
    expectOk(
      await ctx.call(ctx.alice, "messages.delete", { conversationId, seq, clientId: ctx.unique("d"), scope: "everyone" }, "ws"),
    );
    expectError(
      await ctx.call(ctx.alice, "messages.edit", { conversationId, seq, clientId: ctx.unique("e"), body: "x" }, t),
      "message_deleted",
    );
  }),
  ...perTransport("messages.edit", "not_author: editing another's message", { errors: ["not_author"] }, async (ctx, t) => {
    const { conversationId, seq } = await target(ctx);
    expectError(
      await ctx.call(ctx.bob, "messages.edit", { conversationId, seq, clientId: ctx.unique("e"), body: "x" }, t),
      "not_author",
    );
  }),
  {
    id: "window_expired: editing after the edit window",
    covers: { errors: ["window_expired"] },
    async run(ctx) {
      const windowMs = ctx.options.editWindowMs;
      if (windowMs === undefined || windowMs === 0 || windowMs + 1000 > ctx.maxWaitMs)
        throw new Skip("needs --edit-window-ms: the server's PARLEY_EDIT_WINDOW_MS (not announced) short enough to wait for");
      const { conversationId, seq } = await target(ctx);
      await sleep(windowMs + 500);
      const outcome = await ctx.call(
        ctx.alice,
        "messages.edit",
        { conversationId, seq, clientId: ctx.unique("e"), body: "late" },
        "ws",
      );
      expectError(outcome, "window_expired", { windowMs });
    },
  },
  ...perTransport("messages.react", "invalid_emoji: text instead of an emoji", { errors: ["invalid_emoji"] }, async (ctx, t) => {
    const args = { conversationId: ctx.direct.id, seq: 2, clientId: ctx.unique("r"), emoji: "ab" };
    expectError(await ctx.call(ctx.alice, "messages.react", args, t), "invalid_emoji");
  }),
  {
    id: "too_many_reactions: one distinct emoji too many",
    covers: { errors: ["too_many_reactions"] },
    async run(ctx) {
      const { conversationId, seq } = await target(ctx);
      const emojis = [
        ..."😀😃😄😁😆😅😂🤣😊😇🙂🙃😉😌😍🥰😘😗😙😚😋😛😝😜🤪🤨🧐🤓😎🥸🤩🥳😏😒😞😔😟😕🙁😣😖😫😩🥺😢😭😤😠😡🤬🤯😳🥵🥶😱😨😰😥😓🤗🤔",
      ];
      for (const [i, emoji] of emojis.entries()) {
        const outcome = await ctx.call(
          ctx.alice,
          "messages.react",
          { conversationId, seq, clientId: ctx.unique("r"), emoji },
          "ws",
        );
        if (outcome.error === undefined) continue;
        expectError(outcome, "too_many_reactions", { limit: i });
        return;
      }
      throw new Skip(`${emojis.length} distinct emojis were accepted: the server's reaction limit is higher`);
    },
  },
  ...perTransport(
    "push.subscribe",
    "push_disabled: subscribing on a server without push",
    { errors: ["push_disabled"] },
    async (ctx, t) => {
      if (await pushEnabled(ctx)) throw new Skip("push is enabled on this server (push.subscribe succeeds instead)");
      const args = { endpoint: "https://push.example.com/x", keys: pushKeys() };
      expectError(await ctx.call(ctx.carol, "push.subscribe", args, t), "push_disabled");
    },
  ),
  ...perTransport(
    "push.subscribe",
    "invalid_push_subscription: a loopback endpoint",
    { errors: ["invalid_push_subscription"] },
    async (ctx, t) => {
      if (!(await pushEnabled(ctx))) throw new Skip("push is disabled on this server (push_disabled is checked instead)");
      const args = { endpoint: "https://127.0.0.1/push", keys: pushKeys() };
      const outcome = await ctx.call(ctx.carol, "push.subscribe", args, t);
      if (outcome.result) throw new Skip("the server allows private push endpoints (PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS)");
      expectError(outcome, "invalid_push_subscription", { field: "endpoint" });
    },
  ),
  {
    id: "upload_too_large: a Content-Length over limits.maxUploadBytes, refused before the body [http]",
    covers: { errors: ["upload_too_large"] },
    async run(ctx) {
      const answer = await httpHeadersOnly(ctx.base, "POST", "/v1/uploads?name=big.bin", {
        authorization: `Bearer ${await ctx.alice.token()}`,
        "content-type": "application/octet-stream",
        "content-length": String(ctx.limits.maxUploadBytes + 1),
      });
      expectError(asOutcome("uploads.complete", answer), "upload_too_large");
    },
  },
  ...(
    [
      ["empty_upload", "an empty body", "text/plain", "", "a.txt"],
      ["unsupported_media_type", "a multipart form", "multipart/form-data; boundary=x", "--x--", "a.txt"],
      ["content_type_mismatch", "text declared as image/png", "image/png", "just text", "a.png"],
      ["invalid_file_name", "the name ..", "text/plain", "text", ".."],
    ] as const
  ).map(
    ([code, title, type, body, name]): Case => ({
      id: `${code}: ${title} [http]`,
      covers: { errors: [code] },
      async run(ctx) {
        const answer = await httpRaw(ctx.base, "POST", `/v1/uploads?name=${encodeURIComponent(name)}`, {
          headers: { authorization: `Bearer ${await ctx.alice.token()}`, "content-type": type },
          body,
        });
        expectError(asOutcome("uploads.complete", answer), code);
      },
    }),
  ),
  {
    id: "suspicious_image: a 4800×4800 GIF of a few dozen bytes [http]",
    covers: { errors: ["suspicious_image"] },
    async run(ctx) {
      // A well-formed GIF header and image descriptor announcing 23 million pixels, with almost no image data (§17.2).
      const size = [0xc0, 0x12, 0xc0, 0x12];
      const gif = Buffer.from([
        ...Buffer.from("GIF89a"),
        ...size,
        0x80,
        0,
        0,
        ...[0, 0, 0, 255, 255, 255],
        0x2c,
        0,
        0,
        0,
        0,
        ...size,
        0,
        2,
        2,
        0x4c,
        0x01,
        0,
        0x3b,
      ]);
      const answer = await httpRaw(ctx.base, "POST", "/v1/uploads?name=sparse.gif", {
        headers: { authorization: `Bearer ${await ctx.alice.token()}`, "content-type": "image/gif" },
        body: gif,
      });
      expectError(asOutcome("uploads.complete", answer), "suspicious_image");
    },
  },
  {
    id: "upload_infected: the EICAR anti-virus test file [http]",
    covers: { errors: ["upload_infected"] },
    async run(ctx) {
      const answer = await httpRaw(ctx.base, "POST", "/v1/uploads?name=eicar.com.txt", {
        headers: { authorization: `Bearer ${await ctx.alice.token()}`, "content-type": "text/plain" },
        body: EICAR_TEST_FILE,
      });
      if (answer.status === 201) throw new Skip("the server does not scan uploads for malware (PARLEY_CLAMD_ADDRESS)");
      expectError(asOutcome("uploads.complete", answer), "upload_infected");
      check(typeof answer.body?.error?.details?.signature === "string", "upload_infected without details.signature");
    },
  },
  {
    id: "invalid_signature: an altered download URL [http]",
    covers: { errors: ["invalid_signature"] },
    async run(ctx) {
      const file = await upload(ctx, ctx.alice);
      const signed = expectOk(await ctx.call(ctx.alice, "files.sign", { uploadIds: [file.id] }, "ws")).files[0];
      const altered = signed.url.replace(/sig=([^&])/, (_: string, c: string) => `sig=${c === "A" ? "B" : "A"}`);
      expectError(asOutcome("files.sign", await httpRaw(ctx.base, "GET", altered)), "invalid_signature");
      expectError(asOutcome("files.sign", await httpRaw(ctx.base, "GET", `/v1/files/${file.id}`)), "invalid_signature");
    },
  },
  {
    id: "signature_expired: a download URL after expiresAt [http]",
    covers: { errors: ["signature_expired"] },
    async run(ctx) {
      const file = await upload(ctx, ctx.alice);
      const signed = expectOk(await ctx.call(ctx.alice, "files.sign", { uploadIds: [file.id] }, "ws")).files[0];
      const waitMs = signed.expiresAt - Date.now() + 1500;
      if (waitMs > ctx.maxWaitMs)
        throw new Skip(
          `download URLs live ${Math.round(waitMs / 1000)} s here (PARLEY_FILE_URL_TTL_SECONDS), over --max-wait-ms`,
        );
      await sleep(waitMs);
      expectError(asOutcome("files.sign", await httpRaw(ctx.base, "GET", signed.url)), "signature_expired");
    },
  },
  ...perTransport(
    "uploads.presign",
    "not_supported: direct uploads without an object store",
    { errors: ["not_supported"] },
    async (ctx, t) => {
      const outcome = await ctx.call(ctx.alice, "uploads.presign", { name: "a.txt", size: 5 }, t);
      if (outcome.result) throw new Skip("the server offers direct uploads (an S3 store): not_supported cannot be provoked");
      expectError(outcome, "not_supported");
    },
  ),
  {
    id: "range_not_satisfiable: a Range outside the file [http]",
    covers: { errors: ["range_not_satisfiable"] },
    async run(ctx) {
      const file = await upload(ctx, ctx.alice);
      const signed = expectOk(await ctx.call(ctx.alice, "files.sign", { uploadIds: [file.id] }, "ws")).files[0];
      const answer = await httpRaw(ctx.base, "GET", signed.url, { headers: { range: "bytes=1000-2000" } });
      if (answer.status === 302)
        throw new Skip("the server redirects downloads to its object store, which answers ranges itself");
      expectError(asOutcome("files.sign", answer), "range_not_satisfiable");
      check(answer.headers.get("content-range") === `bytes */${file.size}`, "416 without Content-Range: bytes */<size>");
    },
  },
];
