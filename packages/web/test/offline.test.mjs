// The installable, offline-capable app in Chromium: a web app manifest with icons, one service worker that keeps the
// app shell, and the last conversations and messages kept in IndexedDB: a reload without network opens the app on
// the conversation it showed (not the browser's "No internet" page), and what is written meanwhile is sent later.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { browserAvailable, DESKTOP, eventually, startBrowserSession } from "./browser.mjs";

const run = browserAvailable();

describe("installable and offline in Chromium", { skip: !run && "chromium not found", timeout: 120_000 }, () => {
  let session;
  let ann;
  let bob;

  before(async () => {
    session = await startBrowserSession(
      [
        { username: "ann", displayName: "Ann Lee", device: DESKTOP },
        { username: "bob", displayName: "Bob Stone", device: DESKTOP },
      ],
      { register: true },
    );
    [ann, bob] = session.users;
    await ann.startChat("bob", "Bob Stone");
    await ann.send("Before the tunnel");
    await bob.openConversation("Ann Lee");
    await bob.send("Call me when you are out");
    await ann.waitForMessage("Call me when you are out");
  });

  after(async () => {
    await session?.close();
  });

  it("is installable: a manifest with PNG icons, and a service worker that controls the page", async () => {
    const { page } = ann;
    const href = await page.locator('link[rel="manifest"]').getAttribute("href");
    const manifest = await (await fetch(new URL(href, session.server.url))).json();
    assert.equal(manifest.name, "Parley");
    assert.equal(manifest.display, "standalone");
    assert.equal(manifest.start_url, "/");
    for (const size of ["192x192", "512x512"]) {
      const icon = manifest.icons.find((i) => i.sizes === size && i.type === "image/png");
      assert.ok(icon, size);
      const res = await fetch(new URL(icon.src, session.server.url));
      assert.equal(res.headers.get("content-type"), "image/png");
      const png = Buffer.from(await res.arrayBuffer());
      assert.equal(png.readUInt32BE(16), Number(size.split("x")[0]), `${size} icon is ${size}`);
    }
    await page.evaluate(() => navigator.serviceWorker.ready);
    await eventually("the page is controlled", () => page.evaluate(() => navigator.serviceWorker.controller !== null));
    const cdp = await page.context().newCDPSession(page);
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    await cdp.detach();
    // Test contexts are incognito-like, where Chromium never offers installation; nothing else may stand in the way.
    assert.deepEqual(
      installabilityErrors.filter((e) => e.errorId !== "in-incognito"),
      [],
    );
  });

  it("reloads without network into the last conversation, and sends what was written once back online", async () => {
    const { page } = ann;
    await eventually("the shell is cached", () =>
      page.evaluate(async () => {
        const cache = await caches.open("parley-shell-v1");
        const keys = (await cache.keys()).map((r) => new URL(r.url).pathname);
        return keys.includes("/") && keys.some((k) => k.startsWith("/assets/") && k.endsWith(".js"));
      }),
    );
    // The snapshot is written shortly after the last change.
    await page.waitForTimeout(800);
    await ann.context.setOffline(true);
    const started = Date.now();
    await page.reload();
    await ann.waitForMessage("Call me when you are out");
    const shownMs = Date.now() - started;
    assert.ok(await page.locator(".chat-header h2", { hasText: "Bob Stone" }).isVisible(), "the conversation is open");
    assert.ok(await ann.conversation("Bob Stone").isVisible(), "the list shows it");
    await page.getByRole("status").filter({ hasText: "You are offline" }).waitFor();
    assert.ok(shownMs < 5000, `shown after ${shownMs} ms`);

    await ann.send("Out of the tunnel");
    assert.equal(await ann.tickState("Out of the tunnel"), "pending");
    await ann.context.setOffline(false);
    await bob.waitForMessage("Out of the tunnel");
    await eventually("stored", async () => (await ann.tickState("Out of the tunnel")) !== "pending");
    assert.equal(await ann.messages("Out of the tunnel").count(), 1, "shown once");
  });

  it("forgets the cached conversations on sign-out", async () => {
    const { page } = ann;
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("button", { name: "Sign in" }).waitFor();
    await eventually("the snapshot is gone", () =>
      page.evaluate(
        () =>
          new Promise((resolve, reject) => {
            const open = indexedDB.open("parley");
            open.onerror = () => reject(open.error);
            open.onsuccess = () => {
              const count = open.result.transaction("snapshots").objectStore("snapshots").count();
              count.onsuccess = () => resolve(count.result === 0);
              count.onerror = () => reject(count.error);
            };
          }),
      ),
    );
  });
});
