// The app's language in Chromium: a browser set to German (locale de-DE, so navigator.languages is ["de-DE"]) gets the
// sign-in screen and the chat in German with <html lang="de">; the account dialog switches to English and back, and the
// choice survives a reload. A person in an English browser meanwhile keeps seeing English.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, PHONE, startBrowserSession, User } from "./browser.mjs";

const run = browserAvailable();

/** What does not fit on the screen: the page scrolling sideways, controls past its edges, labels cut off inside them. */
function overflow(page) {
  return page.evaluate(() => {
    const problems = [];
    const width = document.documentElement.clientWidth;
    if (document.documentElement.scrollWidth > width)
      problems.push(`the page is ${document.documentElement.scrollWidth} px wide`);
    for (const el of document.querySelectorAll("button, a[href], label, select, legend, h1, h2, h3, [role=tab]")) {
      const r = el.getBoundingClientRect();
      const style = getComputedStyle(el);
      if (r.width <= 1 || r.height <= 1 || style.visibility === "hidden" || style.display === "none") continue;
      // Long names of people and conversations are cut with an ellipsis on purpose: only the app's words are checked.
      if (el.closest(".conversation-title, .chat-title, .me, .people-names, .member-text, .chat-subtitle")) continue;
      const what = el.getAttribute("aria-label") || el.textContent?.trim().slice(0, 40) || el.className;
      if (r.left < -1 || r.right > width + 1) problems.push(`${what} is off screen (${r.left}…${r.right})`);
      if (el.scrollWidth > el.clientWidth + 1 && style.overflowX !== "visible") problems.push(`${what} is cut off`);
    }
    return problems;
  });
}

describe("the app's language follows the browser", { skip: !run && "chromium not found", timeout: 90_000 }, () => {
  let session;
  let jonas;
  let bob;
  let phone;

  before(async () => {
    session = await startBrowserSession([
      { username: "jonas", displayName: "Jonas Weber", device: { ...DESKTOP, locale: "de-DE", timezoneId: "Europe/Berlin" } },
      { username: "bob", displayName: "Bob Stone" },
    ]);
    [jonas, bob] = session.users;
  });

  after(async () => {
    await session?.close();
    assert.deepEqual(phone?.errors ?? [], [], "uncaught errors on the German phone");
  });

  it("shows the sign-in screen in German to a German browser", async () => {
    const { page } = jonas;
    assert.deepEqual(await page.evaluate(() => navigator.languages), ["de-DE"]);
    assert.equal(await page.evaluate(() => document.documentElement.lang), "de");
    await page.getByText("Willkommen zurück. Melde dich an, um weiterzumachen.").waitFor();
    const form = page.getByRole("form", { name: "Anmelden" });
    await form.getByLabel("Benutzername").waitFor();
    await form.getByLabel("Passwort").waitFor();
    await form.getByRole("button", { name: "Anmelden" }).waitFor();
    await page.getByText("Neu hier?").waitFor();

    // A wrong password is explained in German too.
    await form.getByLabel("Benutzername").fill("nobody");
    await form.getByLabel("Passwort").fill("not the password");
    await form.getByRole("button", { name: "Anmelden" }).click();
    await page.getByRole("alert").filter({ hasText: "Benutzername oder Passwort ist falsch." }).waitFor();

    await page.getByRole("button", { name: "Konto erstellen" }).click();
    await page.getByText("Erstelle dein Konto.").waitFor();
    await page.getByLabel("Benutzername").fill(jonas.username);
    await page.getByLabel("Anzeigename").fill(jonas.displayName);
    await page.getByLabel("Passwort").fill("correct horse battery");
    await page.getByRole("button", { name: "Konto erstellen" }).click();
    await page.locator(".me-username", { hasText: "@jonas" }).waitFor();
  });

  it("shows the chat in German: list, header, messages, day, ticks and composer", async () => {
    await bob.register();
    await bob.startChat("jonas", "Jonas Weber");
    await bob.send("Hi Jonas, are you coming on Saturday?");

    const { page } = jonas;
    await page.getByRole("heading", { name: "Deine Nachrichten" }).waitFor();
    const row = jonas.conversation("Bob Stone");
    await row.locator(".unread-badge", { hasText: "1" }).waitFor();
    assert.equal(await row.locator(".unread-badge .visually-hidden").textContent(), " ungelesene Nachricht");
    await page.getByRole("button", { name: "Neuer Chat" }).waitFor();
    await page.getByRole("button", { name: "Neue Gruppe" }).waitFor();
    await page.getByRole("button", { name: "Nachrichten durchsuchen" }).waitFor();

    await jonas.openConversation("Bob Stone");
    await jonas.waitForMessage("Hi Jonas, are you coming on Saturday?");
    await page.locator(".day-separator", { hasText: "Heute" }).waitFor();
    await eventually("Bob shown online", async () => (await page.locator(".chat-subtitle").textContent()) === "online");
    // The back button is for phones (hidden here): its name is German all the same.
    assert.equal(await page.locator(".back-button").getAttribute("aria-label"), "Zurück zu den Unterhaltungen");
    await page.getByRole("button", { name: "Chat-Infos" }).waitFor();

    const composer = page.getByRole("textbox", { name: "Nachricht" });
    assert.equal(await composer.getAttribute("placeholder"), "Nachricht schreiben…");
    await composer.fill("Ja, ich bringe Kuchen mit!");
    await composer.press("Enter");
    await jonas.waitForMessage("Ja, ich bringe Kuchen mit!");
    await eventually(
      "German read ticks",
      async () => (await jonas.messages("Ja, ich bringe Kuchen mit!").locator(".ticks").getAttribute("aria-label")) === "Gelesen",
    );
    // A 24-hour clock, as German readers expect.
    assert.match(await jonas.messages("Ja, ich bringe Kuchen mit!").locator("time").textContent(), /^\d{2}:\d{2}$/);

    // The other person's browser is English: the same conversation is in English there.
    await bob.waitForMessage("Ja, ich bringe Kuchen mit!");
    await bob.page.locator(".day-separator", { hasText: "Today" }).waitFor();
    assert.equal(await bob.page.evaluate(() => document.documentElement.lang), "en");
    assert.equal(
      await bob.messages("Hi Jonas, are you coming on Saturday?").locator(".ticks").getAttribute("aria-label"),
      "Read",
    );
  });

  it("switches to English in the account dialog, keeps the choice over a reload, and goes back to the browser's", async () => {
    const { page } = jonas;
    await page.getByRole("button", { name: "Dein Konto" }).click();
    let dialog = page.getByRole("dialog", { name: "Dein Konto" });
    const select = dialog.getByLabel("Sprache der App");
    assert.equal(await select.inputValue(), "browser");
    await dialog.locator('select[name="language"] option[value="browser"]', { hasText: "Wie der Browser: Deutsch" }).waitFor({
      state: "attached",
    });
    await select.selectOption("en");

    // The open dialog and everything behind it change at once.
    dialog = page.getByRole("dialog", { name: "Your account" });
    await dialog.getByLabel("Language of the app").waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
    assert.equal(await page.evaluate(() => localStorage.getItem("parley.language")), "en");
    await dialog.getByRole("button", { name: "Done" }).click();
    await page.locator(".day-separator", { hasText: "Today" }).waitFor();
    await page.getByRole("button", { name: "New chat" }).waitFor();
    assert.equal(await page.getByRole("textbox", { name: "Message" }).getAttribute("placeholder"), "Write a message…");

    await page.reload();
    await page.getByRole("button", { name: "New chat" }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "en");

    await page.getByRole("button", { name: "Your account" }).click();
    dialog = page.getByRole("dialog", { name: "Your account" });
    await dialog.getByLabel("Language of the app").selectOption("browser");
    await page.getByRole("dialog", { name: "Dein Konto" }).getByRole("button", { name: "Fertig" }).click();
    await page.getByRole("button", { name: "Neuer Chat" }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), "de");
    assert.equal(await page.evaluate(() => localStorage.getItem("parley.language")), null);
  });

  it("fits the German words on a phone (390 × 844): nothing off screen or cut off, on the main screens and dialogs", async () => {
    phone = await User.open(session.browser, session.server.url, "jonas", "Jonas Weber", PHONE.viewport, undefined, {
      ...PHONE,
      locale: "de-DE",
    });
    const { page } = phone;
    const problems = [];
    const check = async (screen) => {
      for (const problem of await overflow(page)) problems.push(`${screen}: ${problem}`);
    };
    await page.getByRole("button", { name: "Anmelden" }).waitFor();
    await check("sign-in");
    await page.getByRole("button", { name: "Konto erstellen" }).click();
    await check("create account");
    await page.getByRole("button", { name: "Anmelden" }).click();
    await page.getByLabel("Benutzername").fill("jonas");
    await page.getByLabel("Passwort").fill("correct horse battery");
    await page.getByRole("button", { name: "Anmelden" }).click();
    await page.locator(".me-username", { hasText: "@jonas" }).waitFor();
    await check("conversation list");

    await phone.openConversation("Bob Stone");
    await check("chat");
    await page.getByRole("button", { name: "Chat-Infos" }).click();
    await page.getByRole("dialog", { name: "Chat-Infos" }).waitFor();
    await check("chat info");
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Zurück zu den Unterhaltungen" }).click();

    for (const [button, dialog] of [
      ["Neue Gruppe", "Neue Gruppe"],
      ["Neuer Chat", "Neuer Chat"],
      ["Benachrichtigungen", "Benachrichtigungen"],
      ["Dein Konto", "Dein Konto"],
      ["Administration", "Administration"],
    ]) {
      await page.getByRole("button", { name: button, exact: true }).click();
      await page.getByRole("dialog", { name: dialog }).waitFor();
      await check(dialog);
      await page.keyboard.press("Escape");
      await page.getByRole("dialog", { name: dialog }).waitFor({ state: "detached" });
    }
    assert.deepEqual(problems, []);
  });
});
