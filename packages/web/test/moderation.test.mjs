// Moderation in the web app (issue 20), in Chromium against a real server: a user reports a message from its actions,
// the administrator finds it in the Reports tab and removes it, and both people in the chat see "Removed by an
// administrator"; a group admin bans a member from the group info dialog, the ban is listed and lifted there.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { checkThemes } from "./axe.mjs";
import { browserAvailable, DESKTOP, eventually, longPress, PHONE, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

describe("web: reports, removals and group bans", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let root;
  let ann;
  let bob;

  before(async () => {
    session = await startBrowserSession([
      // axe is injected as a script into the pages it checks: their Content-Security-Policy would refuse it.
      { username: "root", displayName: "Root Admin", device: { ...DESKTOP, bypassCSP: true } },
      { username: "ann", displayName: "Ann Lee", device: { ...DESKTOP, bypassCSP: true } },
      { username: "bob", displayName: "Bob Stone", device: PHONE },
    ]);
    [root, ann, bob] = session.users;
    // One after the other: the first account of the fresh server becomes its administrator.
    await root.register();
    await ann.register();
    await bob.register();
  });

  after(async () => {
    await session?.close();
  });

  it("reports a message; the administrator removes it from the queue; both see it removed by an administrator", async () => {
    await ann.startChat("bob", "Bob Stone");
    await ann.send("Hello Bob");
    await bob.openConversation("Ann Lee");
    await bob.send("Buy cheap watches now");
    await bob.send("Only joking");
    await ann.waitForMessage("Only joking");

    // Ann reports Bob's message: her own has no Report action.
    const own = ann.messages("Hello Bob").last();
    await own.hover();
    await own.getByRole("button", { name: "Message actions" }).click();
    assert.equal(await ann.page.getByRole("menuitem", { name: "Report" }).count(), 0, "no report of one's own message");
    await ann.page.keyboard.press("Escape");
    const spam = ann.messages("Buy cheap watches now").last();
    await spam.hover();
    await spam.getByRole("button", { name: "Message actions" }).click();
    await ann.page.getByRole("menuitem", { name: "Report", exact: true }).click();
    const dialog = ann.page.getByRole("dialog", { name: "Report message" });
    assert.equal(await dialog.getByRole("button", { name: "Send report" }).isDisabled(), true, "a reason is needed");
    await dialog.getByRole("radio", { name: "Spam" }).check();
    await dialog.getByLabel("Anything to add?").fill("selling watches");
    assert.deepEqual(await checkThemes(ann.page, "report dialog"), []);
    await dialog.getByRole("button", { name: "Send report" }).click();
    const sent = ann.page.getByRole("dialog", { name: "Report sent" });
    await sent.getByRole("status").waitFor();
    await sent.getByRole("button", { name: "Done" }).click();
    const joke = ann.messages("Only joking").last();
    await joke.hover();
    await joke.getByRole("button", { name: "Message actions" }).click();
    await ann.page.getByRole("menuitem", { name: "Report", exact: true }).click();
    const second = ann.page.getByRole("dialog", { name: "Report message" });
    await second.getByRole("radio", { name: "Harassment or bullying" }).check();
    await second.getByRole("button", { name: "Send report" }).click();
    await ann.page.getByRole("dialog", { name: "Report sent" }).getByRole("button", { name: "Done" }).click();

    // The administrator's queue shows it, with the reporter, the reason, the note and the message with its sender.
    await root.page.getByRole("button", { name: "Administration" }).click();
    const admin = root.page.getByRole("dialog", { name: "Administration" });
    await admin.getByRole("tab", { name: "Reports" }).click();
    const queue = admin.getByRole("list", { name: "Open reports" });
    const row = queue.getByRole("listitem").filter({ hasText: "Buy cheap watches now" });
    await row.waitFor();
    const text = await row.textContent();
    assert.match(text, /Spam — reported by Ann Lee/);
    assert.match(text, /selling watches/);
    assert.match(text, /Bob Stone: Buy cheap watches now/);
    assert.deepEqual(await checkThemes(root.page, "reports tab"), []);
    await row.getByRole("button", { name: "Remove message" }).click();
    await row.waitFor({ state: "detached" });
    // The other one is dismissed: the message stays.
    await queue.getByRole("listitem").filter({ hasText: "Only joking" }).getByRole("button", { name: "Dismiss" }).click();
    await admin.getByText("No open reports.").waitFor();
    await admin.getByRole("radio", { name: "Resolved" }).check();
    const resolved = admin.getByRole("list", { name: "Resolved reports" }).getByRole("listitem");
    await eventually("the reports are listed as resolved", async () => {
      const rows = await resolved.allTextContents();
      return rows.some((r) => /Message removed/.test(r)) && rows.some((r) => /Dismissed/.test(r) && /Only joking/.test(r));
    });
    await admin.getByRole("button", { name: "Close" }).click();

    // On a phone the report dialog opens from the long-press sheet, its controls inside the screen and ≥ 40 px.
    await longPress(bob.page, bob.messages("Hello Bob").last());
    await bob.page.getByRole("dialog", { name: "Message actions" }).getByRole("menuitem", { name: "Report" }).click();
    const onPhone = bob.page.getByRole("dialog", { name: "Report message" });
    await onPhone.waitFor();
    for (const control of [
      ...(await onPhone.locator("label.checkbox-field").all()),
      ...(await onPhone.getByRole("button").all()),
    ]) {
      const box = await control.boundingBox();
      assert.ok(
        box && box.height >= 40 && box.x >= 0 && box.x + box.width <= 390,
        `${await control.textContent()}: ${JSON.stringify(box)}`,
      );
    }
    await onPhone.getByRole("button", { name: "Cancel" }).click();

    // The tombstone, live, on both sides (Bob on a phone).
    await bob.waitForMessage("Removed by an administrator");
    await ann.waitForMessage("Removed by an administrator");
    assert.equal(await ann.messages("Buy cheap watches now").count(), 0);
    await ann.waitForMessage("Only joking");
    // After a reload the history says so too.
    await ann.page.reload();
    await ann.openConversation("Bob Stone");
    await ann.waitForMessage("Removed by an administrator");
  });

  it("bans a member from the group info dialog, refuses adding them back, and lifts the ban", async () => {
    const bobId = (await bob.api("GET", "/v1/me")).id;
    const rootId = (await root.api("GET", "/v1/me")).id;
    await ann.api("POST", "/v1/conversations/group", { title: "Book club", memberIds: [bobId, rootId] });
    await ann.openConversation("Book club");
    await ann.page.getByRole("button", { name: "Group info" }).click();
    const info = ann.page.getByRole("dialog", { name: "Group info" });
    await info.getByText("Nobody is banned from this group.").waitFor();
    await info.getByRole("button", { name: "Ban Bob Stone" }).click();
    const confirm = ann.page.getByRole("dialog", { name: "Ban Bob Stone?" });
    await confirm.getByLabel("Reason").fill("off topic");
    await confirm.getByRole("button", { name: "Ban", exact: true }).click();
    const banned = info.getByRole("list", { name: "Banned users" });
    await banned.getByText("Bob Stone (@bob)").waitFor();
    assert.match(await banned.textContent(), /off topic/);
    assert.deepEqual(await checkThemes(ann.page, "group info with a ban"), []);
    await eventually(
      "Bob is no longer listed as a member",
      async () => (await info.getByRole("list", { name: "Members" }).getByText("Bob Stone").count()) === 0,
    );

    // Nobody can add Bob back while the ban stands.
    const refused = await fetch(`${session.server.url}/v1/conversations/${await groupId(ann, "Book club")}/members`, {
      method: "POST",
      headers: { ...(await ann.bearer()), "content-type": "application/json" },
      body: JSON.stringify({ userIds: [bobId] }),
    });
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).error.details.reason, "banned");

    await banned.getByRole("button", { name: "Unban Bob Stone (@bob)" }).click();
    await info.getByText("Nobody is banned from this group.").waitFor();
    await info.getByRole("button", { name: "Close" }).click();
  });

  it("deactivates a reported message's author from the queue", async () => {
    await root.page.getByRole("button", { name: "Administration" }).click();
    const admin = root.page.getByRole("dialog", { name: "Administration" });
    await admin.getByRole("tab", { name: "Reports" }).click();
    await admin.getByRole("radio", { name: "Resolved" }).check();
    const row = admin.getByRole("list", { name: "Resolved reports" }).getByRole("listitem").filter({ hasText: "Only joking" });
    await row.getByRole("button", { name: "Deactivate author Bob Stone" }).click();
    await row.getByText("Author deactivated").waitFor();
    const { users } = await root.api("GET", "/v1/admin/users?query=bob");
    assert.equal(users.find((u) => u.username === "bob")?.deactivated, true);
    await admin.getByRole("button", { name: "Close" }).click();
  });
});

async function groupId(user, title) {
  const { conversations } = await user.api("GET", "/v1/conversations");
  return conversations.find((c) => c.title === title).id;
}
