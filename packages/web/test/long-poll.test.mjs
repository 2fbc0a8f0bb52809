// The web app where WebSockets cannot pass (a proxy that closes them, a policy that forbids them): the SDK falls back
// to long polling and two users still chat, with receipts and typing, in Chromium against a real server.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, eventually, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

describe("web app with WebSockets blocked", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;
  const longPolls = { ann: 0, bob: 0 };

  before(async () => {
    session = await startBrowserSession([
      { username: "ann", displayName: "Ann Lee" },
      { username: "bob", displayName: "Bob Stone" },
    ]);
    [ann, bob] = session.users;
    // Ann is behind a proxy that accepts WebSocket upgrades and closes them at once; Bob's browser forbids WebSockets.
    await ann.context.routeWebSocket(/.*/, (ws) => ws.close());
    await bob.context.addInitScript(() => {
      window.WebSocket = function BlockedWebSocket() {
        throw new DOMException("WebSockets are disabled by policy", "SecurityError");
      };
    });
    for (const [name, user] of [
      ["ann", ann],
      ["bob", bob],
    ]) {
      user.page.on("request", (request) => {
        if (request.url().includes("/v1/lp/")) longPolls[name]++;
      });
      await user.page.reload();
    }
  });

  after(async () => {
    await session?.close();
  });

  it("falls back to long polling, and two users chat with delivered and read ticks and typing", async () => {
    await Promise.all([ann.register(), bob.register()]);
    await ann.startChat("bob", "Bob Stone");
    await ann.send("Can you read me without WebSockets?");
    await bob.conversation("Ann Lee").locator(".unread-badge", { hasText: "1" }).waitFor();
    await eventually("delivered ticks", async () => (await ann.tickState("Can you read me without WebSockets?")) === "delivered");

    await bob.openConversation("Ann Lee");
    await bob.waitForMessage("Can you read me without WebSockets?");
    await eventually("read ticks", async () => (await ann.tickState("Can you read me without WebSockets?")) === "read");

    await bob.composer().fill("Loud");
    await ann.page.locator(".chat-subtitle", { hasText: "typing…" }).waitFor();
    await bob.composer().fill("Loud and clear, over long polling");
    await bob.composer().press("Enter");
    await ann.waitForMessage("Loud and clear, over long polling");
    await ann.send("Great");
    await bob.waitForMessage("Great");
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const user of [ann, bob]) {
      for (const text of ["Can you read me without WebSockets?", "Loud and clear, over long polling", "Great"]) {
        assert.equal(await user.messages(text).count(), 1, `${user.username} shows "${text}" once`);
      }
    }
    assert.ok(longPolls.ann > 0 && longPolls.bob > 0, `both long-polled (${JSON.stringify(longPolls)})`);
  });
});
