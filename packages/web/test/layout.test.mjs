// What a person sees at a glance on a desktop (1440 × 900) in Chromium: their own name in full in the sidebar, read
// ticks that differ from delivered ones by more than a shade, and no one shown online while this device is offline.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

/** sRGB relative luminance and contrast ratio of two `rgb(…)` colours (WCAG 2). */
function contrast(a, b) {
  const lum = (css) => {
    const [r, g, b] = css
      .match(/[\d.]+/g)
      .slice(0, 3)
      .map((v) => {
        const c = Number(v) / 255;
        return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

describe("at a glance on a desktop in Chromium", { skip: !run && "chromium not found", timeout: 90_000 }, () => {
  let session;
  let ann;
  let bob;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann", displayName: "Annabel Montgomery-Whitfield", device: DESKTOP },
        { username: "bob", displayName: "Bob Stone", device: DESKTOP },
      ],
      { register: true },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob", "Bob Stone");
  });

  after(async () => {
    await session?.close();
  });

  it("shows one's own name in full in the sidebar, beside the actions", async () => {
    const name = ann.page.locator(".me-name");
    assert.equal(await name.textContent(), "Annabel Montgomery-Whitfield");
    const cut = await name.evaluate((el) => el.scrollWidth > el.clientWidth);
    assert.equal(cut, false, "the name is not cut off");
    // Everyone's actions; the administrator of the server (whoever registered first) has one more, "Administration".
    for (const label of ["Search messages", "New chat", "New group", "Notifications", "Your account", "Sign out"]) {
      assert.ok(await ann.page.getByRole("button", { name: label, exact: true }).isVisible(), label);
    }
  });

  it("draws read ticks unlike delivered ones: a filled disc that stands out from the bubble", async () => {
    await ann.send("Delivered first");
    await eventually("delivered", async () => (await ann.tickState("Delivered first")) === "delivered");
    const delivered = await ann
      .messages("Delivered first")
      .locator(".ticks")
      .evaluate((el) => {
        const s = getComputedStyle(el);
        return { background: s.backgroundColor, width: el.getBoundingClientRect().width };
      });
    assert.equal(delivered.background, "rgba(0, 0, 0, 0)", "delivered: no disc");
    await bob.openConversation("Annabel Montgomery-Whitfield");
    await eventually("read", async () => (await ann.tickState("Delivered first")) === "read");
    const read = await ann.messages("Delivered first").evaluate((el) => ({
      disc: getComputedStyle(el.querySelector(".ticks")).backgroundColor,
      bubble: getComputedStyle(el.querySelector(".bubble")).backgroundColor,
      width: el.querySelector(".ticks .icon").getBoundingClientRect().width,
    }));
    assert.notEqual(read.disc, "rgba(0, 0, 0, 0)", "read: a disc");
    assert.ok(contrast(read.disc, read.bubble) >= 3, `the disc stands out from the bubble: ${JSON.stringify(read)}`);
    assert.ok(read.width >= 16, "drawn at 16 px at least");
  });

  it("links a URL up to its balanced closing bracket, leaving the sentence's full stop out", async () => {
    await ann.send("Read https://en.wikipedia.org/wiki/Foo_(bar). Then (see https://example.org/a).");
    const message = bob.messages("Read https://en.wikipedia.org/wiki/Foo_(bar). Then (see https://example.org/a).");
    await message.waitFor();
    const hrefs = await message.locator(".bubble-text a").evaluateAll((links) => links.map((a) => a.getAttribute("href")));
    assert.deepEqual(hrefs, ["https://en.wikipedia.org/wiki/Foo_(bar)", "https://example.org/a"]);
  });

  it("shows nobody online while this device is offline, and live presence again once reconnected", async () => {
    const subtitle = ann.page.locator(".chat-subtitle");
    await eventually("Bob online", async () => (await subtitle.textContent()) === "online");
    const dot = ann.conversation("Bob Stone").locator(".presence-dot");
    assert.equal(await dot.count(), 1);
    await ann.context.setOffline(true);
    await ann.page.getByRole("status").filter({ hasText: "You are offline" }).waitFor();
    await eventually("presence unknown", async () => (await subtitle.textContent()) === "status unknown while offline");
    assert.equal(await dot.count(), 0, "no green dot in the list");
    await ann.context.setOffline(false);
    await eventually("Bob online again", async () => (await subtitle.textContent()) === "online", 15_000);
  });
});
