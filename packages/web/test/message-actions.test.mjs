// Replies, edits, reactions and deletes in the web app, two users in Chromium against a real server: each action made
// on one side shows on the other (quote, new text with "edited", reaction counts with who, tombstones).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

/** Opens the menu of the message whose text is exactly `text` and picks `item`. */
async function act(user, text, item) {
  const message = user.messages(text).last();
  await message.hover();
  await message.getByRole("button", { name: "Message actions" }).click();
  await user.page.getByRole("menuitem", { name: item, exact: true }).click();
}

describe("message actions in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann", displayName: "Ann Lee", device: DESKTOP },
        { username: "bob", displayName: "Bob Stone", device: DESKTOP },
      ],
      { register: true },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob", "Bob Stone");
    await ann.send("Lunch at noon?");
    await bob.openConversation("Ann Lee");
    await bob.waitForMessage("Lunch at noon?");
  });

  after(async () => {
    await session?.close();
  });

  it("replies with a quote that jumps to the quoted message", async () => {
    await act(bob, "Lunch at noon?", "Reply");
    await bob.page.locator(".compose-context", { hasText: "Replying to Ann Lee" }).waitFor();
    await bob.send("Sounds good");
    await ann.waitForMessage("Sounds good");
    const quote = ann.messages("Sounds good").locator(".bubble-quote");
    assert.match(await quote.textContent(), /Lunch at noon\?/);
    await quote.click();
    await eventually("the quoted message flashes", async () =>
      /\bflash\b/.test((await ann.messages("Lunch at noon?").getAttribute("class")) ?? ""),
    );
    assert.equal(await bob.page.locator(".compose-context").count(), 0, "the reply bar closed after sending");
  });

  it("edits: the other side sees the new text marked edited, quotes included", async () => {
    await act(ann, "Lunch at noon?", "Edit");
    // The composer takes the message's text in an effect after the menu's click has been handled: wait for it.
    await eventually("editing starts from the text", async () => (await ann.composer().inputValue()) === "Lunch at noon?");
    await ann.composer().fill("Lunch at 1pm?");
    await ann.composer().press("Enter");
    await bob.waitForMessage("Lunch at 1pm?");
    await bob.messages("Lunch at 1pm?").locator(".edited-marker").waitFor();
    assert.equal(await bob.messages("Lunch at noon?").count(), 0, "the old text is gone");
    await eventually("the reply's quote follows", async () =>
      /Lunch at 1pm\?/.test(await bob.messages("Sounds good").locator(".bubble-quote").textContent()),
    );
    await ann.messages("Lunch at 1pm?").locator(".edited-marker").waitFor();
  });

  it("reacts: counts and who reacted appear on the other side; a click toggles one's own", async () => {
    await act(bob, "Lunch at 1pm?", "React");
    await bob.page.getByRole("menuitem", { name: "React with 👍" }).click();
    const annChip = ann.messages("Lunch at 1pm?").locator('.reaction-chip[data-emoji="👍"]');
    await eventually("Ann sees Bob's 👍", async () => (await annChip.locator(".reaction-count").textContent()) === "1");
    assert.equal(await annChip.getAttribute("title"), "Bob Stone");
    assert.equal(await annChip.getAttribute("aria-pressed"), "false");

    await annChip.click();
    const bobChip = bob.messages("Lunch at 1pm?").locator('.reaction-chip[data-emoji="👍"]');
    await eventually("Bob sees 2", async () => (await bobChip.locator(".reaction-count").textContent()) === "2");
    // Who reacted, as a list in the app's language (Intl.ListFormat).
    assert.equal(await bobChip.getAttribute("title"), "You and Ann Lee");
    await eventually("Ann's chip pressed", async () => (await annChip.getAttribute("aria-pressed")) === "true");

    await annChip.click();
    await eventually("back to 1", async () => (await bobChip.locator(".reaction-count").textContent()) === "1");
  });

  it("places the menu inside the window and picks a reaction with a real click, whatever message lies under it", async () => {
    await ann.send("One");
    await ann.send("Two");
    await ann.send("Three");
    await bob.waitForMessage("Three");
    const { page } = bob;
    for (const [user, text] of [
      [bob, "Two"],
      [ann, "Two"],
    ]) {
      const message = user.messages(text);
      await message.hover();
      await message.getByRole("button", { name: "Message actions" }).click();
      const menu = user.page.getByRole("menu");
      const box = await menu.boundingBox();
      const inside = box.x >= 0 && box.y >= 0 && box.x + box.width <= 1440 && box.y + box.height <= 900;
      assert.ok(inside, `${user.username}'s menu is inside the window: ${JSON.stringify(box)}`);
      await user.page.locator(".chat-header h2").click();
      await menu.waitFor({ state: "detached" });
    }
    // Bob reacts to "One": the picker opens over "Two" and "Three"; a real mouse click on 👍 must reach the picker.
    await act(bob, "One", "React");
    const thumb = page.getByRole("menuitem", { name: "React with 👍" });
    const at = await thumb.boundingBox();
    await page.mouse.move(at.x + at.width / 2, at.y + at.height / 2, { steps: 4 });
    await page.mouse.click(at.x + at.width / 2, at.y + at.height / 2);
    const chip = ann.messages("One").locator('.reaction-chip[data-emoji="👍"]');
    await eventually("Ann sees Bob's 👍 on One", async () => (await chip.locator(".reaction-count").textContent()) === "1");
    assert.equal(await page.getByRole("menu").count(), 0, "no other message's menu opened");
  });

  it("asks before deleting for everyone; Cancel keeps the message", async () => {
    await act(ann, "Lunch at 1pm?", "Delete for everyone");
    const dialog = ann.page.getByRole("dialog", { name: "Delete for everyone?" });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(await bob.messages("Lunch at 1pm?").count(), 1, "not deleted");
  });

  it("deletes for everyone: a tombstone on both sides, and the quote says deleted", async () => {
    await act(ann, "Lunch at 1pm?", "Delete for everyone");
    await ann.page
      .getByRole("dialog", { name: "Delete for everyone?" })
      .getByRole("button", { name: "Delete for everyone" })
      .click();
    await ann.waitForMessage("This message was deleted");
    await bob.waitForMessage("This message was deleted");
    assert.equal(await bob.messages("Lunch at 1pm?").count(), 0);
    assert.equal(await bob.messages("This message was deleted").locator(".reaction-chip").count(), 0, "reactions went with it");
    await eventually("the reply quotes a deleted message", async () =>
      /Deleted message/.test(await bob.messages("Sounds good").locator(".bubble-quote").textContent()),
    );
  });

  it("deletes for me: only that user's view changes, and it survives a reload", async () => {
    await act(bob, "Sounds good", "Delete for me");
    await bob.waitForMessage("You deleted this message");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(await ann.messages("Sounds good").count(), 1, "Ann still sees it");
    await bob.page.reload();
    await bob.openConversation("Ann Lee");
    await bob.waitForMessage("You deleted this message");
    assert.equal(await bob.messages("Sounds good").count(), 0);
  });
});
