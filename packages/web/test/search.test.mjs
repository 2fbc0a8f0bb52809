// Message search in the web app, in Chromium against a real server: a result shows its snippet with <mark> (markup in
// the message stays text), clicking it opens the conversation at that message (loading the history back to it) and
// highlights it; a user outside the conversation finds nothing.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, eventually, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();
const TARGET = "The <b>rendezvous</b> is at the old mill & nowhere else";

describe("message search in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let sue;
  let tom;
  let eve;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "sue", displayName: "Sue Park" },
        { username: "tom", displayName: "Tom Berg" },
        { username: "eve", displayName: "Eve Stone" },
      ],
      { register: true },
    );
    [sue, tom, eve] = session.users;
  });

  after(async () => {
    await session?.close();
  });

  async function search(user, query) {
    const { page } = user;
    if ((await page.getByRole("searchbox", { name: "Search messages" }).count()) === 0) {
      await page.getByRole("button", { name: "Search messages" }).click();
    }
    const box = page.getByRole("searchbox", { name: "Search messages" });
    await box.fill(query);
    await box.press("Enter");
  }

  it("finds a message with a highlighted snippet and opens it in context, highlighted", async () => {
    await sue.startChat("tom", "Tom Berg");
    await sue.send(TARGET);
    await sue.waitForMessage(TARGET);
    // Enough later messages that the target is no longer in the page the chat opens with.
    const sueUser = await tom.api("GET", "/v1/users/by-username/sue");
    const direct = await tom.api("POST", "/v1/conversations/direct", { userId: sueUser.id });
    for (let i = 1; i <= 90; i++) {
      await tom.api("POST", `/v1/conversations/${direct.id}/messages`, { clientId: `filler-${i}`, body: `Filler ${i}` });
    }
    await sue.page.reload();
    await sue.waitForMessage("Filler 90");
    assert.equal(await sue.messages(TARGET).count(), 0, "the target is not loaded yet");

    await search(sue, "RENDEZVOUS mill");
    const result = sue.page.locator(".search-result").first();
    await result.waitFor();
    assert.equal(await sue.page.locator(".search-result").count(), 1);
    assert.deepEqual(await result.locator("mark").allTextContents(), ["rendezvous", "mill"]);
    // The body's markup is text: no <b> element, the characters are shown.
    assert.equal(await result.locator("b").count(), 0);
    assert.match(
      await result.locator(".search-snippet").textContent(),
      /The <b>rendezvous<\/b> is at the old mill & nowhere else/,
    );
    assert.match(await result.textContent(), /Tom Berg/);

    await result.click();
    const target = sue.messages(TARGET);
    await target.waitFor();
    await eventually("the target highlighted", async () => (await target.getAttribute("data-focused")) === "true");
    await eventually("the target in view", () => inView(sue.page, target));
    // The history between the target and the newest page was loaded too: the timeline has no hole.
    assert.equal(await sue.messages("Filler 1").count(), 1);
  });

  it("searches only the open conversation when asked to, and not other people's conversations", async () => {
    await tom.startChat("eve", "Eve Stone");
    await tom.send("eve, the rendezvous moved");
    await tom.waitForMessage("eve, the rendezvous moved");

    await tom.page.getByRole("button", { name: "Search in this conversation" }).click();
    const scoped = tom.page.getByRole("checkbox");
    assert.equal(await scoped.isChecked(), true, "limited to the conversation it was opened from");
    await search(tom, "rendezvous");
    await tom.page.locator(".search-result").first().waitFor();
    assert.deepEqual(await tom.page.locator(".search-result .search-snippet").allTextContents(), ["eve, the rendezvous moved"]);
    await scoped.uncheck();
    await tom.page.getByRole("button", { name: "Search", exact: true }).click();
    await eventually("both conversations' results", async () => (await tom.page.locator(".search-result").count()) === 2);

    await search(eve, "mill");
    await eve.page.locator(".search-status", { hasText: "No messages found." }).waitFor();
    assert.equal(await eve.page.locator(".search-result").count(), 0);
  });
});

/** Whether the element is entirely inside the visible part of the message list. */
async function inView(page, locator) {
  const box = await locator.first().boundingBox();
  const area = await page.locator(".messages").boundingBox();
  return Boolean(box && area && box.y >= area.y - 1 && box.y + box.height <= area.y + area.height + 1);
}
