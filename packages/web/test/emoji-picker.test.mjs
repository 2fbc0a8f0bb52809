// The full emoji picker in Chromium against a real server: its code and data are not part of the first load (fetched
// when it first opens); in the composer, search by name and the keyboard pick an emoji into the text; on a phone, a
// reaction with an emoji that is not one of the six quick ones, chosen from a category, reaches the other side; the
// picker fits a 390 px screen, and recently used emoji come first the next time.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, longPress, PHONE, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

describe("emoji picker in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;
  /** Script requests of Ann's page, in order. */
  const scripts = [];

  before(async () => {
    session = await startBrowserSession(
      [
        {
          username: "ann_e",
          displayName: "Ann Emoji",
          device: DESKTOP,
          setup: (context) => {
            context.on("request", (request) => {
              if (request.resourceType() === "script") scripts.push(new URL(request.url()).pathname);
            });
          },
        },
        { username: "bob_e", displayName: "Bob Emoji", device: PHONE },
      ],
      { register: true },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob_e", "Bob Emoji");
  });

  after(async () => {
    await session?.close();
  });

  it("loads lazily and picks an emoji into the composer by search and keyboard", async () => {
    assert.ok(scripts.length > 0);
    assert.deepEqual(
      scripts.filter((path) => /EmojiPicker|data-by-group/.test(path)),
      [],
      "the first load carries no picker code or emoji data",
    );
    const composer = ann.composer();
    await composer.fill("Good morning ");
    await ann.page.getByRole("button", { name: "Insert an emoji" }).click();
    const dialog = ann.page.getByRole("dialog", { name: "Pick an emoji" });
    const search = dialog.getByRole("searchbox", { name: "Search emoji" });
    await search.waitFor();
    assert.ok(
      scripts.some((path) => path.includes("data-by-group")),
      "the data came when the picker opened",
    );
    await search.fill("sun with face");
    await dialog.getByRole("button", { name: "sun with face" }).waitFor();
    await search.press("ArrowDown");
    assert.equal(await ann.page.evaluate(() => document.activeElement?.getAttribute("aria-label")), "sun with face");
    await ann.page.keyboard.press("Enter");
    await dialog.waitFor({ state: "detached" });
    assert.equal(await composer.inputValue(), "Good morning 🌞");
    await composer.press("Enter");
    await bob.openConversation("Ann Emoji");
    await bob.waitForMessage("Good morning 🌞");
  });

  it("reacts with any emoji from a category on a phone, and lists it under recently used", async () => {
    const message = bob.messages("Good morning 🌞");
    await longPress(bob.page, message.locator(".bubble-text"));
    const sheet = bob.page.getByRole("dialog", { name: "Message actions" });
    await sheet.getByRole("button", { name: "More emoji" }).click();
    const picker = bob.page.getByRole("dialog", { name: "Pick a reaction" });
    await picker.getByRole("button", { name: "Animals and nature" }).click();
    const fox = picker.getByRole("button", { name: "fox", exact: true });
    const box = await picker.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the picker fits the phone: ${JSON.stringify(box)}`);
    const cell = await fox.boundingBox();
    assert.ok(cell && cell.width >= 40 && cell.height >= 40, `cells are touch targets: ${JSON.stringify(cell)}`);
    await fox.click();
    const chip = ann.messages("Good morning 🌞").locator('.reaction-chip[data-emoji="🦊"]');
    await eventually("Ann sees Bob's 🦊", async () => (await chip.locator(".reaction-count").textContent()) === "1");

    await bob.page.getByRole("button", { name: "Insert an emoji" }).click();
    const again = bob.page.getByRole("dialog", { name: "Pick an emoji" });
    await again.getByRole("button", { name: "Recently used", pressed: true }).waitFor();
    assert.equal(await again.locator(".emoji-cell").first().textContent(), "🦊");
    await again.getByRole("button", { name: "Close" }).click();
  });
});
