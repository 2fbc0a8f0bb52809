// End-to-end encrypted chats in the web app (docs/e2ee.md "Web app"), in Chromium: two people with two devices each
// (four browser contexts). Ann ticks "End-to-end encrypted" when starting the chat; all four devices read every
// message decrypted; both sides see the same safety number; the server's SQLite files hold none of the texts; the
// local search of an encrypted chat finds a message. Also: MLS in a worker, its state in IndexedDB across a reload, a
// second tab of one session kept off the state, a device joining later (earlier messages unavailable, a device-change
// notice for Ann; its MLS code held back so that its worker is ready first), replies, reactions, edits and a picture
// inside the ciphertext, an encrypted group, axe on the new UI.
// Prints the time to open an encrypted chat (e2ee-open-ms).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import sharp from "sharp";
import { checkThemes } from "./axe.mjs";
import { browserAvailable, eventually, startBrowserSession, User } from "./browser.mjs";

const run = randomBytes(3).toString("hex");

/** Opens a message's action menu and picks an item. */
async function act(user, text, item) {
  const message = user.messages(text).last();
  await message.hover();
  await message.getByRole("button", { name: "Message actions" }).click();
  await user.page.getByRole("menuitem", { name: item, exact: true }).click();
}
const secret = (label) => `secret${label}${randomBytes(5).toString("hex")}`;

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe("web app: end-to-end encrypted chats", { skip: !browserAvailable() }, () => {
  let session;
  let ann1;
  let bob1;
  let ann2;
  let bob2;

  before(async () => {
    session = await startBrowserSession(
      [
        // axe is injected as a script: the app's Content-Security-Policy would refuse it.
        { username: `ann${run}`, displayName: "Ann Ek", device: { bypassCSP: true } },
        { username: `bob${run}`, displayName: "Bob Ny" },
      ],
      { register: true },
    );
    [ann1, bob1] = session.users;
    // Each person's second device: another browser context, signed in to the same account.
    ann2 = await User.open(session.browser, session.server.url, ann1.username, ann1.displayName);
    bob2 = await User.open(session.browser, session.server.url, bob1.username, bob1.displayName);
    await ann2.login();
    await bob2.login();
    for (const user of [ann1, bob1, ann2, bob2]) {
      await user.page.locator('.app-shell[data-encryption="ready"]').waitFor({ timeout: 60_000 });
    }
  });
  after(async () => {
    for (const user of [ann2, bob2]) assert.deepEqual(user?.errors ?? [], [], `uncaught errors in ${user?.username}'s page`);
    await session?.close();
  });

  it("four devices exchange encrypted messages; safety numbers agree; the database holds no text; local search finds it", async () => {
    // A plain chat first: its text must be found in the database files, so that the search below can fail.
    const control = `control${randomBytes(5).toString("hex")}`;
    await ann1.startChat(bob1.username, "Bob Ny");
    await ann1.send(control);
    await ann1.waitForMessage(control);

    // The encrypted chat: a separate conversation, ticked at creation.
    await ann1.page.getByRole("button", { name: "New chat" }).click();
    const dialog = ann1.page.getByRole("dialog", { name: "New chat" });
    await dialog.getByLabel("Username").fill(bob1.username);
    await dialog.getByRole("checkbox", { name: "End-to-end encrypted" }).check();
    const problems = await checkThemes(ann1.page, "new chat, encrypted");
    await dialog.getByRole("button", { name: "Start chat" }).click();
    const lockedHeader = ann1.page.locator(".chat-header h2", { has: ann1.page.locator(".lock-marker") });
    await lockedHeader.waitFor({ timeout: 30_000 });
    assert.match(await lockedHeader.textContent(), /Bob Ny/);

    const texts = { ann1: secret("a1"), bob1: secret("b1"), ann2: secret("a2"), bob2: secret("b2") };
    const devices = { ann1, bob1, ann2, bob2 };
    const encryptedRow = (user, title) =>
      user.page.locator(".conversation-item", {
        has: user.page.locator(".conversation-title", { has: user.page.locator(".lock-marker"), hasText: title }),
      });
    await ann1.send(texts.ann1);
    await ann1.waitForMessage(texts.ann1);
    let openMs;
    for (const [name, user] of Object.entries(devices)) {
      if (name === "ann1") continue;
      const title = name.startsWith("ann") ? "Bob Ny" : "Ann Ek";
      const row = encryptedRow(user, title);
      await row.waitFor({ timeout: 30_000 });
      // The time to open an encrypted chat: from the click to its first message shown decrypted.
      const started = Date.now();
      await row.click();
      await user.messages(texts.ann1).first().waitFor({ timeout: 30_000 });
      const elapsed = Date.now() - started;
      if (name === "bob2") openMs = elapsed;
      console.log(`e2ee-open-ms device=${name} ms=${elapsed}`);
      await user.send(texts[name]);
      await user.waitForMessage(texts[name]);
    }
    for (const [name, user] of Object.entries(devices)) {
      for (const text of Object.values(texts)) {
        await user
          .messages(text)
          .first()
          .waitFor({ timeout: 30_000 })
          .catch(() => {
            throw new Error(`${name} does not show ${text}`);
          });
      }
      assert.equal(await user.page.getByText("This message could not be decrypted").count(), 0, `${name} decrypted all`);
    }
    assert.ok(openMs !== undefined);

    // A second tab of the same device session does not use its MLS state while the first one does (Web Locks).
    const tab = await bob1.context.newPage();
    try {
      await tab.goto("/");
      await tab.locator('.app-shell[data-encryption="elsewhere"]').waitFor({ timeout: 30_000 });
    } finally {
      await tab.close();
    }

    // Safety numbers: the same 60 digits on both sides; Ann marks Bob as verified.
    const safetyNumber = async (user) => {
      await user.page.getByRole("button", { name: "Chat info" }).click();
      const digits = user.page.locator("[data-safety-number]");
      await digits.waitFor({ timeout: 30_000 });
      return digits.getAttribute("data-safety-number");
    };
    const annNumber = await safetyNumber(ann1);
    const bobNumber = await safetyNumber(bob1);
    assert.match(annNumber, /^(\d{5} ){11}\d{5}$/);
    assert.equal(annNumber, bobNumber);
    const info = ann1.page.getByRole("dialog", { name: "Chat info" });
    assert.equal(await info.locator(".device-list li").count(), 2, "Bob's two devices are listed");
    assert.equal(await info.locator(".device-list li[data-verified]").count(), 0);
    problems.push(...(await checkThemes(ann1.page, "chat info with the safety number")));
    await info.getByRole("button", { name: "Mark as verified" }).click();
    await info.locator(".trust-state[data-verified]").waitFor();
    assert.equal(await info.locator(".device-list li[data-verified]").count(), 2);
    await ann1.page.keyboard.press("Escape");
    await bob1.page.keyboard.press("Escape");

    // Local search: the server finds nothing in encrypted chats; the device's own index does.
    const page = ann1.page;
    await page.getByRole("button", { name: "Search messages" }).click();
    const box = page.getByRole("searchbox", { name: "Search messages" });
    await box.fill(texts.bob2.toUpperCase());
    await box.press("Enter");
    await page.locator(".search-result", { hasText: texts.bob2 }).first().waitFor({ timeout: 15_000 });
    await page.getByRole("button", { name: "Close search" }).click();

    // MLS runs in a Web Worker; the device's state is in IndexedDB and survives a reload: after it, Bob's second device
    // opens the chat from its store (timed) and decrypts a new message with the persisted group state.
    assert.ok(
      bob2.page.workers().some((w) => w.url().includes("mls.worker")),
      "the MLS worker runs",
    );
    const databases = await bob2.page.evaluate(async () => (await indexedDB.databases()).map((d) => d.name));
    assert.ok(
      databases.some((n) => n.startsWith("parley-mls-")),
      `an MLS state database: ${databases}`,
    );
    // Cold: the offline snapshot (which would show the chat at once) is deleted, the plain chat is the open one, the
    // page reloads; then the encrypted chat is opened and its history read through E2ee from the device's store.
    await bob2.page.locator(".conversation-item", { hasText: control }).click();
    await bob2.page.evaluate(() => {
      indexedDB.deleteDatabase("parley");
    });
    await bob2.page.reload();
    await bob2.page.locator('.app-shell[data-encryption="ready"]').waitFor({ timeout: 60_000 });
    const reloadedRow = encryptedRow(bob2, "Ann Ek");
    await reloadedRow.waitFor({ timeout: 30_000 });
    assert.equal(await bob2.messages(texts.ann1).count(), 0, "the encrypted chat is not shown yet");
    const coldStart = Date.now();
    await reloadedRow.click();
    for (const text of Object.values(texts)) await bob2.messages(text).first().waitFor({ timeout: 30_000 });
    console.log(`e2ee-open-ms device=bob2 after=reload messages=4 ms=${Date.now() - coldStart}`);
    const afterReload = secret("a1r");
    texts.afterReload = afterReload;
    await ann1.send(afterReload);
    await bob2.messages(afterReload).first().waitFor({ timeout: 30_000 });

    // A third device of Bob's joins later: it reads what follows, not what came before; Ann is told Bob's devices
    // changed since she verified them, and the info marks the new device as not verified.
    const bob3 = await User.open(session.browser, session.server.url, bob1.username, bob1.displayName);
    // Its MLS code arrives late (as from a loaded server; the service worker's precache of it is held back too): the
    // MLS worker is ready well before the page asks it, and encryption still starts. (The worker used to announce
    // itself once, unasked: lost when the page was not listening yet, and the start waited forever.)
    const lateChunks = [];
    await bob3.context.route("**/assets/start-e2ee-*.js", async (route) => {
      lateChunks.push(route.request().serviceWorker() === null ? "page" : "service worker");
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      await route.continue();
    });
    try {
      await bob3.login();
      await bob3.page.locator('.app-shell[data-encryption="ready"]').waitFor({ timeout: 60_000 });
      assert.ok(lateChunks.includes("page"), `the page's MLS chunk was held back: ${lateChunks}`);
      await encryptedRow(bob3, "Ann Ek").click();
      await bob3.page.getByText("Messages sent before this device joined are not available on it.").first().waitFor();
      const later = secret("a1l");
      texts.later = later;
      await encryptedRow(ann1, "Bob Ny").click();
      await ann1.send(later);
      await bob3.messages(later).first().waitFor({ timeout: 30_000 });
      assert.deepEqual(bob3.errors, []);
    } finally {
      await bob3.close();
    }
    await ann1.page.reload();
    await encryptedRow(ann1, "Bob Ny").click();
    const notice = ann1.page.locator(".devices-changed");
    await notice.waitFor({ timeout: 15_000 });
    assert.match(await notice.textContent(), /Bob Ny’s devices changed/);
    problems.push(...(await checkThemes(ann1.page, "encrypted chat with the device-change notice")));
    assert.deepEqual(problems, [], "axe: no serious or critical findings");
    // Replies, reactions and edits travel inside the ciphertext (the SDK encrypts them); a picture too, with the
    // thumbnail Ann's browser made, and the full picture is decrypted on Bob's device when he opens it.
    texts.reply = secret("rp");
    await act(ann1, texts.bob1, "Reply");
    await ann1.send(texts.reply);
    const quote = bob1.messages(texts.reply).first().locator(".bubble-quote");
    await quote.waitFor({ timeout: 30_000 });
    assert.match(await quote.textContent(), new RegExp(texts.bob1));
    await act(bob1, texts.reply, "React");
    await bob1.page.getByRole("menuitem", { name: "React with 👍" }).click();
    const chip = ann1.messages(texts.reply).first().locator('.reaction-chip[data-emoji="👍"]');
    await eventually("Ann sees Bob's encrypted 👍", async () => (await chip.locator(".reaction-count").textContent()) === "1");
    texts.edited = secret("ed");
    await act(ann1, texts.reply, "Edit");
    await eventually("editing starts from the text", async () => (await ann1.composer().inputValue()) === texts.reply);
    await ann1.composer().fill(texts.edited);
    await ann1.composer().press("Enter");
    await bob1.messages(texts.edited).first().locator(".edited-marker").waitFor({ timeout: 30_000 });
    assert.equal(await bob1.messages(texts.reply).count(), 0, "the old text is gone on Bob's device");

    const picture = await sharp({ create: { width: 640, height: 400, channels: 3, background: { r: 200, g: 60, b: 30 } } })
      .png()
      .toBuffer();
    await ann1.page.getByTestId("file-input").setInputFiles({ name: "sunset.png", mimeType: "image/png", buffer: picture });
    await ann1.page.locator('.upload-item[data-state="ready"]', { hasText: "sunset.png" }).waitFor({ timeout: 30_000 });
    texts.caption = secret("cp");
    await ann1.composer().fill(texts.caption);
    await ann1.composer().press("Enter");
    const image = bob1.messages(texts.caption).first().locator(".attachment-image img");
    await image.waitFor({ timeout: 30_000 });
    await eventually("Bob's device decrypted the thumbnail", () =>
      image.evaluate((img) => img.src.startsWith("blob:") && img.complete && img.naturalWidth > 0 && img.naturalWidth <= 320),
    );
    await bob1.messages(texts.caption).first().locator(".attachment-image").click();
    const viewer = bob1.page.getByRole("dialog", { name: "sunset.png" });
    await eventually("the full picture decrypted", () =>
      viewer.locator(".image-viewer-image").evaluate((img) => img.complete && img.naturalWidth === 640),
    );
    await bob1.page.keyboard.press("Escape");
    await ann1.page.getByRole("button", { name: "Chat info" }).click();
    const later = ann1.page.getByRole("dialog", { name: "Chat info" });
    await later.locator(".device-list li").nth(2).waitFor();
    assert.equal(await later.locator(".device-list li[data-verified]").count(), 2, "the third device is not verified");
    const annLaterNumber = await later.locator("[data-safety-number]").getAttribute("data-safety-number");
    assert.notEqual(annLaterNumber, annNumber, "Bob's new device changed the safety number");
    await ann1.page.keyboard.press("Escape");
    await notice.getByRole("button", { name: "OK" }).click();
    await notice.waitFor({ state: "detached" });

    // An encrypted group: ticked in the New group dialog, read by Bob's devices.
    await ann1.page.getByRole("button", { name: "New group" }).click();
    const groupDialog = ann1.page.getByRole("dialog", { name: "New group" });
    await groupDialog.getByLabel("Group name").fill("Secret team");
    await groupDialog.getByLabel("Members").fill(bob1.username);
    await groupDialog.getByLabel("Members").press("Enter");
    await groupDialog.getByRole("checkbox", { name: "End-to-end encrypted" }).check();
    await groupDialog.getByRole("button", { name: "Create group" }).click();
    await ann1.page.locator(".chat-header h2", { has: ann1.page.locator(".lock-marker"), hasText: "Secret team" }).waitFor();
    texts.group = secret("g");
    await ann1.send(texts.group);
    await encryptedRow(bob1, "Secret team").click();
    await bob1.messages(texts.group).first().waitFor({ timeout: 30_000 });
    await encryptedRow(bob2, "Secret team").click();
    await bob2.messages(texts.group).first().waitFor({ timeout: 30_000 });
    // The group's info offers the safety number with each member: Bob's with Ann is the one Ann sees.
    await bob1.page.getByRole("button", { name: "Group info" }).click();
    const groupInfo = bob1.page.getByRole("dialog", { name: "Group info" });
    await groupInfo.getByText("With Ann Ek").click();
    const groupNumber = groupInfo.locator("[data-safety-number]");
    await groupNumber.waitFor({ timeout: 15_000 });
    assert.equal(await groupNumber.getAttribute("data-safety-number"), annLaterNumber);
    await bob1.page.keyboard.press("Escape");

    // The server's database files: the control text is there, none of the encrypted ones.
    const dataDir = session.server.server.config.dataDir;
    await eventually("the control text in the database files", () => {
      const bytes = Buffer.concat(filesUnder(dataDir).map((f) => readFileSync(f)));
      return bytes.includes(Buffer.from(control));
    });
    const bytes = Buffer.concat(filesUnder(dataDir).map((f) => readFileSync(f)));
    for (const text of Object.values(texts)) {
      assert.ok(!bytes.includes(Buffer.from(text)), `the server's files hold ${text}`);
      assert.ok(!bytes.includes(Buffer.from(Buffer.from(text).toString("hex"))), `the server's files hold ${text} in hex`);
    }
  });
});
