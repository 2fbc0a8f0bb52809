// Channels in the web app, three people in Chromium against a real server (docs/protocol.md §6.17): creating one,
// finding it in the directory and joining, messages, posting by admins only, "seen by", an invite link of a private
// channel, and a channel of 100,000 members (rows seeded straight into the server's SQLite database) whose member
// list is paged and searched without ever loading it whole.

import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3-multiple-ciphers";
import { checkThemes } from "./axe.mjs";
import { browserAvailable, DESKTOP, eventually, PHONE, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();
const BIG = 100_000;

describe("channels in Chromium", { skip: !run && "chromium not found", timeout: 240_000 }, () => {
  let session;
  let ann;
  let bob;
  let cat;

  before(async () => {
    session = await startBrowserSession(
      [
        // axe is injected as a script: the app's Content-Security-Policy would refuse it.
        { username: "ann", displayName: "Ann Lee", device: { ...DESKTOP, bypassCSP: true } },
        { username: "bob", displayName: "Bob Stone", device: { ...DESKTOP, bypassCSP: true } },
        { username: "cat", displayName: "Cat Moss", device: PHONE },
      ],
      { register: true },
    );
    [ann, bob, cat] = session.users;
  });

  after(async () => {
    await session?.close();
  });

  /** Creates a channel through the "New channel" dialog; it opens. */
  async function createChannel(user, title, { visibility, posting }) {
    await user.page.getByRole("button", { name: "Channels", exact: true }).click();
    await user.page.getByRole("dialog", { name: "Channel directory" }).getByRole("button", { name: "New channel" }).click();
    const dialog = user.page.getByRole("dialog", { name: "New channel" });
    await dialog.getByLabel("Channel name").fill(title);
    await dialog.getByLabel("Who can find it").selectOption(visibility);
    await dialog.getByLabel("Who may post").selectOption(posting);
    await dialog.getByRole("button", { name: "Create channel" }).click();
    await user.page.locator(".chat-header h2", { hasText: title }).waitFor();
  }

  it("creates a public channel where only admins post; another user finds it in the directory and joins", async () => {
    await createChannel(ann, "Town square", { visibility: "public", posting: "admins" });
    await ann.page.locator(".chat-subtitle", { hasText: "1 member" }).waitFor();
    assert.equal(await ann.conversation("Town square").locator(".channel-mark").count(), 1, "a channel's mark in the list");

    await bob.page.getByRole("button", { name: "Channels", exact: true }).click();
    const directory = bob.page.getByRole("dialog", { name: "Channel directory" });
    await directory.getByLabel("Search channels by name").fill("town");
    await directory.getByRole("button", { name: "Join Town square" }).waitFor();
    assert.deepEqual(await checkThemes(bob.page, "channel directory"), []);
    await directory.getByRole("button", { name: "Join Town square" }).click();
    await bob.page.locator(".chat-header h2", { hasText: "Town square" }).waitFor();
    await bob.page.locator(".chat-subtitle", { hasText: "2 members" }).waitFor();

    // Only admins post: bob has no composer, and a note says why.
    await bob.page.locator(".composer-closed", { hasText: "Only admins can post in this channel." }).waitFor();
    assert.equal(await bob.composer().count(), 0, "no composer for a plain member");
    assert.deepEqual(await checkThemes(bob.page, "read-only channel"), []);
    await ann.send("Welcome to the square");
    await bob.waitForMessage("Welcome to the square");
    await ann.page.locator(".chat-subtitle", { hasText: "2 members" }).waitFor();
  });

  it("tells the author how many have seen their newest message", async () => {
    // Bob has the channel open: his read position reaches the message. Ann's count is asked as the message list
    // mounts (and the server reuses a count for 5 s): reopening the channel asks again.
    await ann.startChat("bob", "Bob Stone");
    await eventually(
      "ann sees that one member saw her message",
      async () => {
        await ann.openConversation("Town square");
        const seen = ann.page.locator(".seen-by");
        await seen.waitFor();
        const text = await seen.textContent();
        if (text === "Seen by 1") return true;
        await ann.openConversation("Bob Stone");
        await new Promise((resolve) => setTimeout(resolve, 1000));
        throw new Error(`shown: ${text}`);
      },
      20_000,
    );
  });

  it("joins a private channel by the invite link an admin made and copied", async () => {
    await createChannel(ann, "Secret club", { visibility: "private", posting: "everyone" });
    await ann.page.getByRole("button", { name: "Channel info" }).click();
    const info = ann.page.getByRole("dialog", { name: "Channel info" });
    await info.getByRole("button", { name: "Create invite link" }).click();
    const url = await info.getByLabel("Invite link", { exact: true }).inputValue();
    assert.match(url, /\/join#[^/]+$/);
    await info.locator(".member-list", { hasText: "Used 0 times" }).waitFor();
    assert.deepEqual(await checkThemes(ann.page, "channel info of an admin"), []);
    await info.getByRole("button", { name: "Close" }).click();

    // Not listed in the directory: only the link lets cat in.
    await cat.page.getByRole("button", { name: "Channels", exact: true }).click();
    const directory = cat.page.getByRole("dialog", { name: "Channel directory" });
    await directory.getByLabel("Search channels by name").fill("secret");
    await directory.getByText("No public channels found.").waitFor();
    await directory.getByRole("button", { name: "Close" }).click();

    await cat.page.goto(url);
    await cat.page.locator(".chat-header h2", { hasText: "Secret club" }).waitFor();
    await cat.page.locator(".chat-subtitle", { hasText: "2 members" }).waitFor();
    await cat.send("Thanks for the invite");
    await ann.waitForMessage("Thanks for the invite");
    // On cat's phone the channel info fits the screen: its member list, notifications and leave.
    await cat.page.getByRole("button", { name: "Channel info" }).click();
    const info2 = cat.page.getByRole("dialog", { name: "Channel info" });
    await info2.locator(".channel-members .member").nth(1).waitFor();
    assert.equal(await info2.getByRole("button", { name: "Create invite link" }).count(), 0, "invite links are for admins");
    const width = await cat.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `the page is ${width} px wide on a 390 px phone`);
    await info2.getByRole("button", { name: "Leave channel" }).click();
    await info2.getByRole("button", { name: "Leave channel" }).click();
    await cat.page.locator(".composer-closed", { hasText: "You are no longer a member of this channel." }).waitFor();
  });

  it("opens a channel of 100,000 members, shows the count and pages the member list without loading it", async () => {
    const created = await ann.api("POST", "/v1/channels", { title: "Crowd", visibility: "public" });
    // 100,000 accounts and memberships straight into the store, as the benchmark seeds them (the schema's triggers
    // keep the member counter).
    const db = new Database(join(session.server.dataDir, "parley.db"));
    try {
      const user = db.prepare(
        "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, 'x', 0)",
      );
      const member = db.prepare(
        "INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at) " +
          "VALUES (?, ?, 'member', 1, 0, 0, 0)",
      );
      db.transaction(() => {
        for (let i = 0; i < BIG; i++) {
          const name = `c${String(i).padStart(6, "0")}`;
          user.run(`U${name}`, name, `Crowd member ${i}`);
          member.run(created.id, `U${name}`);
        }
      })();
    } finally {
      db.close();
    }

    await ann.openConversation("Crowd");
    await ann.page.locator(".chat-subtitle", { hasText: "100,001 members" }).waitFor();
    await ann.page.getByRole("button", { name: "Channel info" }).click();
    const info = ann.page.getByRole("dialog", { name: "Channel info" });
    const rows = info.locator(".channel-members .member");
    await info.getByText("Showing 50 of 100,001").waitFor();
    assert.equal(await rows.count(), 50, "one page of members, not the whole list");
    assert.equal(await rows.first().locator(".role-badge").textContent(), "Admin", "admins first");

    await info.getByRole("button", { name: "Load more" }).click();
    await info.getByText("Showing 100 of 100,001").waitFor();
    assert.equal(await rows.count(), 100);

    await info.getByLabel("Search members").fill("c09999");
    await eventually("ten members match the search", async () => (await rows.count()) === 10);
    assert.deepEqual(
      await rows.locator(".member-status").allTextContents(),
      Array.from({ length: 10 }, (_, i) => `@c09999${i}`),
    );
    assert.equal(await info.getByRole("button", { name: "Load more" }).count(), 0, "one page holds every match");
  });
});
