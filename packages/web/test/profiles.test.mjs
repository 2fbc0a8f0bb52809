// Profiles in Chromium, on a desktop and a phone (touch): a profile picture uploaded from the account dialog shows
// wherever the person shows (the other side sees it arrive and go without reloading), a new display name too; people
// are found by part of their name in the new-chat, new-group and add-member fields; a tap on someone's picture opens
// their profile with a button to message them. The new dialogs pass axe with no serious finding and keep 40 px targets.

import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { browserAvailable, DESKTOP, eventually, PHONE, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();
const AXE_PATH = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

/** A 600 × 300 PNG, its left half red and its right half blue: where the chosen square lies shows in the result. */
function picture() {
  const raw = Buffer.alloc(600 * 300 * 3);
  for (let y = 0; y < 300; y++) for (let x = 0; x < 600; x++) raw.set(x < 300 ? [210, 20, 20] : [20, 20, 210], (y * 600 + x) * 3);
  return sharp(raw, { raw: { width: 600, height: 300, channels: 3 } })
    .png()
    .toBuffer();
}

/** The colour in the middle of the picture at `src` as the server serves it: "red", "blue" or "mixed". */
async function colourOf(baseUrl, src) {
  const bytes = Buffer.from(await (await fetch(new URL(src, baseUrl))).arrayBuffer());
  const { data, info } = await sharp(bytes).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const sample = (x) => {
    const at = (Math.floor(info.height / 2) * info.width + x) * info.channels;
    return data[at] > 150 && data[at + 2] < 80 ? "red" : data[at + 2] > 150 && data[at] < 80 ? "blue" : "other";
  };
  const [left, right] = [sample(4), sample(info.width - 5)];
  return left === right ? left : "mixed";
}

/** The serious and critical axe findings inside `selector`, in the light and the dark theme. */
async function seriousFindings(page, selector) {
  await page.addScriptTag({ path: AXE_PATH });
  // Transitions would let axe measure colours halfway.
  await page.addStyleTag({ content: "*, *::before, *::after { transition: none !important; animation: none !important; }" });
  const found = [];
  for (const colorScheme of ["light", "dark"]) {
    await page.emulateMedia({ colorScheme });
    await page.waitForTimeout(50);
    const violations = await page.evaluate(async (include) => {
      const result = await window.axe.run(include, { resultTypes: ["violations"] });
      return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")) }));
    }, selector);
    for (const v of violations) if (v.impact === "serious" || v.impact === "critical") found.push({ colorScheme, ...v });
  }
  await page.emulateMedia({ colorScheme: "light" });
  return found;
}

/** Every visible control inside `scope` smaller than 40 × 40 px, by name. */
async function smallTargets(scope) {
  return scope.evaluate((root) =>
    [...root.querySelectorAll("button, a[href], input, textarea, [role=option], [role=button]")].flatMap((el) => {
      // A checkbox or radio button is pressed through its label, which is the target (base.css sizes it).
      const label = el.matches("input[type=checkbox], input[type=radio]") ? el.closest("label") : null;
      const r = (label ?? el).getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width <= 1 || r.height <= 1 || style.visibility === "hidden" || style.display === "none") return [];
      return r.width < 40 || r.height < 40
        ? [`${el.getAttribute("aria-label") || el.textContent?.trim()}: ${r.width}×${r.height}`]
        : [];
    }),
  );
}

/** The picture an avatar shows (its loaded <img>), or null while it shows initials. */
function pictureOf(avatar) {
  return avatar.evaluate((el) => {
    const img = el.querySelector("img.avatar-picture");
    return img?.complete && img.naturalWidth > 0 ? img.getAttribute("src") : null;
  });
}

describe("profiles in Chromium", { skip: !run && "chromium not found", timeout: 180_000 }, () => {
  let session;
  let ann;
  let bob;
  let cat;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann", displayName: "Ann Lee", device: { ...DESKTOP, bypassCSP: true } },
        { username: "bob", displayName: "Bob Stone", device: { ...PHONE, bypassCSP: true } },
        { username: "cat", displayName: "Cat Finch", device: DESKTOP },
      ],
      { register: true },
    );
    [ann, bob, cat] = session.users;
  });

  after(async () => {
    await session?.close();
  });

  it("finds people by part of their name in the new-chat dialog (desktop), and the dialog passes axe", async () => {
    const { page } = ann;
    await page.getByRole("button", { name: "New chat" }).click();
    const dialog = page.getByRole("dialog", { name: "New chat" });
    const field = dialog.getByRole("combobox", { name: "Name or username" });
    await field.fill("sto");
    const option = dialog.getByRole("option", { name: /Bob Stone/ });
    await option.waitFor();
    assert.equal(await dialog.getByRole("option").count(), 1, "only Bob matches “sto”");
    assert.deepEqual(await seriousFindings(page, ".dialog"), []);
    await field.press("ArrowDown");
    assert.equal(await option.getAttribute("aria-selected"), "true");
    await field.press("Enter");
    await page.locator(".chat-header h2", { hasText: "Bob Stone" }).waitFor();
    await ann.send("Hello Bob");
    await bob.openConversation("Ann Lee");
    await bob.waitForMessage("Hello Bob");
  });

  it("shows a picture uploaded in the account dialog everywhere, live for the other side, and removes it", async () => {
    const { page } = ann;
    await page.getByRole("button", { name: "Your account" }).click();
    const account = page.getByRole("dialog", { name: "Your account" });
    await account.locator('input[type="file"]').setInputFiles({ name: "me.png", mimeType: "image/png", buffer: await picture() });
    // The square starts in the middle (half red, half blue); dragged to the left edge it holds only red.
    const crop = page.getByRole("dialog", { name: "Choose the picture's square" });
    const square = crop.getByRole("button", { name: /^Picture area/ });
    await square.waitFor();
    assert.deepEqual(await seriousFindings(page, ".picture-crop"), [], "the crop dialog passes axe");
    const box = await square.boundingBox();
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 - 60, box.y + box.height / 2, { steps: 4 });
    await page.mouse.move(box.x - 200, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await crop.getByRole("button", { name: "Use this picture" }).click();
    await account.getByRole("button", { name: "Remove picture" }).waitFor();
    await eventually("Ann's own avatars show the picture", async () => (await pictureOf(account.locator(".avatar"))) !== null);
    assert.deepEqual(await seriousFindings(page, ".dialog"), [], "the account dialog passes axe");
    const src = await pictureOf(account.locator(".avatar"));
    assert.match(src, /\/v1\/avatars\/[A-Za-z0-9_-]+$/, "the large size in the dialog");
    assert.equal(await colourOf(session.server.url, src), "red", "the square chosen, not the centre");
    assert.match(await pictureOf(page.locator(".sidebar-header .avatar")), /\?size=small$/);

    // Bob, on his phone in the chat with Ann, sees it arrive in the header without reloading.
    const header = bob.page.locator(".chat-header .avatar");
    await eventually("Bob sees Ann's picture in the chat header", async () => (await pictureOf(header)) !== null);
    await bob.page.getByRole("button", { name: "Back to conversations" }).tap();
    await eventually(
      "…and in the conversation list",
      async () => (await pictureOf(bob.conversation("Ann Lee").locator(".avatar"))) !== null,
    );
    await bob.openConversation("Ann Lee");

    // A new display name reaches Bob the same way.
    await account.getByRole("textbox", { name: "Display name" }).fill("Ann Lee-Park");
    await account.getByRole("button", { name: "Save name" }).click();
    await bob.page.locator(".chat-header h2", { hasText: "Ann Lee-Park" }).waitFor();

    await account.getByRole("button", { name: "Remove picture" }).click();
    await account.getByRole("button", { name: "Add a picture" }).waitFor();
    await eventually("Bob sees the initials again", async () => (await pictureOf(header)) === null);
    assert.equal(await header.locator(".avatar-initials").getAttribute("data-initials"), "AL");

    await account
      .locator('input[type="file"]')
      .setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("hi") });
    await account.getByText("Choose a JPEG, PNG, WebP or GIF image.").waitFor();
    // With the keyboard: the arrow keys carry the square to the right edge (blue).
    await account.locator('input[type="file"]').setInputFiles({ name: "me.png", mimeType: "image/png", buffer: await picture() });
    await square.focus();
    for (let i = 0; i < 8; i++) await square.press("ArrowRight");
    await crop.getByRole("button", { name: "Use this picture" }).click();
    await account.getByRole("button", { name: "Remove picture" }).waitFor();
    const blue = await eventually("the new picture", async () => pictureOf(account.locator(".avatar")));
    assert.equal(await colourOf(session.server.url, blue), "blue");
    await account.getByRole("button", { name: "Done" }).click();
  });

  it("finds people by name when creating a group and adding members on a phone, with 40 px targets", async () => {
    const { page } = bob;
    await page.getByRole("button", { name: "Back to conversations" }).tap();
    await page.getByRole("button", { name: "New group" }).tap();
    const dialog = page.getByRole("dialog", { name: "New group" });
    await dialog.getByLabel("Group name").fill("Hikers");
    await dialog.getByLabel("Members").fill("lee-pa");
    const ann_ = dialog.getByRole("option", { name: /Ann Lee-Park/ });
    await ann_.waitFor();
    assert.deepEqual(await smallTargets(dialog), [], "every control of the dialog is a 40 px target");
    assert.ok((await ann_.locator(".avatar img").count()) === 1, "the suggestion shows Ann's picture");
    await ann_.tap();
    await dialog.locator(".chip", { hasText: "@ann" }).waitFor();
    assert.equal(await dialog.getByLabel("Members").inputValue(), "");
    await dialog.getByRole("button", { name: "Create group" }).tap();
    await page.locator(".chat-header h2", { hasText: "Hikers" }).waitFor();

    await page.getByRole("button", { name: "Group info" }).tap();
    const info = page.getByRole("dialog", { name: "Group info" });
    await info.getByLabel("Add members").fill("finch");
    await info.getByRole("option", { name: /Cat Finch/ }).tap();
    await info.locator(".chip", { hasText: "@cat" }).waitFor();
    await info.getByRole("button", { name: "Add", exact: true }).tap();
    await info.getByRole("list", { name: "Members" }).getByText("Cat Finch").waitFor();
    await info.getByRole("button", { name: "Close" }).tap();
  });

  it("opens someone's profile from their picture and messages them from it (phone)", async () => {
    const { page } = bob;
    await ann.openConversation("Hikers");
    await ann.send("Hi hikers");
    await bob.waitForMessage("Hi hikers");
    const group = page.locator(".message-group", { has: bob.messages("Hi hikers") });
    await group.getByRole("button", { name: "Profile of Ann Lee-Park" }).tap();
    const profile = page.getByRole("dialog", { name: "Profile" });
    await profile.getByText("@ann").waitFor();
    await profile.getByRole("heading", { name: "Ann Lee-Park" }).waitFor();
    await eventually("the profile shows the large picture", async () =>
      /\/v1\/avatars\/[A-Za-z0-9_-]+$/.test((await pictureOf(profile.locator(".avatar"))) ?? ""),
    );
    assert.deepEqual(await smallTargets(profile), []);
    assert.deepEqual(await seriousFindings(page, ".profile-dialog"), []);
    await profile.getByRole("button", { name: "Message" }).tap();
    await profile.waitFor({ state: "detached" });
    await page.locator(".chat-header h2", { hasText: "Ann Lee-Park" }).waitFor();
    await bob.waitForMessage("Hello Bob");
  });

  it("opens a profile from a group's member list and from a direct chat's header on a desktop", async () => {
    const { page } = cat;
    await cat.openConversation("Hikers");
    await page.getByRole("button", { name: "Group info" }).click();
    const info = page.getByRole("dialog", { name: "Group info" });
    await info.getByRole("button", { name: "Profile of Bob Stone" }).click();
    const profile = page.getByRole("dialog", { name: "Profile" });
    await profile.getByText("@bob").waitFor();
    await profile.getByRole("button", { name: "Message" }).click();
    await page.locator(".chat-header h2", { hasText: "Bob Stone" }).waitFor();
    await page.getByRole("button", { name: "Profile of Bob Stone" }).click();
    await page.getByRole("dialog", { name: "Profile" }).getByText("@bob").waitFor();
    await page.getByRole("dialog", { name: "Profile" }).getByRole("button", { name: "Close" }).click();
    await page.getByRole("dialog", { name: "Profile" }).waitFor({ state: "detached" });
  });
});
