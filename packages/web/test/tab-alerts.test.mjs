// Alerts while the app's tab is in the background, in Chromium against a real server: a browser notification and a
// short sound for a new message when the page is hidden, none while it is visible, none in a muted conversation unless
// the message mentions the user and they chose so, none under do not disturb, and each switchable. Chromium grants
// the notification permission through the Playwright context. Headless Chromium has no way to hide a page from the
// DevTools protocol (a page is "visible" until its window is covered), so the page's document.visibilityState is
// emulated by an init script and a `visibilitychange` event, which is what the app listens to. The notifications the
// app shows (through its service worker registration, as push notifications are) and the tones it plays are recorded.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { browserAvailable, DESKTOP, eventually, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

function recordAlerts() {
  window.__hidden = false;
  Object.defineProperty(Document.prototype, "visibilityState", {
    configurable: true,
    get: () => (window.__hidden ? "hidden" : "visible"),
  });
  Object.defineProperty(Document.prototype, "hidden", { configurable: true, get: () => window.__hidden });
  window.__shown = [];
  ServiceWorkerRegistration.prototype.showNotification = async (title, options) => {
    window.__shown.push({ title, body: options.body, tag: options.tag, url: options.data?.url });
  };
  window.__tones = 0;
  const createOscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.__tones++;
    return createOscillator.call(this);
  };
}

describe("background-tab alerts in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;
  let conversationId;

  const setHidden = (hidden) =>
    bob.page.evaluate((h) => {
      window.__hidden = h;
      document.dispatchEvent(new Event("visibilitychange"));
    }, hidden);
  const shown = () => bob.page.evaluate(() => window.__shown);
  const tones = () => bob.page.evaluate(() => window.__tones);
  /** Ann sends; Bob's page has it (his chat is open) and had time to alert. */
  const deliver = async (text) => {
    await ann.send(text);
    await bob.page.locator(".message .bubble-text", { hasText: text }).first().waitFor();
    await sleep(300);
  };
  const notifications = async () => {
    await bob.page.getByRole("button", { name: "Notifications", exact: true }).click();
    return bob.page.getByRole("dialog", { name: "Notifications" });
  };

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann_t", displayName: "Ann Lee", device: DESKTOP },
        {
          username: "bob_t",
          displayName: "Bob Stone",
          device: DESKTOP,
          setup: async (context, url) => {
            await context.grantPermissions(["notifications"], { origin: url });
            await context.addInitScript(recordAlerts);
          },
        },
      ],
      { register: true },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob_t", "Bob Stone");
    await ann.send("hi");
    await bob.openConversation("Ann Lee");
    conversationId = new URL(bob.page.url()).pathname.split("/").pop();
    await bob.waitForMessage("hi");
  });

  after(async () => {
    await session?.close();
  });

  it("a hidden tab shows a notification (tagged like the push one) and plays a tone; a visible one does neither", async () => {
    await setHidden(true);
    await deliver("Are you there?");
    assert.deepEqual(await shown(), [
      { title: "Ann Lee", body: "New message from Ann Lee", tag: conversationId, url: `/c/${conversationId}` },
    ]);
    assert.equal(await tones(), 1);
    await setHidden(false);
    await deliver("now you see me");
    assert.equal((await shown()).length, 1);
    assert.equal(await tones(), 1);
  });

  it("a muted conversation stays quiet, except for a mention when the user chose so", async () => {
    await bob.page.getByRole("button", { name: "Mute notifications" }).click();
    await bob.page.getByRole("button", { name: "Unmute notifications" }).waitFor();
    await setHidden(true);
    await deliver("muted news");
    assert.equal((await shown()).length, 1, "muted: no notification");
    const bobId = (await bob.api("GET", "/v1/me")).id;
    await ann.composer().pressSequentially("@bo");
    await ann.composer().press("Enter");
    await ann.composer().pressSequentially("look at this");
    await ann.composer().press("Enter");
    await bob.page.locator(".message .mention", { hasText: "@Bob Stone" }).first().waitFor();
    await sleep(300);
    assert.equal((await shown()).length, 1, "a mention, but the user did not choose mentions in muted conversations");

    await setHidden(false);
    const dialog = await notifications();
    const choice = dialog.getByLabel("Notify me of mentions even in muted conversations");
    // A server setting: the box shows the new state once the server has answered.
    await choice.click();
    await eventually("the setting is saved", () => choice.isChecked());
    assert.equal((await bob.api("GET", "/v1/settings")).mentionsInMuted, true, "saved on the server for every device");
    await dialog.getByRole("button", { name: "Done" }).click();
    await setHidden(true);
    await ann.api("POST", `/v1/conversations/${conversationId}/messages`, {
      clientId: "mention-2",
      body: `<@${bobId}> again`,
    });
    await bob.page.locator(".message .bubble-text", { hasText: "again" }).waitFor();
    await bob.page.waitForFunction(() => window.__shown.length === 2);
    assert.deepEqual((await shown())[1], {
      title: "Ann Lee",
      body: "Ann Lee mentioned you",
      tag: conversationId,
      url: `/c/${conversationId}`,
    });
  });

  it("do not disturb silences everything, mentions too", async () => {
    await setHidden(false);
    const dialog = await notifications();
    await dialog.getByLabel("Do not disturb").selectOption("forever");
    await bob.page.waitForFunction(() => !document.querySelector("dialog select[disabled]"));
    await dialog.getByRole("button", { name: "Done" }).click();
    await bob.page.getByRole("button", { name: "Unmute notifications" }).click();
    await bob.page.getByRole("button", { name: "Mute notifications" }).waitFor();
    await setHidden(true);
    const before = await tones();
    await deliver("during dnd");
    assert.equal((await shown()).length, 2);
    assert.equal(await tones(), before);
  });

  it("the sound and the notification can each be turned off in this browser", async () => {
    await setHidden(false);
    let dialog = await notifications();
    await dialog.getByLabel("Do not disturb").selectOption("off");
    await bob.page.waitForFunction(() => !document.querySelector("dialog select[disabled]"));
    await dialog.getByLabel("Play a sound for new messages").uncheck();
    await dialog.getByRole("button", { name: "Done" }).click();
    await sleep(2100); // past the gap between two tones
    await setHidden(true);
    const before = await tones();
    await deliver("no tone please");
    assert.equal((await shown()).length, 3, "the notification still shows");
    assert.equal(await tones(), before, "no tone");

    await setHidden(false);
    dialog = await notifications();
    await dialog.getByLabel("Show a notification for new messages").uncheck();
    await dialog.getByLabel("Play a sound for new messages").check();
    await dialog.getByRole("button", { name: "Done" }).click();
    await bob.page.reload();
    await bob.waitForMessage("hi");
    await bob.page.click("body"); // a gesture: browsers allow sound only after one
    await setHidden(true);
    await deliver("tone only");
    assert.deepEqual(await shown(), [], "the choice survived a reload: no notification");
    assert.equal(await tones(), 1);
  });
});
