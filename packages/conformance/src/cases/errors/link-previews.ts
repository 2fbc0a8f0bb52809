// Errors of links.preview (§6.16): previews turned off, and a page that cannot be previewed.

import { type Case, perTransport } from "../../case.js";
import { expectError, Skip } from "../../expect.js";
import { startPageServer } from "../../pages.js";

export const linkPreviewErrorCases: Case[] = [
  ...perTransport(
    "links.preview",
    "link_previews_disabled: on a server with link previews off",
    { errors: ["link_previews_disabled"] },
    async (ctx, t) => {
      const outcome = await ctx.call(ctx.carol, "links.preview", { url: "https://example.org/" }, t);
      if (outcome.error?.code !== "link_previews_disabled") throw new Skip("link previews are on here (PARLEY_LINK_PREVIEWS=on)");
      expectError(outcome, "link_previews_disabled");
    },
  ),
  ...perTransport(
    "links.preview",
    "link_preview_unavailable: a page that answers 404 (or a loopback host the server refuses)",
    { errors: ["link_preview_unavailable"] },
    async (ctx, t) => {
      const pages = await startPageServer();
      try {
        const outcome = await ctx.call(ctx.carol, "links.preview", { url: `${pages.url}/missing-${ctx.unique("p")}` }, t);
        if (outcome.error?.code === "link_previews_disabled") throw new Skip("link previews are off on this server");
        const error = expectError(outcome, "link_preview_unavailable");
        const reason = error.details?.reason;
        if (reason !== "status" && reason !== "blocked") throw new Error(`details.reason is ${JSON.stringify(reason)}`);
      } finally {
        await pages.close();
      }
    },
  ),
];
