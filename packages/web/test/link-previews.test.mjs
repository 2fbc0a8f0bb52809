// Link preview cards in Chromium against a real server that may fetch loopback pages (the test-only allowance): the
// first link of a message gets a card with the page's title, site and image; the image comes from the Parley server,
// and the linked site is only ever contacted by the server, never by the browser. A page that cannot be previewed
// shows no card. The reader is on a phone: the card fits the screen. Cards can be turned off in the account dialog.

import assert from "node:assert/strict";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, PHONE, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

const PNG_1x1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

describe("link preview cards in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;
  let site;
  let siteUrl;
  /** User agents of every request the linked site received. */
  const agents = [];

  before(async () => {
    site = createServer((req, res) => {
      agents.push(req.headers["user-agent"] ?? "");
      if (req.url === "/article") {
        res.writeHead(200, { "content-type": "text/html" });
        res.end(
          '<head><meta property="og:title" content="Rivers of the north"><meta property="og:site_name" content="Atlas">' +
            '<meta property="og:description" content="A long read"><meta property="og:image" content="/cover.png"></head>',
        );
      } else if (req.url === "/cover.png") {
        res.writeHead(200, { "content-type": "image/png" });
        res.end(PNG_1x1);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
    siteUrl = `http://127.0.0.1:${site.address().port}`;
    session = await startBrowserSession(
      [
        { username: "ann_l", displayName: "Ann Links", device: DESKTOP },
        { username: "bob_l", displayName: "Bob Links", device: PHONE },
      ],
      { register: true, server: { linkPreviewsAllowPrivate: true } },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob_l", "Bob Links");
    await bob.openConversation("Ann Links");
  });

  after(async () => {
    await session?.close();
    await new Promise((resolve) => site?.close(resolve));
  });

  it("shows a card for the first link, with the image served by Parley, and none for a missing page", async () => {
    await ann.send(`Look: **${siteUrl}/article** and ${siteUrl}/other`);
    const card = bob.page.locator(".message .link-preview").last();
    await card.waitFor();
    assert.equal(await card.locator(".link-preview-title").textContent(), "Rivers of the north");
    assert.equal(await card.locator(".link-preview-site").textContent(), "Atlas");
    assert.equal(await card.getAttribute("href"), `${siteUrl}/article`);
    const image = card.locator("img.link-preview-image");
    const src = await image.getAttribute("src");
    assert.ok(src.startsWith(`${session.server.url}/v1/link-previews/images/`), src);
    await eventually("the image loaded", () => image.evaluate((img) => img.complete && img.naturalWidth > 0));
    const box = await card.boundingBox();
    assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `the card fits the phone: ${JSON.stringify(box)}`);
    // Ann's own message has its card too.
    await ann.page.locator(".message .link-preview").last().waitFor();

    await ann.send(`Broken: ${siteUrl}/missing`);
    await bob.waitForMessage(`Broken: ${siteUrl}/missing`);
    await eventually("the missing page was asked for", () => agents.length >= 3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await bob.messages(`Broken: ${siteUrl}/missing`).locator(".link-preview").count(), 0);

    assert.ok(agents.length > 0);
    assert.ok(
      agents.every((agent) => agent.startsWith("Parley-LinkPreview")),
      `only the server contacted the site: ${JSON.stringify(agents)}`,
    );
  });

  it("hides the cards when turned off in the account dialog, and shows them again when turned on", async () => {
    const page = ann.page;
    assert.ok((await page.locator(".message .link-preview").count()) > 0);
    await page.getByRole("button", { name: "Your account" }).click();
    const dialog = page.getByRole("dialog", { name: "Your account" });
    const toggle = dialog.getByRole("checkbox", { name: "Show a preview card for the first link of a message" });
    assert.equal(await toggle.isChecked(), true, "on by default");
    await toggle.uncheck();
    await eventually("no cards", async () => (await page.locator(".message .link-preview").count()) === 0);
    await dialog.getByRole("button", { name: "Done" }).click();
    await page.reload();
    await page.locator(".message .bubble-text").first().waitFor();
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(await page.locator(".message .link-preview").count(), 0, "the choice is kept in this browser");
    await page.getByRole("button", { name: "Your account" }).click();
    await page
      .getByRole("dialog", { name: "Your account" })
      .getByRole("checkbox", { name: /preview card/ })
      .check();
    await page.locator(".message .link-preview").first().waitFor();
  });
});
