// Sharing files in the web app, in Chromium against a real server: Ann sends a photo (attach button) with a caption,
// Bob sees the preview render at its size and opens the viewer; Bob drops a PDF on the chat, Ann gets its file card
// and downloads it.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { browserAvailable, eventually, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

const PDF = Buffer.from("%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% the plan\ntrailer<</Root 1 0 R>>\n%%EOF\n");

describe("web app: sharing files in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;
  let photo;

  before(async () => {
    photo = await sharp({ create: { width: 640, height: 400, channels: 3, background: { r: 30, g: 120, b: 200 } } })
      .png()
      .toBuffer();
    session = await startBrowserSession(
      [
        { username: "ann", displayName: "Ann Lee" },
        { username: "bob", displayName: "Bob Stone" },
      ],
      { server: { maxUploadBytes: 1_000_000 }, register: true },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob", "Bob Stone");
  });

  after(async () => {
    await session?.close();
  });

  it("sends a photo with the attach button, showing upload progress, and the other side sees it render", async () => {
    await ann.page.getByTestId("file-input").setInputFiles({ name: "lake.png", mimeType: "image/png", buffer: photo });
    const item = ann.page.locator(".upload-item", { hasText: "lake.png" });
    await item.waitFor();
    await ann.page.locator('.upload-item[data-state="ready"]', { hasText: "lake.png" }).waitFor();
    await ann.composer().fill("The lake this morning");
    await ann.composer().press("Enter");
    await ann.page.locator(".upload-item").waitFor({ state: "detached" });
    await ann.waitForMessage("The lake this morning");

    await bob.openConversation("Ann Lee");
    const image = bob.messages("The lake this morning").locator(".attachment-image img");
    await image.waitFor();
    // Laid out at its final size before loading: 640×400 fitted into 280 px.
    const box = await bob.messages("The lake this morning").locator(".attachment-image").boundingBox();
    assert.deepEqual([Math.round(box.width), Math.round(box.height)], [280, 175]);
    await eventually("the thumbnail decoded", () =>
      image.evaluate((img) => img.complete && img.naturalWidth > 0 && img.naturalWidth <= 320),
    );

    await bob.messages("The lake this morning").locator(".attachment-image").click();
    const viewer = bob.page.getByRole("dialog", { name: "lake.png" });
    await viewer.waitFor();
    const full = viewer.locator(".image-viewer-image");
    await eventually("the full image decoded", () => full.evaluate((img) => img.complete && img.naturalWidth === 640));
    assert.match(await viewer.textContent(), /640×400/);
    await bob.page.keyboard.press("Escape");
    await viewer.waitFor({ state: "detached" });
  });

  it("sends a PDF dropped on the chat; the other side gets a file card that downloads it", async () => {
    const dataTransfer = await bob.page.evaluateHandle(
      (bytes) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], "plan.pdf", { type: "application/pdf" }));
        return dt;
      },
      [...PDF],
    );
    const chat = bob.page.locator("section.chat");
    await chat.dispatchEvent("dragover", { dataTransfer });
    await bob.page.locator(".drop-overlay").waitFor();
    await chat.dispatchEvent("drop", { dataTransfer });
    await bob.page.locator('.upload-item[data-state="ready"]', { hasText: "plan.pdf" }).waitFor();
    assert.equal(await bob.page.locator(".drop-overlay").count(), 0);
    await bob.page.getByRole("button", { name: "Send" }).click();

    const card = ann.page.locator(".attachment-file", { hasText: "plan.pdf" });
    await card.waitFor();
    assert.match(await card.textContent(), /application\/pdf/);
    const link = card.getByRole("link", { name: "Download plan.pdf" });
    await link.waitFor();
    const [download] = await Promise.all([ann.page.waitForEvent("download"), link.click()]);
    assert.equal(download.suggestedFilename(), "plan.pdf");
    const path = await download.path();
    const { readFileSync } = await import("node:fs");
    assert.deepEqual(readFileSync(path), PDF);
    // The list preview names the file for a message without text.
    await eventually("preview", async () =>
      /plan\.pdf/.test(await ann.conversation("Bob Stone").locator(".conversation-preview").textContent()),
    );
  });

  it("refuses a file over the limit in the composer without uploading it", async () => {
    const big = Buffer.alloc(1_000_001, 1);
    await ann.page
      .getByTestId("file-input")
      .setInputFiles({ name: "huge.bin", mimeType: "application/octet-stream", buffer: big });
    await ann.page
      .locator('.upload-item[data-state="failed"]', { hasText: "huge.bin" })
      .getByText("Too large: the limit is 977 KB")
      .waitFor();
    await ann.page.getByRole("button", { name: "Remove huge.bin" }).click();
    await ann.page.locator(".upload-item").waitFor({ state: "detached" });
  });

  it("sends an SVG as a file to download, never as an inline image", async () => {
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>';
    await ann.page
      .getByTestId("file-input")
      .setInputFiles({ name: "logo.svg", mimeType: "image/svg+xml", buffer: Buffer.from(svg) });
    await ann.page.locator('.upload-item[data-state="ready"]', { hasText: "logo.svg" }).waitFor();
    await ann.composer().fill("Our logo");
    await ann.composer().press("Enter");
    await bob.waitForMessage("Our logo");
    const message = bob.messages("Our logo");
    const card = message.locator(".attachment-file", { hasText: "logo.svg" });
    await card.waitFor();
    assert.match(await card.textContent(), /image\/svg\+xml/);
    assert.equal(await message.locator("img").count(), 0, "not shown as an image");
    const link = card.getByRole("link", { name: "Download logo.svg" });
    const res = await fetch(new URL(await link.getAttribute("href"), bob.baseUrl));
    assert.match(res.headers.get("content-disposition") ?? "", /^attachment;/);
    assert.equal(await res.text(), svg);
  });

  it("explains a refused upload in plain words", async () => {
    await ann.page
      .getByTestId("file-input")
      .setInputFiles({ name: "photo.png", mimeType: "image/png", buffer: Buffer.from("not a picture at all") });
    const failed = ann.page.locator('.upload-item[data-state="failed"]', { hasText: "photo.png" });
    await failed.getByText("The file's contents do not match its type: it may be damaged or misnamed").waitFor();
    assert.doesNotMatch(await failed.textContent(), /image\/png|text\/plain|declared/);
    await ann.page.getByRole("button", { name: "Remove photo.png" }).click();
  });
});
