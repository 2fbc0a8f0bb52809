// Push notifications in the web app, end to end in Chromium: Bob turns notifications on (permission, service worker,
// subscription with the server's VAPID key, registration with the server), mutes one conversation and closes his tab;
// Ann writes in both. The test's push service receives, verifies and decrypts one notification naming the direct
// chat, and none for the muted group. Chromium cannot reach a real push service here, so PushManager.subscribe is
// stubbed to return a subscription on the test's push service with keys the test holds; everything else is the app's
// real code path.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TestPushService } from "@parley/server/testing";
import { browserAvailable, eventually, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();
const GRACE_MS = 300;
const COALESCE_MS = 300;

describe("web push in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let server;
  let pushService;
  let subscription;
  let ann;
  let bob;

  before(async () => {
    pushService = await TestPushService.start();
    subscription = pushService.subscription();
    session = await startBrowserSession(
      [
        { username: "ann_p", displayName: "Ann Lee" },
        {
          username: "bob_p",
          displayName: "Bob Stone",
          setup: async (context, url) => {
            await context.grantPermissions(["notifications"], { origin: url });
            await context.addInitScript((sub) => {
              let current = null;
              PushManager.prototype.getSubscription = async () => current;
              PushManager.prototype.subscribe = async (options) => {
                const key = new Uint8Array(options.applicationServerKey);
                window.__applicationServerKey = btoa(String.fromCharCode(...key))
                  .replace(/\+/g, "-")
                  .replace(/\//g, "_")
                  .replace(/=+$/, "");
                current = {
                  endpoint: sub.endpoint,
                  expirationTime: null,
                  options: { applicationServerKey: options.applicationServerKey, userVisibleOnly: options.userVisibleOnly },
                  toJSON: () => ({ endpoint: sub.endpoint, expirationTime: null, keys: sub.keys }),
                  unsubscribe: async () => {
                    current = null;
                    return true;
                  },
                };
                return current;
              };
            }, subscription);
          },
        },
      ],
      { server: { presenceGraceMs: GRACE_MS, pushCoalesceMs: COALESCE_MS, pushAllowPrivateEndpoints: true } },
    );
    server = session.server;
    [ann, bob] = session.users;
  });

  after(async () => {
    await session?.close();
    await pushService?.close();
  });

  it("notifies a user who closed the tab, and not for a muted conversation", async () => {
    await Promise.all([ann.register(), bob.register()]);
    await ann.startChat("bob_p", "Bob Stone");
    await ann.send("Hello Bob");
    await bob.openConversation("Ann Lee");
    const direct = new URL(bob.page.url()).pathname.replace("/c/", "");

    await ann.page.getByRole("button", { name: "New group" }).click();
    const dialog = ann.page.getByRole("dialog", { name: "New group" });
    await dialog.getByLabel("Group name").fill("Quiet room");
    await dialog.getByLabel("Members").fill("bob_p");
    // Picked from the people found: a click on "Create group" while the list is open lands on a button that moves up
    // when the field's blur closes the list.
    await dialog.getByRole("option", { name: /Bob Stone/ }).click();
    await dialog.locator(".chip", { hasText: "@bob_p" }).waitFor();
    await dialog.getByRole("button", { name: "Create group" }).click();
    await ann.page.locator(".chat-header h2", { hasText: "Quiet room" }).waitFor();
    const group = new URL(ann.page.url()).pathname.replace("/c/", "");

    // Bob turns notifications on: permission (granted by the context), service worker, subscription, server.
    await bob.page.getByRole("button", { name: "Notifications", exact: true }).click();
    const settings = bob.page.getByRole("dialog", { name: "Notifications" });
    await settings.getByRole("button", { name: "Enable notifications" }).click();
    await settings.getByRole("button", { name: "Turn off on this device" }).waitFor();
    await settings.getByRole("button", { name: "Done" }).click();
    const vapidKey = (await (await fetch(`${server.url}/v1/push/config`, { headers: await bob.bearer() })).json()).vapidPublicKey;
    assert.equal(await bob.page.evaluate(() => window.__applicationServerKey), vapidKey, "subscribed with the server's key");
    assert.equal(
      await bob.page.evaluate(async () => (await navigator.serviceWorker.ready).active?.scriptURL),
      `${server.url}/sw.js`,
      "the service worker is active",
    );

    // Bob mutes the group.
    await bob.openConversation("Quiet room");
    await bob.page.getByRole("button", { name: "Mute notifications" }).click();
    await bob.page.getByRole("button", { name: "Unmute notifications" }).waitFor();

    // Bob closes his tab; Ann writes in both conversations.
    await bob.page.close();
    await ann.openConversation("Quiet room");
    await ann.send("Nobody hears this");
    await ann.openConversation("Bob Stone");
    await ann.send("Are you there?");

    await pushService.waitFor(() => pushService.delivered(subscription.endpoint).length > 0, 10_000, "Bob's notification");
    const [push] = pushService.delivered(subscription.endpoint);
    assert.equal(push.payload.conversationId, direct);
    assert.equal(push.payload.title, "Ann Lee");
    assert.equal(push.payload.body, "New message from Ann Lee");
    assert.equal(push.payload.url, `/c/${direct}`);
    assert.equal(push.vapidKey, vapidKey);
    assert.deepEqual(pushService.rejected, []);
    await new Promise((resolve) => setTimeout(resolve, GRACE_MS + COALESCE_MS + 700));
    assert.deepEqual(
      pushService.delivered(subscription.endpoint).map((p) => p.payload.conversationId),
      [direct],
      "nothing for the muted group",
    );
    assert.notEqual(group, direct);

    // The notification's URL opens the conversation (what a click on it does when no tab is open).
    const page = await bob.context.newPage();
    await page.goto(push.payload.url);
    await page.locator(".chat-header h2", { hasText: "Ann Lee" }).waitFor();
    await eventually("the message", () => page.locator(".bubble-text", { hasText: "Are you there?" }).count());
  });
});
