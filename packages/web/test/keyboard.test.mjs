// Moving around the web app by keyboard, in Chromium against a real server: Ctrl+K (⌘K) jumps to a conversation by
// name, the arrow keys move through the conversation list (one row in the Tab order), and unread rows are in bold.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

describe("keyboard and list in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;
  let cat;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann_k", displayName: "Ann Lee", device: DESKTOP },
        { username: "bob_k", displayName: "Bob Stone", device: DESKTOP },
        { username: "cat_k", displayName: "Cat Moss", device: DESKTOP },
      ],
      { register: true },
    );
    [ann, bob, cat] = session.users;
    await ann.startChat("bob_k", "Bob Stone");
    await ann.send("hello bob");
    await ann.startChat("cat_k", "Cat Moss");
    await ann.send("hello cat");
    await bob.conversation("Ann Lee").waitFor();
    await cat.conversation("Ann Lee").waitFor();
  });

  after(async () => {
    await session?.close();
  });

  it("Ctrl+K opens a switcher that finds a conversation by name and opens it with Enter", async () => {
    await ann.page.locator(".chat-header h2", { hasText: "Cat Moss" }).waitFor();
    await ann.page.keyboard.press("Control+k");
    const dialog = ann.page.getByRole("dialog", { name: "Jump to a conversation" });
    const field = dialog.getByRole("combobox", { name: "Conversation name" });
    await field.waitFor();
    assert.equal(await field.evaluate((el) => document.activeElement === el), true, "the name field has the focus");
    await field.pressSequentially("sto");
    assert.deepEqual(await dialog.getByRole("option").allTextContents(), ["Bob Stone"]);
    await field.press("Enter");
    await ann.page.locator(".chat-header h2", { hasText: "Bob Stone" }).waitFor();
    assert.equal(await dialog.count(), 0, "the switcher closed");
  });

  it("⌘K works too, the arrow keys choose among matches, and Escape closes it", async () => {
    await ann.page.keyboard.press("Meta+k");
    const dialog = ann.page.getByRole("dialog", { name: "Jump to a conversation" });
    const field = dialog.getByRole("combobox", { name: "Conversation name" });
    await field.waitFor();
    const options = dialog.getByRole("option");
    assert.equal(await options.count(), 2, "every conversation before typing");
    await field.press("ArrowDown");
    assert.equal(await options.nth(1).getAttribute("aria-selected"), "true");
    const target = await options.nth(1).textContent();
    await field.press("Enter");
    await ann.page.locator(".chat-header h2", { hasText: target }).waitFor();
    await ann.page.keyboard.press("Control+k");
    await field.waitFor();
    await field.press("Escape");
    await eventually("Escape closed it", async () => (await dialog.count()) === 0);
  });

  it("the arrow keys move the focus through the list; only one row is in the Tab order", async () => {
    const rows = ann.page.locator(".conversation-item");
    assert.equal(await rows.count(), 2);
    const tabIndexes = await rows.evaluateAll((els) => els.map((el) => el.getAttribute("tabindex")));
    assert.deepEqual(tabIndexes.sort(), ["-1", "0"]);
    const focused = () => ann.page.evaluate(() => document.activeElement?.querySelector(".conversation-title")?.textContent);
    await rows.nth(0).focus();
    const first = await focused();
    await ann.page.keyboard.press("ArrowDown");
    const second = await focused();
    assert.notEqual(second, first);
    assert.equal(await rows.nth(1).getAttribute("tabindex"), "0", "the focused row is the one Tab returns to");
    assert.equal(await rows.nth(0).getAttribute("tabindex"), "-1");
    await ann.page.keyboard.press("ArrowDown");
    assert.equal(await focused(), second, "stays on the last row");
    await ann.page.keyboard.press("Home");
    assert.equal(await focused(), first);
    await ann.page.keyboard.press("End");
    await ann.page.keyboard.press("Enter");
    await ann.page.locator(".chat-header h2", { hasText: second }).waitFor();
  });

  it("shows unread rows in bold and read ones in normal weight", async () => {
    await bob.startChat("cat_k", "Cat Moss");
    const weight = (row) => row.locator(".conversation-title").evaluate((el) => getComputedStyle(el).fontWeight);
    const unread = bob.conversation("Ann Lee");
    assert.equal(await unread.getAttribute("data-unread"), "true");
    assert.equal(await weight(unread), "700");
    await bob.openConversation("Ann Lee");
    await eventually("read once open", async () => (await unread.getAttribute("data-unread")) === "false");
    assert.equal(await weight(unread), "500");
  });
});
