// Helpers for the browser tests: find and launch Debian's Chromium through playwright-core, start a real Parley
// server that serves the built app, and drive the app as a user would.

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startParley } from "@parley/server";
import { chromium } from "playwright-core";

export const CHROMIUM_PATH = process.env.PARLEY_CHROMIUM ?? "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Whether the browser tests can run here; prints the skip line (or fails under PARLEY_REQUIRE_BROWSER=1). */
export function browserAvailable() {
  if (existsSync(CHROMIUM_PATH)) return true;
  if (process.env.PARLEY_REQUIRE_BROWSER === "1") {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH} and PARLEY_REQUIRE_BROWSER=1 (install it: apt-get install chromium)`);
  }
  console.log(`SKIP browser tests: chromium not found at ${CHROMIUM_PATH}`);
  return false;
}

/**
 * Launches Chromium. Playwright gives the browser a fresh profile directory of its own (created with mkdtemp and
 * removed on close), which is why --user-data-dir is not passed here: each test context is isolated anyway.
 */
export function launchChromium() {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
}

/** A real Parley server on a free port with a throwaway data directory, serving packages/web/dist. */
export async function startServer(overrides = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-web-test-"));
  const server = await startParley(
    {
      host: "127.0.0.1",
      port: 0,
      dataDir,
      logLevel: "silent",
      presenceGraceMs: 300,
      // Several users sign up from one address within seconds.
      rateRegisterIp: null,
      rateAuthIp: null,
      rateConnectIp: null,
      ...overrides,
      // Another build of the app (e.g. an older one, to see a test fail before a fix); packages/web/dist by default.
    },
    process.env,
    process.env.PARLEY_WEB_ROOT ? { webRoot: process.env.PARLEY_WEB_ROOT } : {},
  );
  return {
    url: server.url,
    server,
    /** The server's data directory (its SQLite database is `parley.db` there), for tests that seed rows directly. */
    dataDir,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * What every browser suite starts with: a server (`server`: config overrides), Chromium, and the app open for each
 * person (`{ username, displayName, setup?, device? }`, `setup(context, serverUrl)` runs before the page loads, `device`
 * is PHONE, DESKTOP or other context options) in a context of their own; with `register`, each signs up. `close()` closes it all, then fails if any page threw an uncaught error.
 */
export async function startBrowserSession(people, { server: overrides = {}, register = false } = {}) {
  const server = await startServer(overrides);
  let browser;
  let users = [];
  const close = async () => {
    try {
      await browser?.close();
    } finally {
      await server.close();
    }
    for (const user of users) assert.deepEqual(user.errors, [], `uncaught errors in ${user.username}'s page`);
  };
  try {
    browser = await launchChromium();
    users = await Promise.all(
      people.map(({ username, displayName, setup, device = {} }) =>
        User.open(
          browser,
          server.url,
          username,
          displayName,
          device.viewport,
          setup && ((context) => setup(context, server.url)),
          device,
        ),
      ),
    );
    if (register) await Promise.all(users.map((user) => user.register()));
  } catch (error) {
    await close().catch(() => {});
    throw error;
  }
  return { server, browser, users, close };
}

/** A phone: 390 × 844 CSS pixels, touch screen, mobile viewport rules. */
export const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };
/** A desktop browser window. */
export const DESKTOP = { viewport: { width: 1440, height: 900 } };

/** Holds a finger still on the middle of `locator` for `ms` (a long press), through the DevTools protocol. */
export async function longPress(page, locator, ms = 700) {
  const box = await locator.boundingBox();
  const point = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [point] });
  await new Promise((resolve) => setTimeout(resolve, ms));
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

/** Polls `check` until it returns a truthy value (returned) or `timeoutMs` passes (throws with `what`). */
export async function eventually(what, check, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what} (last: ${last instanceof Error ? last.message : last})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** One person using the app in their own browser context (own storage, own network switch). */
export class User {
  constructor(context, page, username, displayName, baseUrl) {
    this.context = context;
    this.page = page;
    this.username = username;
    this.displayName = displayName;
    this.baseUrl = baseUrl;
  }

  /**
   * `setup(context)` runs before the first page loads (permissions, init scripts); `device` adds context options
   * (`PHONE` for a touch screen).
   */
  static async open(
    browser,
    baseUrl,
    username,
    displayName,
    viewport = { width: 1280, height: 800 },
    setup = undefined,
    device = {},
  ) {
    const context = await browser.newContext({ baseURL: baseUrl, viewport, locale: "en-GB", timezoneId: "UTC", ...device });
    context.setDefaultTimeout(10_000);
    if (setup) await setup(context);
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (error) => errors.push(error));
    await page.goto("/");
    const user = new User(context, page, username, displayName, baseUrl);
    user.errors = errors;
    return user;
  }

  async register(password = "correct horse battery") {
    const { page } = this;
    await page.getByRole("button", { name: "Create an account" }).click();
    await page.getByLabel("Username").fill(this.username);
    await page.getByLabel("Display name").fill(this.displayName);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Create account" }).click();
    await page.locator(".me-username", { hasText: `@${this.username}` }).waitFor();
  }

  async login(password = "correct horse battery") {
    const { page } = this;
    await page.getByLabel("Username").fill(this.username);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.locator(".me-username", { hasText: `@${this.username}` }).waitFor();
  }

  /** Starts (or reopens) a direct chat through the "New chat" dialog and waits until it is open. */
  async startChat(username, title) {
    const { page } = this;
    await page.getByRole("button", { name: "New chat" }).click();
    const dialog = page.getByRole("dialog", { name: "New chat" });
    await dialog.getByLabel("Username").fill(username);
    await dialog.getByRole("button", { name: "Start chat" }).click();
    await page.locator(".chat-header h2", { hasText: title }).waitFor();
  }

  /** The conversation row with this title in the sidebar. */
  conversation(title) {
    return this.page.locator(".conversation-item", { has: this.page.locator(".conversation-title", { hasText: title }) });
  }

  async openConversation(title) {
    await this.conversation(title).click();
    await this.page.locator(".chat-header h2", { hasText: title }).waitFor();
  }

  composer() {
    return this.page.getByRole("textbox", { name: "Message" });
  }

  async send(text) {
    await this.composer().fill(text);
    await this.composer().press("Enter");
  }

  /** Message rows whose text is exactly `text`. */
  messages(text) {
    return this.page.locator(".message", {
      has: this.page.locator(".bubble-text", { hasText: new RegExp(`^${escapeRegExp(text)}$`) }),
    });
  }

  async waitForMessage(text) {
    await this.messages(text).first().waitFor();
  }

  /** The tick state of one's own message (`pending`, `sent`, `delivered`, `read`). */
  async tickState(text) {
    return this.messages(text).last().locator(".ticks").getAttribute("data-state");
  }

  /** The Authorization header of the session the app stored (read through a new page if the tab was closed). */
  async bearer() {
    const page = this.page.isClosed() ? await this.context.newPage() : this.page;
    const session = JSON.parse(await page.evaluate(() => localStorage.getItem("parley.session")));
    return { authorization: `Bearer ${session.accessToken}` };
  }

  /** Calls the server's HTTP API as this user, asserting success; returns the JSON answer. */
  async api(method, path, body) {
    const res = await fetch(this.baseUrl + path, {
      method,
      headers: { ...(await this.bearer()), ...(body ? { "content-type": "application/json" } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    assert.ok(res.ok, `${method} ${path}: ${res.status}`);
    return res.json();
  }

  async close() {
    await this.context.close();
  }
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
