// Message formatting in Chromium against a real server (docs/protocol.md §7.5, "Formatting"): Ctrl+B in the composer
// wraps the selection, the reader sees bold, italic, strikethrough, code, a quote and a list rendered as elements,
// links stay links inside bold, HTML and script links stay text, and the conversation list shows the text without
// markers. The reader is on a phone: the formatted bubble must fit the screen.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, PHONE, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

describe("message formatting in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann_f", displayName: "Ann Format", device: DESKTOP },
        { username: "bob_f", displayName: "Bob Format", device: PHONE },
      ],
      { register: true },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob_f", "Bob Format");
  });

  after(async () => {
    await session?.close();
  });

  it("wraps the selection in bold markers with Ctrl+B and shows a hint while writing", async () => {
    const composer = ann.composer();
    await composer.fill("make this bold");
    assert.ok(await ann.page.locator(".composer-hint").isVisible(), "the syntax hint shows while the field has focus");
    await composer.evaluate((el) => el.setSelectionRange(5, 9));
    await composer.press("Control+b");
    assert.equal(await composer.inputValue(), "make **this** bold");
    assert.deepEqual(await composer.evaluate((el) => [el.selectionStart, el.selectionEnd]), [7, 11], "still selected");
    await composer.press("Control+b");
    assert.equal(await composer.inputValue(), "make this bold", "a second Ctrl+B takes the markers away");
    await composer.press("Control+i");
    assert.equal(await composer.inputValue(), "make _this_ bold");
    await composer.evaluate((el) => el.setSelectionRange(6, 10));
    await composer.press("Control+i");
    await composer.evaluate((el) => el.setSelectionRange(5, 9));
    await composer.press("Control+b");
    await composer.press("Enter");
    await bob.openConversation("Ann Format");
    const strong = bob.page.locator(".message .bubble-text strong", { hasText: "this" });
    await strong.waitFor();
    assert.equal(await strong.evaluate((el) => el.parentElement.textContent), "make this bold", "no markers shown");
  });

  it("renders the set as elements, keeps HTML as text and the list preview without markers", async () => {
    await ann.page.evaluate(() => {
      window.__xss = 0;
    });
    await bob.page.evaluate(() => {
      window.__xss = 0;
    });
    const body = [
      "**Plan** for _today_, ~~not~~ `npm test`:",
      "",
      "> quoted **https://example.org/a_b_c**.",
      "",
      "- one",
      "- two",
      "",
      "1. first",
      "",
      "```",
      "const x = **y**;",
      "```",
      "",
      "<img src=x onerror=window.__xss=1> [x](javascript:window.__xss=2)",
    ].join("\n");
    await ann.composer().fill(body);
    await ann.composer().press("Enter");

    const bubble = bob.page.locator(".message .bubble-text.formatted").last();
    await bubble.waitFor();
    assert.equal(await bubble.locator("strong").first().textContent(), "Plan");
    assert.equal(await bubble.locator("em").first().textContent(), "today");
    assert.equal(await bubble.locator("del").textContent(), "not");
    assert.equal(await bubble.locator("code.fmt-code").textContent(), "npm test");
    const link = bubble.locator("blockquote strong a");
    assert.equal(await link.getAttribute("href"), "https://example.org/a_b_c", "a link inside bold inside a quote");
    assert.deepEqual(await bubble.locator("ul li").allTextContents(), ["one", "two"]);
    assert.deepEqual(await bubble.locator("ol li").allTextContents(), ["first"]);
    assert.equal(await bubble.locator("pre code").textContent(), "const x = **y**;", "markers in code stay text");
    assert.equal(await bubble.locator("img").count(), 0, "HTML is never rendered");
    assert.match(await bubble.textContent(), /<img src=x onerror=window\.__xss=1> \[x\]\(javascript:window\.__xss=2\)/);
    assert.deepEqual(
      await bubble.locator("a").evaluateAll((links) => links.map((a) => a.getAttribute("href"))),
      ["https://example.org/a_b_c"],
      "no javascript: link",
    );
    assert.equal(await bob.page.evaluate(() => window.__xss), 0);

    // On the phone the bubble fits the screen (no sideways scrolling).
    const box = await bubble.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `bubble inside the 390 px screen: ${JSON.stringify(box)}`);
    assert.ok(await bob.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth));

    // Ann's list shows her last message as text without markers.
    await eventually("the preview without markers", async () => {
      const preview = await ann.conversation("Bob Format").locator(".preview-text").textContent();
      return preview?.replace(/\s+/g, " ").startsWith("Plan for today, not npm test: quoted https://example.org/a_b_c.");
    });
  });
});
