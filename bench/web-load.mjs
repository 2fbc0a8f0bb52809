#!/usr/bin/env node
// How fast the web app loads (issue 19), in Chromium against a real server on loopback: JavaScript transferred on the
// first load, time to first paint and to the sign-in form on a throttled profile (1.6 Mbps, 150 ms RTT, CPU slowed
// 4×), and time to show the last conversation on a signed-in reload, online and offline. Bounded: one server, one
// browser, a fixed number of loads (`--runs`, median reported), every wait has a timeout.
//
// Usage: npm run build && node bench/web-load.mjs [--runs 3] [--web-root <dir of another build, to compare>]
import { parseArgs } from "node:util";
import { launchChromium, startServer, User } from "../packages/web/test/browser.mjs";

const { values } = parseArgs({
  options: { runs: { type: "string", default: "3" }, "web-root": { type: "string" } },
});
const RUNS = Math.max(1, Math.min(10, Number(values.runs)));
if (values["web-root"]) process.env.PARLEY_WEB_ROOT = values["web-root"];

/** Chrome DevTools' "Slow 4G"-like profile of the issue: 1.6 Mbps down, 750 kbps up, 150 ms round trip. */
const NETWORK = { offline: false, latency: 150, downloadThroughput: (1.6e6 / 8) | 0, uploadThroughput: (750e3 / 8) | 0 };
const CPU_SLOWDOWN = 4;

/** Records, in page time (ms since navigation start), when `selector` first matches. */
const MARK_SCRIPT = `
  window.__marks = {};
  const watch = { signIn: ".auth-form", conversation: ".messages .message" };
  new MutationObserver(() => {
    for (const [name, selector] of Object.entries(watch)) {
      if (!(name in window.__marks) && document.querySelector(selector)) window.__marks[name] = performance.now();
    }
  }).observe(document, { childList: true, subtree: true });
`;

/** One DevTools session per page: two sessions with network conditions of their own would not both apply. */
const sessions = new WeakMap();

/** The throttled profile, or (with `offline`) no network at all, for the page and (through Playwright) its worker. */
async function throttle(page, offline = false) {
  let cdp = sessions.get(page);
  if (!cdp) {
    cdp = await page.context().newCDPSession(page);
    sessions.set(page, cdp);
    await cdp.send("Network.enable");
    await cdp.send("Emulation.setCPUThrottlingRate", { rate: CPU_SLOWDOWN });
  }
  await page.context().setOffline(offline);
  await cdp.send("Network.emulateNetworkConditions", { ...NETWORK, offline });
  return cdp;
}

async function marks(page, name) {
  await page.waitForFunction((n) => n in (window.__marks ?? {}), name, { timeout: 30_000 });
  return page.evaluate(() => ({
    ...window.__marks,
    firstPaint: performance.getEntriesByName("first-paint")[0]?.startTime,
    firstContentfulPaint: performance.getEntriesByName("first-contentful-paint")[0]?.startTime,
  }));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => (x === undefined ? "–" : `${Math.round(x)} ms`);

/** A first visit in a fresh context: bytes of JavaScript on the wire (after compression) and paint/form times. */
async function firstLoad(browser, url) {
  const context = await browser.newContext({ baseURL: url, viewport: { width: 1440, height: 900 } });
  await context.addInitScript(MARK_SCRIPT);
  const page = await context.newPage();
  const cdp = await throttle(page);
  const scripts = new Map();
  let jsBytes = 0;
  cdp.on("Network.responseReceived", (e) => {
    if (e.type === "Script") scripts.set(e.requestId, e.response.headers["content-encoding"] ?? "identity");
  });
  cdp.on("Network.loadingFinished", (e) => {
    if (scripts.has(e.requestId)) jsBytes += e.encodedDataLength;
  });
  await page.goto("/", { timeout: 60_000 });
  const m = await marks(page, "signIn");
  await page.waitForLoadState("networkidle", { timeout: 60_000 });
  await context.close();
  return { jsBytes, encodings: [...new Set(scripts.values())], ...m };
}

/** A signed-in reload of an open conversation (the page loaded once before: caches warm), online or offline. */
async function signedInReload(user, offline) {
  const { page } = user;
  await page.waitForTimeout(800);
  await throttle(page, offline);
  try {
    await page.reload({ timeout: 60_000 });
    return (await marks(page, "conversation")).conversation;
  } catch (error) {
    // A build without an offline shell shows the browser's error page: nothing to time.
    if (offline) return undefined;
    throw error;
  } finally {
    await throttle(page, false);
  }
}

const server = await startServer();
const browser = await launchChromium();
try {
  const loads = [];
  for (let i = 0; i < RUNS; i++) loads.push(await firstLoad(browser, server.url));

  const ann = await User.open(browser, server.url, "ann", "Ann Lee", { width: 1440, height: 900 }, (context) =>
    context.addInitScript(MARK_SCRIPT),
  );
  const bob = await User.open(browser, server.url, "bob", "Bob Stone");
  await Promise.all([ann.register(), bob.register()]);
  await ann.startChat("bob", "Bob Stone");
  for (let i = 1; i <= 30; i++) await ann.send(`Message ${i}`);
  await ann.waitForMessage("Message 30");
  const online = [];
  const offline = [];
  for (let i = 0; i < RUNS; i++) {
    online.push(await signedInReload(ann, false));
    offline.push(await signedInReload(ann, true));
  }

  const kb = (b) => `${(b / 1024).toFixed(1)} kB`;
  console.log(`web app load, median of ${RUNS} (throttled: 1.6 Mbps, 150 ms RTT, CPU ×${CPU_SLOWDOWN})`);
  console.log(`  JS transferred, first load:          ${kb(median(loads.map((l) => l.jsBytes)))} (${loads[0].encodings})`);
  console.log(`  first paint:                         ${ms(median(loads.map((l) => l.firstPaint ?? Infinity)))}`);
  console.log(`  first contentful paint:              ${ms(median(loads.map((l) => l.firstContentfulPaint ?? Infinity)))}`);
  console.log(`  sign-in form shown:                  ${ms(median(loads.map((l) => l.signIn)))}`);
  console.log(`  signed-in reload, last conversation: ${ms(median(online))} online`);
  const offlineShown = offline.filter((x) => x !== undefined);
  console.log(`  signed-in reload, last conversation: ${offlineShown.length ? ms(median(offlineShown)) : "not shown"} offline`);
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await browser.close();
  await server.close();
}
