// Error cases of edits, deletes, reactions, pins and forwards: the rules of the target, the author, the windows and the
// caps.

import { setTimeout as sleep } from "node:timers/promises";
import { type Case, perTransport } from "../../case.js";
import type { Ctx } from "../../context.js";
import { expectError, expectOk, Skip } from "../../expect.js";

/** A message in a fresh group of alice's (with bob), for the action rules. */
async function target(ctx: Ctx, body = "target"): Promise<{ conversationId: string; seq: number }> {
  const group = await ctx.group([ctx.bob]);
  const ack = await ctx.send(ctx.alice, group.id, body);
  return { conversationId: group.id, seq: ack.seq };
}

export const messageActionErrorCases: Case[] = [
  ...perTransport(
    "messages.send",
    "validation_failed: a mention of someone who is not a member",
    { errors: ["validation_failed"] },
    async (ctx, t) => {
      const body = `hi <@${ctx.carol.id}>`;
      const error = { field: "body", userId: ctx.carol.id };
      expectError(
        await ctx.call(ctx.alice, "messages.send", { conversationId: ctx.direct.id, clientId: ctx.unique("m"), body }, t),
        "validation_failed",
        error,
      );
      const { conversationId, seq } = await target(ctx, `hi <@${ctx.bob.id}>`);
      const edit = { conversationId, seq, clientId: ctx.unique("e"), body };
      expectError(await ctx.call(ctx.alice, "messages.edit", edit, t), "validation_failed", error);
    },
  ),
  ...perTransport("messages.send", "conflict: a clientId already used for an edit", { errors: ["conflict"] }, async (ctx, t) => {
    const { conversationId, seq } = await target(ctx);
    const clientId = ctx.unique("e");
    expectOk(await ctx.call(ctx.alice, "messages.edit", { conversationId, seq, clientId, body: "edited" }, t));
    expectError(await ctx.call(ctx.alice, "messages.send", { conversationId, clientId, body: "again" }, t), "conflict");
  }),
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
  ...perTransport("messages.pin", "message_deleted: pinning a tombstone", { errors: ["message_deleted"] }, async (ctx, t) => {
    const { conversationId, seq } = await target(ctx);
    expectOk(
      await ctx.call(ctx.alice, "messages.delete", { conversationId, seq, clientId: ctx.unique("d"), scope: "everyone" }, "ws"),
    );
    expectError(
      await ctx.call(ctx.bob, "messages.pin", { conversationId, seq, clientId: ctx.unique("p") }, t),
      "message_deleted",
    );
  }),
  ...perTransport("messages.pin", "invalid_target: pinning a system entry", { errors: ["invalid_target"] }, async (ctx, t) => {
    const args = { conversationId: ctx.direct.id, seq: 1, clientId: ctx.unique("p") };
    expectError(await ctx.call(ctx.alice, "messages.pin", args, t), "invalid_target");
  }),
  ...perTransport(
    "messages.unpin",
    "message_not_found: unpinning a seq that does not exist",
    { errors: ["message_not_found"] },
    async (ctx, t) => {
      const args = { conversationId: ctx.direct.id, seq: 1_000_000, clientId: ctx.unique("u") };
      expectError(await ctx.call(ctx.alice, "messages.unpin", args, t), "message_not_found");
    },
  ),
  ...perTransport(
    "messages.forward",
    "message_deleted: forwarding a tombstone",
    { errors: ["message_deleted"] },
    async (ctx, t) => {
      const { conversationId, seq } = await target(ctx);
      expectOk(
        await ctx.call(ctx.alice, "messages.delete", { conversationId, seq, clientId: ctx.unique("d"), scope: "everyone" }, "ws"),
      );
      const args = { conversationId: ctx.direct.id, clientId: ctx.unique("f"), from: { conversationId, seq } };
      expectError(await ctx.call(ctx.alice, "messages.forward", args, t), "message_deleted", { field: "from" });
    },
  ),
  ...perTransport(
    "messages.forward",
    "not_found: forwarding from a conversation the caller never belonged to",
    { errors: ["not_found"] },
    async (ctx, t) => {
      const { conversationId, seq } = await target(ctx);
      const args = { conversationId: ctx.direct.id, clientId: ctx.unique("f"), from: { conversationId, seq } };
      expectError(await ctx.call(ctx.carol, "messages.forward", args, t), "not_found");
    },
  ),
  {
    id: "too_many_pins: one pin too many",
    covers: { errors: ["too_many_pins"] },
    async run(ctx) {
      const group = await ctx.group([ctx.bob]);
      for (let i = 0; i <= 200; i++) {
        const sent = await ctx.send(ctx.alice, group.id, `pin ${i}`);
        const args = { conversationId: group.id, seq: sent.seq, clientId: ctx.unique("p") };
        const outcome = await ctx.call(ctx.alice, "messages.pin", args, "ws");
        if (outcome.error === undefined) continue;
        expectError(outcome, "too_many_pins", { limit: i });
        return;
      }
      throw new Skip("200 pins were accepted: the server's pin limit is higher");
    },
  },
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
];
