// Disappearing messages in the web app, two users in Chromium against a real server (protocol §6.14): the timer is
// chosen in the chat's info dialog, announced in the chat and shown in the header; when the server's sweeper (run with
// a clock two hours ahead instead of waiting an hour) deletes the messages, they leave both open chats.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();
const HOUR = 3_600_000;

/** The system line of the open chat that says `text`. */
const note = (user, text) => user.page.locator(".chat .system-note", { hasText: text });

describe("disappearing messages in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann", displayName: "Ann Lee", device: DESKTOP },
        { username: "bob", displayName: "Bob Stone", device: DESKTOP },
      ],
      { register: true, server: { retentionSweepIntervalMs: 0 } },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob", "Bob Stone");
    await ann.send("This will vanish");
    await bob.openConversation("Ann Lee");
    await bob.waitForMessage("This will vanish");
  });

  after(async () => {
    await session?.close();
  });

  it("sets the timer in the info dialog; both chats announce it and show it in the header", async () => {
    await ann.page.getByRole("button", { name: "Chat info" }).click();
    const dialog = ann.page.getByRole("dialog", { name: "Chat info" });
    await dialog.getByLabel("Disappearing messages").selectOption({ label: "1 hour" });
    await dialog.getByText("Messages are deleted 1 hour after they are sent, for everyone.").waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();

    await note(ann, "You set messages to disappear after 1 hour").waitFor();
    await note(bob, "Ann Lee set messages to disappear after 1 hour").waitFor();
    for (const user of [ann, bob]) {
      await eventually(`${user.username}'s header shows the timer`, async () =>
        /1 hour/.test((await user.page.locator(".chat-header .disappearing-badge").textContent()) ?? ""),
      );
    }
  });

  it("removes expired messages from the open chats once the server deleted them", async () => {
    const swept = await session.server.server.services.retention.sweep(Date.now() + 2 * HOUR);
    assert.ok(swept.entries >= 3, `the sweep deleted the chat's entries (${swept.entries})`);
    for (const user of [ann, bob]) {
      await eventually(
        `the message left ${user.username}'s chat`,
        async () => (await user.messages("This will vanish").count()) === 0,
      );
      await eventually(
        `the announcement left ${user.username}'s chat too`,
        async () => (await note(user, "set messages to disappear after 1 hour").count()) === 0,
      );
    }
    // The conversation goes on; the timer still shows.
    await bob.send("Still here");
    await ann.waitForMessage("Still here");
    assert.match((await ann.page.locator(".chat-header .disappearing-badge").textContent()) ?? "", /1 hour/);

    // A reload shows what the server keeps, not what the device cached before.
    await bob.page.reload();
    await bob.waitForMessage("Still here");
    assert.equal(await bob.messages("This will vanish").count(), 0);
  });

  it("lets either person of a direct chat set a retention, announced in the chat", async () => {
    await bob.page.getByRole("button", { name: "Chat info" }).click();
    const dialog = bob.page.getByRole("dialog", { name: "Chat info" });
    await dialog.getByLabel("Keep messages for").selectOption({ label: "7 days" });
    await note(bob, "You set messages to be deleted after 7 days").waitFor();
    // The timer is shorter: it is what applies.
    await dialog.getByText("Messages are deleted 1 hour after they are sent, for everyone.").waitFor();
    await note(ann, "Bob Stone set messages to be deleted after 7 days").waitFor();
  });
});
