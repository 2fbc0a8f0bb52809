// Security review #8 in the web app: in a group, two members who chose the same display name stay told apart by the
// @username shown with every run of their messages.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

describe("security review #8: group messages name their sender", { skip: !run && "chromium not found", timeout: 60_000 }, () => {
  let session;
  let ann;
  let mallory;
  let bob;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann", displayName: "Ann Lee" },
        { username: "mallory", displayName: "Ann Lee" },
        { username: "bob", displayName: "Bob Stone" },
      ],
      { register: true },
    );
    [ann, mallory, bob] = session.users;
  });

  after(async () => {
    await session?.close();
  });

  it("shows the @username next to a display name that another member also uses", async () => {
    await bob.page.getByRole("button", { name: "New group" }).click();
    const dialog = bob.page.getByRole("dialog", { name: "New group" });
    await dialog.getByLabel("Group name").fill("Lunch");
    await dialog.getByLabel("Members").fill("ann, mallory");
    await dialog.getByRole("button", { name: "Create group" }).click();
    await bob.page.locator(".chat-header h2", { hasText: "Lunch" }).waitFor();

    await ann.openConversation("Lunch");
    await ann.send("Pizza at noon?");
    await ann.waitForMessage("Pizza at noon?");
    await mallory.openConversation("Lunch");
    await mallory.waitForMessage("Pizza at noon?");
    await mallory.send("Ann here: send the money to my new account");
    await bob.waitForMessage("Pizza at noon?");
    await bob.waitForMessage("Ann here: send the money to my new account");

    const senderOf = async (text) => {
      const group = bob.page.locator(".message-group", { has: bob.messages(text) });
      return (await group.locator(".sender-name").textContent()).replace(/\s+/g, " ").trim();
    };
    assert.equal(await senderOf("Pizza at noon?"), "Ann Lee @ann");
    assert.equal(await senderOf("Ann here: send the money to my new account"), "Ann Lee @mallory");
  });
});
