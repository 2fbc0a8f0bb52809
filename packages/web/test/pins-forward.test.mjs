// Pins, forwards, drafts across reloads and ↑ to edit in the web app (issue 19): Ann on a desktop window, Bob on a
// phone, Cat on a desktop window, against a real server.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkThemes } from "./axe.mjs";
import { browserAvailable, DESKTOP, eventually, longPress, PHONE, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

/** Opens the desktop menu of the message whose text is exactly `text` and picks `item`. */
async function act(user, text, item) {
  const message = user.messages(text).last();
  await message.hover();
  await message.getByRole("button", { name: "Message actions" }).click();
  await user.page.getByRole("menuitem", { name: item, exact: true }).click();
}

describe("pins, forwards and drafts in Chromium", { skip: !run && "chromium not found", timeout: 180_000 }, () => {
  let session;
  let ann;
  let bob;
  let cat;

  before(async () => {
    session = await startBrowserSession(
      [
        // axe is injected as a script: the app's Content-Security-Policy would refuse it.
        { username: "ann", displayName: "Ann Lee", device: { ...DESKTOP, bypassCSP: true } },
        { username: "bob", displayName: "Bob Stone", device: PHONE },
        { username: "cat", displayName: "Cat Moss", device: DESKTOP },
      ],
      { register: true },
    );
    [ann, bob, cat] = session.users;
    await ann.startChat("cat", "Cat Moss");
    await ann.send("Hello Cat");
    await ann.startChat("bob", "Bob Stone");
    await ann.send("Meeting notes are in the wiki");
    await ann.send("Second thought");
    await bob.openConversation("Ann Lee");
    await bob.waitForMessage("Second thought");
  });

  after(async () => {
    await session?.close();
  });

  it("pins from the menu; both sides see the count in the header, the list jumps to the message; unpin removes it", async () => {
    await act(ann, "Meeting notes are in the wiki", "Pin");
    const annPins = ann.page.getByRole("button", { name: "1 pinned message" });
    const bobPins = bob.page.getByRole("button", { name: "1 pinned message" });
    await annPins.waitFor();
    await bobPins.waitFor();
    const box = await bobPins.boundingBox();
    assert.ok(box.width >= 40 && box.height >= 40, `a 40 px target on the phone: ${JSON.stringify(box)}`);
    assert.ok(box.x >= 0 && box.x + box.width <= 390, "inside the phone's screen");

    await bobPins.tap();
    const list = bob.page.getByRole("dialog", { name: "Pinned messages" });
    await list.waitFor();
    const item = list.getByRole("button", { name: /Meeting notes are in the wiki/ });
    assert.match(await item.textContent(), /Pinned by Ann Lee/);
    const dialogBox = await list.boundingBox();
    assert.ok(dialogBox.x >= 0 && dialogBox.x + dialogBox.width <= 390, "the list fits the phone's screen");
    await item.tap();
    await list.waitFor({ state: "detached" });
    await eventually(
      "the pinned message is highlighted",
      async () => (await bob.messages("Meeting notes are in the wiki").getAttribute("data-focused")) === "true",
    );

    // On the phone: a long press opens the sheet, whose Pin item pins a second message.
    await longPress(bob.page, bob.messages("Second thought").locator(".bubble-text"));
    const sheet = bob.page.getByRole("dialog", { name: "Message actions" });
    await sheet.getByRole("menuitem", { name: "Pin", exact: true }).tap();
    await ann.page.getByRole("button", { name: "2 pinned messages" }).waitFor();
    await ann.page.getByRole("button", { name: "2 pinned messages" }).click();
    const annList = ann.page.getByRole("dialog", { name: "Pinned messages" });
    const texts = await annList.locator(".pinned-text").allTextContents();
    assert.deepEqual(texts, ["Second thought", "Meeting notes are in the wiki"], "newest pin first");
    assert.deepEqual(await checkThemes(ann.page, "pinned messages"), []);
    await annList.getByRole("button", { name: "Unpin the message of Ann Lee" }).first().click();
    await bob.page.getByRole("button", { name: "1 pinned message" }).waitFor();
    await annList.getByRole("button", { name: "Close" }).click();

    await act(ann, "Meeting notes are in the wiki", "Unpin");
    await eventually("no pins left on Bob's side", async () => (await bob.page.locator(".pinned-button").count()) === 0);
  });

  it("forwards a message to another conversation through a picker; the copy shows as forwarded", async () => {
    await act(ann, "Meeting notes are in the wiki", "Forward");
    const picker = ann.page.getByRole("dialog", { name: "Forward to…" });
    await picker.getByLabel("Find a conversation").waitFor();
    assert.deepEqual(await checkThemes(ann.page, "forward picker"), []);
    await picker.getByLabel("Find a conversation").fill("cat");
    await picker.getByRole("button", { name: "Cat Moss" }).click();
    await ann.page.locator(".chat-header h2", { hasText: "Cat Moss" }).waitFor();
    await ann.waitForMessage("Meeting notes are in the wiki");
    await cat.openConversation("Ann Lee");
    await cat.waitForMessage("Meeting notes are in the wiki");
    const copy = cat.messages("Meeting notes are in the wiki");
    assert.equal(await copy.locator(".forwarded-label").textContent(), "Forwarded");
    await eventually(
      "Ann's copy is marked too once stored",
      async () => (await ann.messages("Meeting notes are in the wiki").locator(".forwarded-label").count()) === 1,
    );
  });

  it("keeps a draft across chats and reloads, marks it in the list, and clears it on send", async () => {
    const { page } = ann;
    await ann.openConversation("Bob Stone");
    await ann.composer().fill("Half a thought");
    await ann.openConversation("Cat Moss");
    const row = ann.conversation("Bob Stone");
    await row.locator(".preview-draft", { hasText: "Draft:" }).waitFor();
    assert.match(await row.locator(".conversation-preview").textContent(), /Draft: Half a thought/);
    assert.deepEqual(await checkThemes(page, "draft marker and forwarded copy"), []);

    await page.reload();
    await ann.conversation("Bob Stone").locator(".preview-draft").waitFor();
    await ann.openConversation("Bob Stone");
    assert.equal(await ann.composer().inputValue(), "Half a thought", "the draft survived the reload");
    await ann.composer().press("Enter");
    await bob.waitForMessage("Half a thought");
    await ann.openConversation("Cat Moss");
    await eventually("the marker is gone once sent", async () => (await row.locator(".preview-draft").count()) === 0);
    const stored = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("parley.drafts.")));
    assert.deepEqual(stored, [], "nothing left in storage");
  });

  it("↑ in an empty composer edits one's last message", async () => {
    await ann.openConversation("Bob Stone");
    await ann.composer().press("ArrowUp");
    await ann.page.locator(".compose-context", { hasText: "Editing message" }).waitFor();
    await eventually("editing starts from the text", async () => (await ann.composer().inputValue()) === "Half a thought");
    await ann.composer().fill("A whole thought");
    await ann.composer().press("Enter");
    await bob.waitForMessage("A whole thought");
    await ann.composer().fill("x");
    await ann.composer().press("ArrowUp");
    assert.equal(await ann.page.locator(".compose-context").count(), 0, "↑ with text in the field only moves the caret");
    await ann.composer().fill("");
  });

  it("removes the user's drafts from the browser on sign-out", async () => {
    const { page } = cat;
    await cat.composer().fill("Unsent words");
    await eventually("saved", () => page.evaluate(() => Object.keys(localStorage).some((k) => k.startsWith("parley.drafts."))));
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    const left = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith("parley.drafts.")));
    assert.deepEqual(left, []);
  });
});
