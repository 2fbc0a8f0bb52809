// The README's screenshots, made from a real conversation in Chromium against a real server: Ann's group chat at
// 1440 × 900 on a desktop and the same chat on her phone at 390 × 844, light theme. Each run takes them into the
// server's data directory and checks them; `PARLEY_UPDATE_SCREENSHOT=1` writes docs/screenshot-desktop.png and
// docs/screenshot-phone.png instead (`npm run screenshots`, after `npm run build -w @parley/web`).

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { browserAvailable, DESKTOP, eventually, PHONE, startBrowserSession, User } from "./browser.mjs";

const DOCS = fileURLToPath(new URL("../../../docs/", import.meta.url));
/** The README embeds them: each PNG stays under this many bytes. */
const MAX_PNG_BYTES = 300_000;
const LIGHT = { colorScheme: "light" };

const run = browserAvailable();

/** Opens the menu of the message whose text is exactly `text` and picks `item`. */
async function act(user, text, item) {
  const message = user.messages(text).last();
  await message.hover();
  await message.getByRole("button", { name: "Message actions" }).click();
  await user.page.getByRole("menuitem", { name: item, exact: true }).click();
}

/** Where a screenshot goes: docs/ on request, else the test server's throwaway data directory. */
function target(session, name) {
  return process.env.PARLEY_UPDATE_SCREENSHOT === "1" ? join(DOCS, name) : join(session.server.server.config.dataDir, name);
}

/** PNG width and height from the IHDR chunk. */
function pngSize(png) {
  assert.equal(png.subarray(1, 4).toString("latin1"), "PNG");
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

describe("README screenshots", { skip: !run && "chromium not found", timeout: 180_000 }, () => {
  let session;
  let ann;
  let bob;
  let cat;
  let dan;
  let annPhone;

  /** The others, opened one after the other (four pages loading at once time out on a busy machine). */
  const others = [];

  before(async () => {
    session = await startBrowserSession([{ username: "ann", displayName: "Ann Lee", device: { ...DESKTOP, ...LIGHT } }]);
    [ann] = session.users;
    for (const [username, displayName] of [
      ["bob", "Bob Stone"],
      ["cat", "Cat Rivera"],
      ["dan", "Dan Brooks"],
    ]) {
      others.push(await User.open(session.browser, session.server.url, username, displayName, DESKTOP.viewport));
    }
    [bob, cat, dan] = others;
    for (const user of [ann, bob, cat, dan]) await user.register();
  });

  after(async () => {
    await session?.close();
    for (const user of others) assert.deepEqual(user.errors, [], `uncaught errors in ${user.username}'s page`);
    assert.deepEqual(annPhone?.errors ?? [], [], "uncaught errors on Ann's phone");
  });

  it("builds a realistic conversation", async () => {
    // Earlier chats in Ann's list: one read, one with two unread messages.
    await dan.startChat("ann", "Ann Lee");
    await dan.send("Climbing gym on Thursday?");
    await ann.openConversation("Dan Brooks");
    await ann.send("Yes! 7pm as usual");
    await dan.waitForMessage("Yes! 7pm as usual");

    await ann.page.getByRole("button", { name: "New group" }).click();
    const dialog = ann.page.getByRole("dialog", { name: "New group" });
    await dialog.getByLabel("Group name").fill("Weekend trip");
    await dialog.getByLabel("Members").fill("bob, cat");
    await dialog.getByRole("button", { name: "Create group" }).click();
    await ann.page.locator(".chat-header h2", { hasText: "Weekend trip" }).waitFor();
    await bob.openConversation("Weekend trip");
    await cat.openConversation("Weekend trip");

    await ann.send("Cabin or tents this weekend?");
    await bob.waitForMessage("Cabin or tents this weekend?");
    await bob.send("Cabin! It's supposed to rain all weekend.");
    await cat.waitForMessage("Cabin! It's supposed to rain all weekend.");
    await cat.send("Agreed, cabin. I can drive.");
    await cat.send("Leaving at 9 on Saturday?");
    await ann.waitForMessage("Leaving at 9 on Saturday?");
    await act(ann, "Leaving at 9 on Saturday?", "Reply");
    await ann.send("9 works for me");
    await ann.send("Perfect, I'll book the one by the lake and share the link tonight.");
    await bob.waitForMessage("Perfect, I'll book the one by the lake and share the link tonight.");
    await act(bob, "Perfect, I'll book the one by the lake and share the link tonight.", "React");
    // (Emoji the machine's fonts draw: Debian's Chromium has no colour emoji font by default.)
    await bob.page.getByRole("menuitem", { name: "React with ❤️" }).click();
    await act(cat, "Cabin! It's supposed to rain all weekend.", "React");
    await cat.page.getByRole("menuitem", { name: "React with 😂" }).click();
    await ann.page.locator(".receipt-text", { hasText: "Read by 2 of 2" }).waitFor();
    await ann.messages("Perfect, I'll book the one by the lake and share the link tonight.").locator(".reaction-chip").waitFor();

    // Cat also writes to Ann directly, unread: the list shows a badge.
    await cat.startChat("ann", "Ann Lee");
    await cat.send("Can I borrow your sleeping bag?");
    await cat.send("Mine has a broken zip");
    await ann.conversation("Cat Rivera").locator(".unread-badge", { hasText: "2" }).waitFor();
  });

  it("takes the desktop screenshot (1440 × 900)", async () => {
    await bob.composer().fill("Great, I'll bring");
    await ann.page.locator(".chat-subtitle", { hasText: "Bob Stone is typing…" }).waitFor();
    await ann.page.mouse.move(0, 0);
    const png = await ann.page.screenshot({ path: target(session, "screenshot-desktop.png"), animations: "disabled" });
    assert.deepEqual(pngSize(png), { width: 1440, height: 900 });
    assert.ok(png.length > 20_000 && png.length < MAX_PNG_BYTES, `desktop screenshot is ${png.length} bytes`);
  });

  it("takes the phone screenshot (390 × 844)", async () => {
    // Ann again, on her phone.
    annPhone = await User.open(session.browser, session.server.url, "ann", "Ann Lee", PHONE.viewport, undefined, {
      ...PHONE,
      ...LIGHT,
    });
    await annPhone.login();
    const { page } = annPhone;
    await annPhone.openConversation("Weekend trip");
    await annPhone.waitForMessage("Perfect, I'll book the one by the lake and share the link tonight.");
    // Typing is news only while it lasts: Bob starts again now that the phone is in the chat.
    await bob.composer().fill("");
    await bob.composer().fill("Great, I'll bring");
    await page.locator(".chat-subtitle", { hasText: "Bob Stone is typing…" }).waitFor();
    await eventually("the newest message in view", async () =>
      page
        .locator(".message")
        .last()
        .evaluate((el) => el.getBoundingClientRect().bottom <= window.innerHeight),
    );
    // One image pixel per CSS pixel (the phone renders at twice that), which keeps the PNG under the budget.
    const png = await page.screenshot({ path: target(session, "screenshot-phone.png"), animations: "disabled", scale: "css" });
    assert.deepEqual(pngSize(png), { width: 390, height: 844 });
    assert.ok(png.length > 20_000 && png.length < MAX_PNG_BYTES, `phone screenshot is ${png.length} bytes`);
    await bob.composer().fill("");
  });
});
