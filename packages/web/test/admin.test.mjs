// Running a server for an organisation in the web app (issue 20): the first account administers and sees the
// administration area, nobody else does; invite-only sign-up through an invite link; deactivation signs an open tab
// out; users change their password and sign out their other devices; password-reset links.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, eventually, startBrowserSession, User } from "./browser.mjs";

const run = browserAvailable();
const PASSWORD = "correct horse battery";

describe("web: administration and account self-service", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let root;
  let bob;

  /** Another person with a browser context of their own, at `path` of the app. */
  async function visitor(username, path = "/") {
    const user = await User.open(session.browser, session.server.url, username, username);
    if (path !== "/") await user.page.goto(path);
    return user;
  }

  async function openAdmin(tab) {
    // A test that failed half-way may have left its dialog open.
    if ((await root.page.locator("dialog[open]").count()) > 0) await root.page.keyboard.press("Escape");
    await root.page.getByRole("button", { name: "Administration" }).click();
    const dialog = root.page.getByRole("dialog", { name: "Administration" });
    await dialog.getByRole("tab", { name: tab }).click();
    return dialog;
  }

  before(async () => {
    session = await startBrowserSession([
      { username: "root", displayName: "Root Admin" },
      { username: "bob", displayName: "Bob Stone" },
    ]);
    [root, bob] = session.users;
    // One after the other: the first account of the fresh server becomes its administrator.
    await root.register();
    await bob.register();
  });

  after(async () => {
    await session?.close();
  });

  it("shows the administration area to the first account only", { timeout: 30_000 }, async () => {
    assert.equal(await bob.page.getByRole("button", { name: "Administration" }).count(), 0);
    const dialog = await openAdmin("Users");
    await dialog.getByRole("list", { name: "Users" }).getByText("@bob").waitFor();
    await dialog.getByLabel("Search users").fill("root");
    await dialog.getByRole("list", { name: "Users" }).getByText("@bob").waitFor({ state: "detached" });
    // Keyboard: the arrow keys move between the tabs.
    await dialog.getByRole("tab", { name: "Users" }).focus();
    await root.page.keyboard.press("ArrowRight");
    assert.equal(await dialog.getByRole("tab", { name: "Sign-ups" }).getAttribute("aria-selected"), "true");
    await dialog.getByRole("button", { name: "Close" }).click();
  });

  it("sets the server's maximum message age in the Retention tab", { timeout: 30_000 }, async () => {
    const dialog = await openAdmin("Retention");
    const select = dialog.getByLabel("Delete messages older than");
    await eventually(
      "the current setting is loaded",
      async () => (await select.isEnabled()) && (await select.inputValue()) === "",
    );
    await select.selectOption({ label: "90 days" });
    await eventually(
      "the server has it",
      async () => (await root.api("GET", "/v1/admin/settings")).maxMessageAge === 90 * 86_400,
    );
    await dialog.getByRole("button", { name: "Close" }).click();
    // Reopened, the tab shows what the server keeps.
    const again = await openAdmin("Retention");
    await eventually(
      "the stored value is shown",
      async () => (await again.getByLabel("Delete messages older than").inputValue()) === String(90 * 86_400),
    );
    await root.api("PATCH", "/v1/admin/settings", { maxMessageAge: null });
    await again.getByRole("button", { name: "Close" }).click();
  });

  it("makes sign-up invite-only: the invite link admits, a sign-up without one is refused", { timeout: 40_000 }, async () => {
    const dialog = await openAdmin("Sign-ups");
    const inviteOnly = dialog.getByRole("radio", { name: "Only people with an invite link" });
    // The choice is saved at once; the radio shows it once the server has it.
    await inviteOnly.click();
    await dialog.locator('input[value="invite_only"]:checked').waitFor();
    await dialog.getByLabel("Note").fill("new colleague");
    await dialog.getByRole("button", { name: "Create invite link" }).click();
    const link = await dialog.getByLabel("New invite link").inputValue();
    assert.match(link, /\/invite#\S+\.\S+$/);
    await dialog.getByRole("list", { name: "Invite links" }).getByText("new colleague").waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();

    const carol = await visitor("carol", link);
    await carol.page.getByText("You have been invited. Create your account.").waitFor();
    await carol.page.getByLabel("Username").fill("carol");
    await carol.page.getByLabel("Password").fill(PASSWORD);
    await carol.page.getByRole("button", { name: "Create account" }).click();
    await carol.page.locator(".me-username", { hasText: "@carol" }).waitFor();

    const dave = await visitor("dave");
    await dave.page.getByRole("button", { name: "Create an account" }).click();
    await dave.page.getByLabel("Username").fill("dave");
    await dave.page.getByLabel("Password").fill(PASSWORD);
    await dave.page.getByRole("button", { name: "Create account" }).click();
    await dave.page
      .getByRole("alert")
      .getByText(/invite-only/)
      .waitFor();
    assert.equal(await dave.page.locator(".me-username").count(), 0);
    await root.api("PATCH", "/v1/admin/settings", { registration: "open" });
    await carol.close();
    await dave.close();
  });

  it("signs a deactivated user's open tab out and marks them deactivated", { timeout: 30_000 }, async () => {
    const dialog = await openAdmin("Users");
    await dialog.getByRole("button", { name: "Deactivate @bob" }).click();
    await dialog.getByRole("button", { name: "Reactivate @bob" }).waitFor();
    await dialog.getByText("Bob Stone (deactivated)").waitFor();
    await bob.page.getByText("An administrator deactivated your account.").waitFor();
    await bob.page.getByRole("button", { name: "Sign in" }).waitFor();
    await bob.page.getByLabel("Username").fill("bob");
    await bob.page.getByLabel("Password").fill(PASSWORD);
    await bob.page.getByRole("button", { name: "Sign in" }).click();
    await bob.page.getByRole("alert").getByText("This account has been deactivated. Ask an administrator.").waitFor();
    await dialog.getByRole("button", { name: "Close" }).click();
  });

  it("changes the password and signs out another device", { timeout: 40_000 }, async () => {
    const laptop = await visitor("erin");
    await laptop.register();
    const phone = await visitor("erin");
    await phone.login();

    await laptop.page.getByRole("button", { name: "Your account" }).click();
    let account = laptop.page.getByRole("dialog", { name: "Your account" });
    await account.getByLabel("Current password").fill(PASSWORD);
    await account.getByLabel("New password").fill("a brand new password");
    await account.getByRole("button", { name: "Change password" }).click();
    await account.getByText("Password changed. Your other devices are signed out.").waitFor();
    await phone.page.getByText("Your session has ended. Please sign in again.").waitFor();

    await phone.login("a brand new password");
    await account.getByRole("button", { name: "Done" }).click();
    await laptop.page.getByRole("button", { name: "Your account" }).click();
    account = laptop.page.getByRole("dialog", { name: "Your account" });
    const other = account.locator(".device-list li", { hasNotText: "This device" });
    await other.waitFor();
    assert.equal(await account.locator(".device-list li").count(), 2);
    await other.getByRole("button", { name: /^Sign out/ }).click();
    await other.waitFor({ state: "detached" });
    await phone.page.getByText("Your session has ended. Please sign in again.").waitFor();
    await laptop.close();
    await phone.close();
  });

  it("lets the owner of a reset link choose a new password and sign in", { timeout: 30_000 }, async () => {
    const dialog = await openAdmin("Users");
    await dialog.getByText("Create an account").click();
    await dialog.getByLabel("Username").fill("frank");
    await dialog.getByRole("button", { name: "Create account" }).click();
    const link = await dialog.getByLabel("Password link for @frank").inputValue();
    assert.match(link, /\/reset#\S+$/);
    await dialog.getByRole("button", { name: "Close" }).click();

    const frank = await visitor("frank", link);
    await frank.page.getByLabel("New password", { exact: true }).fill("frank's own password");
    await frank.page.getByLabel("Repeat the new password").fill("frank's own password");
    await frank.page.getByRole("button", { name: "Set password and sign in" }).click();
    await frank.page.locator(".me-username", { hasText: "@frank" }).waitFor();

    // The link works once.
    const again = await visitor("frank2", link);
    await again.page.getByLabel("New password", { exact: true }).fill("another password");
    await again.page.getByLabel("Repeat the new password").fill("another password");
    await again.page.getByRole("button", { name: "Set password and sign in" }).click();
    await again.page
      .getByRole("alert")
      .getByText(/no longer valid/)
      .waitFor();
    await frank.close();
    await again.close();
  });
});
