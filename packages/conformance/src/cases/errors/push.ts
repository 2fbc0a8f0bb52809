// Error cases of push subscriptions: a server without push, and an endpoint push may not reach.

import { type Case, perTransport } from "../../case.js";
import { expectError, Skip } from "../../expect.js";
import { pushEnabled, pushKeys } from "../operations.js";

export const pushErrorCases: Case[] = [
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
];
