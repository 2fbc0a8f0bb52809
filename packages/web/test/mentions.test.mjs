// Mentions in the web app, three users in Chromium against a real server: "@" in the composer offers the group's
// members (keyboard on a desktop, a tap on a phone), the message carries the mention token, everyone sees "@Name" and
// the mentioned user's own mention stands out, and the mentioned user's list row has an "@" marker until they read it.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, PHONE, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

describe("mentions in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;
  let cat;
  let groupId;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann_m", displayName: "Ann Lee", device: DESKTOP },
        { username: "bob_m", displayName: "Bob Stone", device: DESKTOP },
        { username: "cat_m", displayName: "Cat Moss", device: PHONE },
      ],
      { register: true },
    );
    [ann, bob, cat] = session.users;
    // Bob has another chat open, so the group's messages stay unread for him.
    await bob.startChat("cat_m", "Cat Moss");
    await ann.page.getByRole("button", { name: "New group" }).click();
    const dialog = ann.page.getByRole("dialog", { name: "New group" });
    await dialog.getByLabel("Group name").fill("Weekend trip");
    await dialog.getByLabel("Members").fill("bob_m, cat_m");
    await dialog.getByRole("button", { name: "Create group" }).click();
    await ann.page.locator(".chat-header h2", { hasText: "Weekend trip" }).waitFor();
    groupId = new URL(ann.page.url()).pathname.split("/").pop();
    await bob.conversation("Weekend trip").waitFor();
  });

  after(async () => {
    await session?.close();
  });

  it("offers the members after @, moves with the arrow keys and inserts the picked name with Enter", async () => {
    const composer = ann.composer();
    await composer.pressSequentially("Hi @");
    const list = ann.page.getByRole("listbox", { name: "Mention someone" });
    await list.waitFor();
    const options = list.getByRole("option");
    const names = () => list.locator(".mention-option-name").allTextContents();
    assert.deepEqual(await names(), ["Bob Stone", "Cat Moss"], "the members but not oneself");
    assert.equal(await options.nth(0).getAttribute("aria-selected"), "true");
    await composer.press("ArrowDown");
    assert.equal(await options.nth(1).getAttribute("aria-selected"), "true");
    await composer.press("ArrowUp");
    await composer.pressSequentially("bo");
    assert.deepEqual(await names(), ["Bob Stone"], "narrowed by the typed name");
    assert.equal(
      await composer.getAttribute("aria-activedescendant"),
      await options.nth(0).getAttribute("id"),
      "the field names the highlighted option",
    );
    // Frames come late on a loaded machine: a caret placed in a later frame (as it once was) moved back over what
    // was typed meanwhile ("Hi @Bob Stone re you in?a"). Here every frame comes 300 ms late.
    await ann.page.evaluate(() => {
      window.__realFrame = window.requestAnimationFrame;
      window.requestAnimationFrame = (callback) => setTimeout(() => window.__realFrame(callback), 300);
    });
    await composer.press("Enter");
    assert.equal(await composer.inputValue(), "Hi @Bob Stone ", "Enter picked the name and did not send");
    assert.equal(await list.count(), 0, "the list closed");
    await composer.pressSequentially("are");
    await ann.page.waitForTimeout(400);
    await composer.pressSequentially(" you in?");
    await ann.page.evaluate(() => {
      window.requestAnimationFrame = window.__realFrame;
    });
    assert.equal(await composer.inputValue(), "Hi @Bob Stone are you in?", "typed on after the name, in order");
    await composer.press("Enter");
    await ann.page.locator(".message .mention", { hasText: "@Bob Stone" }).waitFor();
  });

  it("stores a mention token in the body, which the server checked", async () => {
    const bobId = (await bob.api("GET", "/v1/me")).id;
    const history = await ann.api("GET", `/v1/conversations/${groupId}/messages`);
    const text = history.messages.filter((m) => m.kind === "text").at(-1);
    assert.equal(text.body, `Hi <@${bobId}> are you in?`);
  });

  it("shows a mention marker on the mentioned user's row until they read it, not on the others'", async () => {
    const row = bob.conversation("Weekend trip");
    await row.locator(".mention-badge").waitFor();
    assert.equal(await row.locator(".mention-badge").getAttribute("title"), "1 unread mention");
    await cat.conversation("Weekend trip").locator(".unread-badge").waitFor();
    assert.equal(await cat.conversation("Weekend trip").locator(".mention-badge").count(), 0);
    // A reload takes the count from the server's conversation list.
    await bob.page.reload();
    await bob.conversation("Weekend trip").locator(".mention-badge").waitFor();
    await bob.openConversation("Weekend trip");
    await eventually("the marker goes once read", async () => (await row.locator(".mention-badge").count()) === 0);
  });

  it("highlights the reader's own mentions, and shows others' as names", async () => {
    const mine = bob.page.locator(".message .mention", { hasText: "@Bob Stone" });
    await mine.waitFor();
    assert.equal(await mine.getAttribute("data-self"), "true");
    assert.equal(await bob.page.locator(".message[data-mentions-me]").count(), 1, "the message itself is marked");
    await cat.openConversation("Weekend trip");
    const theirs = cat.page.locator(".message .mention", { hasText: "@Bob Stone" });
    await theirs.waitFor();
    assert.equal(await theirs.getAttribute("data-self"), null);
    const own = await mine.evaluate((el) => getComputedStyle(el).backgroundColor);
    const other = await theirs.evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(own, other, "one's own mention stands out");
    assert.match(await ann.conversation("Weekend trip").locator(".preview-text").textContent(), /@Bob Stone are you in\?/);
  });

  it("on a phone, a tap on a name picks it and keeps the keyboard up", async () => {
    const composer = cat.composer();
    await composer.tap();
    await composer.pressSequentially("@an");
    const option = cat.page.getByRole("option", { name: /Ann Lee/ });
    const box = await cat.page.getByRole("listbox", { name: "Mention someone" }).boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.y >= 0, `the list is on the screen: ${JSON.stringify(box)}`);
    assert.ok((await option.boundingBox()).height >= 40, "a 40 px tap target");
    await option.tap();
    assert.equal(await composer.inputValue(), "@Ann Lee ");
    assert.equal(await composer.evaluate((el) => document.activeElement === el), true, "the field kept the focus");
    await composer.pressSequentially("yes!");
    await cat.page.getByRole("button", { name: "Send" }).tap();
    const mention = ann.page.locator(".message .mention[data-self]", { hasText: "@Ann Lee" });
    await mention.waitFor();
  });
});
