// Error cases of requests the server cannot take: undecodable frames and bodies, unknown operations, invalid arguments.

import { type Case, perTransport } from "../../case.js";
import { asOutcome, expectError, expectErrorBody, expectOk, Skip } from "../../expect.js";
import { httpJson, httpRaw } from "../../wire.js";

export const requestErrorCases: Case[] = [
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
];
