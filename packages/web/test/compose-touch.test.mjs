// Pictures seen before sending and the phone's gestures, in Chromium: chosen, pasted or dropped images show as
// thumbnails in the composer with a remove button and the message text as their caption; on a phone (390 × 844, touch)
// a swipe to the right on a message starts a reply to it (a vertical one scrolls), and every control of the main
// screens and dialogs is at least a 40 × 40 px target.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { browserAvailable, DESKTOP, PHONE, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

function png(colour) {
  return sharp({ create: { width: 120, height: 80, channels: 3, background: colour } })
    .png()
    .toBuffer();
}

/** The visible controls inside `scope` (or the page) smaller than 40 × 40 px or reaching outside the 390 px screen. */
async function badTargets(page, scopeSelector = "body") {
  return page.evaluate((selector) => {
    const found = [];
    for (const root of document.querySelectorAll(selector)) {
      for (const control of root.querySelectorAll("button, a[href], input, textarea, select, [role=button], [role=option]")) {
        // A checkbox is pressed through its label: the label is the target.
        const el = control.matches("input[type=checkbox], input[type=radio]") ? (control.closest("label") ?? control) : control;
        const r = el.getBoundingClientRect();
        const style = getComputedStyle(el);
        if (r.width <= 1 || r.height <= 1 || style.visibility === "hidden" || style.display === "none") continue;
        if (el.closest("[inert], [aria-hidden=true]")) continue;
        const what =
          control.getAttribute("aria-label") || el.textContent?.trim() || control.getAttribute("name") || control.className;
        if (r.width < 40 || r.height < 40) found.push(`${what}: ${Math.round(r.width)}×${Math.round(r.height)}`);
        else if (r.left < 0 || r.right > window.innerWidth) found.push(`${what}: off screen ${r.left}…${r.right}`);
      }
    }
    return found;
  }, scopeSelector);
}

/** Drags a finger over `locator` from its left part by `dx`, `dy` in steps, through the DevTools protocol. */
async function swipe(page, locator, dx, dy) {
  const box = await locator.boundingBox();
  const from = { x: box.x + Math.min(30, box.width / 3), y: box.y + box.height / 2 };
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [from] });
  for (let i = 1; i <= 8; i++) {
    const point = { x: from.x + (dx * i) / 8, y: from.y + (dy * i) / 8 };
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [point] });
    await new Promise((resolve) => setTimeout(resolve, 16));
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

describe("pictures before sending, swipes and touch targets in Chromium", {
  skip: !run && "chromium not found",
  timeout: 180_000,
}, () => {
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
  });

  after(async () => {
    await session?.close();
  });

  it("shows chosen and pasted pictures as thumbnails with remove buttons, and sends them with the caption (desktop)", async () => {
    const { page } = ann;
    const files = page.getByRole("list", { name: "Files to send" });
    await page.getByTestId("file-input").setInputFiles([
      { name: "red.png", mimeType: "image/png", buffer: await png("#c00") },
      { name: "blue.png", mimeType: "image/png", buffer: await png("#00c") },
    ]);
    await files.locator(".upload-thumb").nth(1).waitFor();
    const sources = await files.locator(".upload-thumb").evaluateAll((imgs) => imgs.map((i) => [i.src, i.naturalWidth]));
    assert.equal(sources.length, 2);
    for (const [src, width] of sources) {
      assert.match(src, /^blob:/, "a local preview, before the server has it");
      assert.equal(width, 120, "the picture itself");
    }
    assert.equal(await ann.composer().getAttribute("placeholder"), "Add a caption…");
    await files.getByRole("button", { name: "Remove blue.png" }).click();
    assert.equal(await files.locator(".upload-thumb").count(), 1);

    // A screenshot pasted into the composer joins them.
    const pasted = (await png("#0a0")).toString("base64");
    await ann.composer().evaluate((field, data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const transfer = new DataTransfer();
      transfer.items.add(new File([bytes], "screenshot.png", { type: "image/png" }));
      field.dispatchEvent(new ClipboardEvent("paste", { clipboardData: transfer, bubbles: true, cancelable: true }));
    }, pasted);
    await files.locator(".upload-item", { hasText: "screenshot.png" }).locator(".upload-thumb").waitFor();
    await files.locator('.upload-item[data-state="ready"]').nth(1).waitFor();

    await ann.composer().fill("Two pictures");
    await ann.composer().press("Enter");
    await files.waitFor({ state: "detached" });
    const message = bob.messages("Two pictures");
    await message.waitFor();
    assert.equal(await message.locator("img").count(), 2, "Bob gets both pictures with the caption");
  });

  it("previews a picture on a phone inside the screen, with a 40 px remove button", async () => {
    const { page } = bob;
    await page.getByTestId("file-input").setInputFiles({ name: "green.png", mimeType: "image/png", buffer: await png("#0a0") });
    const item = page.locator(".upload-item", { hasText: "green.png" });
    await item.locator(".upload-thumb").waitFor();
    assert.deepEqual(await badTargets(page, ".composer"), []);
    await item.getByRole("button", { name: "Remove green.png" }).tap();
    await item.waitFor({ state: "detached" });
    assert.equal(await bob.composer().getAttribute("placeholder"), "Write a message…");
  });

  it("starts a reply with a swipe to the right on a message; a vertical swipe does not (phone)", async () => {
    const { page } = bob;
    const bubble = bob.messages("Hi from Ann").locator(".bubble-text");
    await swipe(page, bubble, 0, -120);
    assert.equal(await page.locator(".compose-context").count(), 0, "scrolling starts no reply");
    await swipe(page, bubble, 30, 0);
    assert.equal(await page.locator(".compose-context").count(), 0, "a short move starts no reply");
    await swipe(page, bubble, 110, 6);
    await page.locator(".compose-context", { hasText: "Replying to Ann Lee" }).waitFor();
    assert.equal(await bob.messages("Hi from Ann").getAttribute("style"), "", "the message is back in place");
    await bob.send("A swiped reply");
    const reply = ann.messages("A swiped reply");
    await reply.waitFor();
    assert.match(await reply.textContent(), /Hi from Ann/, "Ann sees the quote");
  });

  it("keeps every control of the main screens and dialogs a 40 px target on a phone", async () => {
    const { page } = bob;
    const problems = [];
    const check = async (screen, selector) => {
      for (const p of await badTargets(page, selector)) problems.push(`${screen}: ${p}`);
    };
    await check("chat", "body");
    await page.getByRole("button", { name: "Search in this conversation" }).tap();
    await page.getByRole("searchbox", { name: "Search messages" }).fill("from");
    await page.getByRole("button", { name: "Search", exact: true }).tap();
    await page.getByRole("list", { name: "Search results" }).getByRole("listitem").first().waitFor();
    await check("search in a chat", "body");
    await page.getByRole("button", { name: "Close search" }).tap();
    await page.getByRole("button", { name: "Back to conversations" }).tap();
    await bob.conversation("Ann Lee").waitFor();
    await check("conversation list", "body");
    for (const name of ["New chat", "New group", "Notifications", "Your account"]) {
      await page.getByRole("button", { name, exact: true }).tap();
      const dialog = page.getByRole("dialog", { name });
      await dialog.waitFor();
      await page.waitForTimeout(200);
      await check(name, "dialog[open]");
      await dialog.getByRole("button", { name: "Close" }).first().tap();
      await dialog.waitFor({ state: "detached" });
    }
    assert.deepEqual(problems, []);
  });
});
