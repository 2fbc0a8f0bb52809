// The app on a phone (390 × 844, touch screen) in Chromium: nothing sticks out of the screen or scrolls sideways,
// every control is a 40 px target, a long press opens a message's actions as a bottom sheet, and the jump-to-latest
// button never covers the newest message.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, longPress, PHONE, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

/** Boxes of the visible controls (visually hidden ones, 1 × 1 px, are for screen readers). */
function controlBoxes(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("button, a[href], input, textarea, [role=button]")].flatMap((el) => {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width <= 1 || r.height <= 1 || style.visibility === "hidden" || style.display === "none") return [];
      return [{ what: el.getAttribute("aria-label") || el.textContent?.trim() || el.className, ...r.toJSON() }];
    }),
  );
}

describe("on a phone in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann", displayName: "Ann Lee", device: DESKTOP },
        { username: "bob", displayName: "Bob Stone", device: PHONE },
      ],
      { register: true },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob", "Bob Stone");
    await ann.send("Hi from Ann");
    await bob.openConversation("Ann Lee");
    await bob.waitForMessage("Hi from Ann");
    await bob.send("Hi from Bob");
    await bob.waitForMessage("Hi from Bob");
    await ann.waitForMessage("Hi from Bob");
  });

  after(async () => {
    await session?.close();
  });

  it("keeps every control of the conversation list on screen, at least 40 × 40 px", async () => {
    const { page } = bob;
    await page.getByRole("button", { name: "Back to conversations" }).tap();
    await bob.conversation("Ann Lee").waitFor();
    for (const box of await controlBoxes(page)) {
      assert.ok(box.left >= 0 && box.right <= 390, `${box.what} is on screen: ${box.left}…${box.right}`);
      assert.ok(box.width >= 40 && box.height >= 40, `${box.what} is a 40 px target: ${box.width}×${box.height}`);
    }
    await bob.openConversation("Ann Lee");
  });

  it("keeps every control on screen, at least 40 × 40 px, with nothing to scroll sideways", async () => {
    const { page } = bob;
    const overflow = await page.evaluate(() => ({
      page: document.scrollingElement.scrollWidth - window.innerWidth,
      list: [...document.querySelectorAll(".messages")].map((el) => el.scrollWidth - el.clientWidth),
    }));
    assert.equal(overflow.page, 0, "the page does not scroll sideways");
    assert.deepEqual(overflow.list, [0], "the message list does not scroll sideways");
    const boxes = await controlBoxes(page);
    assert.ok(boxes.length >= 4, JSON.stringify(boxes));
    for (const box of boxes) {
      assert.ok(box.left >= 0 && box.right <= 390, `${box.what} is on screen: ${box.left}…${box.right}`);
      assert.ok(box.width >= 40 && box.height >= 40, `${box.what} is a 40 px target: ${box.width}×${box.height}`);
    }
  });

  it("opens a message's actions with a long press, as a bottom sheet inside the screen", async () => {
    const { page } = bob;
    for (const [text, own] of [
      ["Hi from Ann", false],
      ["Hi from Bob", true],
    ]) {
      await longPress(page, bob.messages(text).locator(".bubble-text"));
      const sheet = page.getByRole("dialog", { name: "Message actions" });
      await sheet.waitFor();
      const box = await sheet.boundingBox();
      assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.y + box.height <= 844 + 1, `${text}: ${JSON.stringify(box)}`);
      assert.ok(box.y + box.height >= 843, "it sits at the bottom of the screen");
      const items = await sheet.getByRole("menuitem").allTextContents();
      assert.equal(items.includes("Edit"), own, `${text}: ${items}`);
      assert.ok(items.includes("Reply"));
      for (const item of await controlBoxes(page)) {
        if (item.what === "Message actions") continue;
        assert.ok(item.left >= 0 && item.right <= 390, `${item.what} on screen`);
      }
      if (!own) {
        await sheet.getByRole("button", { name: "React with 👍" }).tap();
        await sheet.waitFor({ state: "detached" });
        const chip = ann.messages(text).locator('.reaction-chip[data-emoji="👍"]');
        await eventually("Ann sees Bob's 👍", async () => (await chip.locator(".reaction-count").textContent()) === "1");
      } else {
        await sheet.getByRole("menuitem", { name: "Reply" }).tap();
        await page.locator(".compose-context", { hasText: "Replying to yourself" }).waitFor();
        await page.getByRole("button", { name: "Cancel reply" }).tap();
      }
    }
    const overflow = await page.evaluate(() => document.querySelector(".messages").scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, "still nothing to scroll sideways");
  });

  it("shows the jump-to-latest button only where it covers no part of the newest message", async () => {
    const { page } = bob;
    // Long lines: bubbles as wide as the screen allows, under the button's corner.
    const filler = (i) => `Filler ${i}: ${"a long line of chat ".repeat(4).trim()}`;
    for (let i = 1; i <= 14; i++) await (i % 2 ? ann : bob).send(filler(i));
    await bob.waitForMessage(filler(14));
    const list = page.locator(".messages");
    // Scrolled up step by step: wherever the button shows, the newest message is clear of it.
    for (const up of [60, 120, 200, 400]) {
      await list.evaluate((el, px) => {
        el.scrollTop = el.scrollHeight - el.clientHeight - px;
      }, up);
      await page.waitForTimeout(100);
      const overlap = await page.evaluate(() => {
        const button = document.querySelector(".jump-latest");
        if (!button) return null;
        const b = button.getBoundingClientRect();
        const messages = document.querySelectorAll(".messages .message");
        const m = messages[messages.length - 1].getBoundingClientRect();
        return b.left < m.right && m.left < b.right && b.top < m.bottom && m.top < b.bottom;
      });
      assert.notEqual(overlap, true, `scrolled up ${up} px: the button covers the newest message`);
    }
    await page.getByRole("button", { name: "Jump to the latest message" }).tap();
    await eventually("back at the end", async () => list.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight < 4));
  });
});
