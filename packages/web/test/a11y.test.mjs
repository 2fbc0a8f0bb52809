// Automated accessibility check with axe-core in Chromium: every main screen (sign-in, the chat list with an open
// conversation, group info, search, the mention list, notifications, the quick switcher) in the light and the dark
// theme has no "serious" or "critical" finding (contrast below WCAG AA, missing landmarks or names, …).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkThemes } from "./axe.mjs";
import { browserAvailable, DESKTOP, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

describe("accessibility (axe-core) in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;

  before(async () => {
    session = await startBrowserSession(
      [
        // axe is injected as a script: the app's Content-Security-Policy would refuse it.
        { username: "ann", displayName: "Ann Lee", device: { ...DESKTOP, bypassCSP: true } },
        { username: "bob", displayName: "Bob Stone", device: DESKTOP },
      ],
      { register: true },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob", "Bob Stone");
    await ann.send("Hello Bob, see https://example.org/wiki/Foo_(bar).");
    await bob.openConversation("Ann Lee");
    await bob.waitForMessage("Hello Bob, see https://example.org/wiki/Foo_(bar).");
    await bob.send("Hi Ann");
    // A group with an unread message for Ann: its row shows the unread time and badge.
    await bob.page.getByRole("button", { name: "New group" }).click();
    const dialog = bob.page.getByRole("dialog", { name: "New group" });
    await dialog.getByLabel("Group name").fill("Team");
    await dialog.getByLabel("Members").fill("ann");
    await dialog.getByLabel("Members").press("Enter");
    await dialog.getByRole("button", { name: "Create group" }).click();
    await bob.page.locator(".chat-header h2", { hasText: "Team" }).waitFor();
    await bob.send("Group news");
    await ann.waitForMessage("Hi Ann");
    await ann.conversation("Team").locator(".unread-badge").waitFor();
  });

  after(async () => {
    await session?.close();
  });

  it("has no serious findings on the sign-in screen", async () => {
    const context = await session.browser.newContext({ baseURL: session.server.url, ...DESKTOP, bypassCSP: true });
    try {
      const page = await context.newPage();
      await page.goto("/");
      await page.getByRole("button", { name: "Sign in" }).waitFor();
      assert.equal(await page.getByRole("main").count(), 1, "a main landmark");
      assert.equal(await page.locator("h1").count(), 1, "one h1");
      assert.deepEqual(await checkThemes(page, "sign-in"), []);
    } finally {
      await context.close();
    }
  });

  it("has no serious findings on the chat list with an open conversation, group info and search", async () => {
    const { page } = ann;
    assert.equal(await page.getByRole("main").count(), 1, "a main landmark");
    assert.equal(await page.getByRole("heading", { level: 1 }).count(), 1, "one h1");
    const problems = await checkThemes(page, "chat");
    await ann.openConversation("Team");
    await page.getByRole("button", { name: "Group info" }).click();
    await page.getByRole("dialog", { name: "Group info" }).waitFor();
    problems.push(...(await checkThemes(page, "group info")));
    await page.keyboard.press("Escape");
    await page.getByRole("button", { name: "Search messages" }).click();
    await page.getByRole("searchbox", { name: "Search messages" }).fill("Hello");
    await page.getByRole("searchbox", { name: "Search messages" }).press("Enter");
    await page.locator(".search-result").first().waitFor();
    problems.push(...(await checkThemes(page, "search")));
    assert.deepEqual(problems, []);
  });

  it("has no serious findings with the mention list, a mention marker and highlight, notifications and the switcher", async () => {
    const { page } = ann;
    await page.getByRole("button", { name: "Search messages" }).click();
    await ann.openConversation("Bob Stone");
    const annId = (await ann.api("GET", "/v1/me")).id;
    const team = (await bob.api("GET", "/v1/conversations")).conversations.find((c) => c.title === "Team");
    await bob.api("POST", `/v1/conversations/${team.id}/messages`, { clientId: "a11y-mention", body: `<@${annId}> look` });
    await ann.conversation("Team").locator(".mention-badge").waitFor();
    await ann.composer().pressSequentially("@");
    await page.getByRole("listbox", { name: "Mention someone" }).waitFor();
    const problems = await checkThemes(page, "mention list and marker");
    await ann.composer().press("Escape");
    await ann.composer().fill("");
    await page.getByRole("button", { name: "Notifications", exact: true }).click();
    await page.getByRole("dialog", { name: "Notifications" }).waitFor();
    problems.push(...(await checkThemes(page, "notifications")));
    await page.keyboard.press("Escape");
    await page.keyboard.press("Control+k");
    await page.getByRole("dialog", { name: "Jump to a conversation" }).waitFor();
    problems.push(...(await checkThemes(page, "quick switcher")));
    await page.keyboard.press("Escape");
    await ann.openConversation("Team");
    await page.locator(".message .mention[data-self]").waitFor();
    problems.push(...(await checkThemes(page, "own mention")));
    assert.deepEqual(problems, []);
  });
});
