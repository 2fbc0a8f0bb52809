// The service worker (public/sw.js) run in a sandbox with a fake worker scope: what a push shows, and where a click on
// a notification leads (an open tab is focused and told to open the conversation; otherwise a new tab opens there).

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import vm from "node:vm";

const SOURCE = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../public/sw.js"), "utf8");
const ORIGIN = "https://chat.example.com";

/** Loads sw.js into a fresh scope; returns the scope's fakes and a way to dispatch events and await their work. */
function loadWorker(windows = []) {
  const listeners = new Map();
  const shown = [];
  const opened = [];
  const scope = {
    location: new URL(`${ORIGIN}/sw.js`),
    addEventListener: (type, fn) => listeners.set(type, fn),
    skipWaiting: () => {},
    registration: { showNotification: async (title, options) => shown.push({ title, options }) },
    clients: {
      claim: async () => {},
      matchAll: async () => windows,
      openWindow: async (url) => opened.push(url),
    },
  };
  vm.runInNewContext(SOURCE, { self: scope, URL });
  async function dispatch(type, event) {
    const work = [];
    listeners.get(type)({ ...event, waitUntil: (p) => work.push(p) });
    await Promise.all(work);
  }
  return { shown, opened, dispatch };
}

const pushEvent = (payload) => ({ data: { json: () => (typeof payload === "string" ? JSON.parse(payload) : payload) } });

describe("service worker", () => {
  it("shows a message notification with its title and body, tagged by conversation", async () => {
    const sw = loadWorker();
    await sw.dispatch(
      "push",
      pushEvent({
        type: "message",
        conversationId: "C1",
        title: "Ann",
        body: "New message from Ann",
        count: 1,
        seq: 7,
        url: "/c/C1",
      }),
    );
    assert.equal(sw.shown.length, 1);
    assert.equal(sw.shown[0].title, "Ann");
    assert.equal(sw.shown[0].options.body, "New message from Ann");
    assert.equal(sw.shown[0].options.tag, "C1");
    assert.equal(sw.shown[0].options.renotify, true);
    assert.deepEqual({ ...sw.shown[0].options.data }, { url: "/c/C1", conversationId: "C1", seq: 7 });
  });

  it("says 'New encrypted message' for an encrypted conversation", async () => {
    const sw = loadWorker();
    const payload = { type: "message", conversationId: "C2", title: "Ann", body: "New message from Ann", count: 1, seq: 3 };
    await sw.dispatch("push", pushEvent({ ...payload, url: "/c/C2", encrypted: true }));
    assert.equal(sw.shown[0].title, "Ann");
    assert.equal(sw.shown[0].options.body, "New encrypted message");
  });

  it("shows an 'added to a group' notification", async () => {
    const sw = loadWorker();
    await sw.dispatch(
      "push",
      pushEvent({ type: "added", conversationId: "G1", title: "Team", body: "Ann added you", count: 0, seq: 1, url: "/c/G1" }),
    );
    assert.equal(sw.shown[0].title, "Team");
    assert.equal(sw.shown[0].options.body, "Ann added you");
    assert.equal(sw.shown[0].options.data.url, "/c/G1");
  });

  it("shows a generic notice for a payload it cannot read, and never links off-site", async () => {
    const sw = loadWorker();
    await sw.dispatch("push", pushEvent("not json {"));
    await sw.dispatch("push", { data: null });
    await sw.dispatch(
      "push",
      pushEvent({ type: "message", conversationId: "C2", title: "x", body: "y", url: "//evil.example/" }),
    );
    assert.equal(sw.shown[0].title, "Parley");
    assert.equal(sw.shown[1].title, "Parley");
    assert.equal(sw.shown[2].options.data.url, "/");
  });

  it("a click focuses an open tab of the app and tells it to open the conversation", async () => {
    const messages = [];
    let focused = 0;
    const tab = { url: `${ORIGIN}/c/other`, postMessage: (m) => messages.push(m), focus: async () => focused++ };
    const foreign = { url: "https://elsewhere.example/", postMessage: () => assert.fail("not ours"), focus: async () => {} };
    const sw = loadWorker([foreign, tab]);
    let closed = false;
    await sw.dispatch("notificationclick", { notification: { data: { url: "/c/C1" }, close: () => (closed = true) } });
    assert.equal(closed, true);
    assert.equal(focused, 1);
    assert.deepEqual(JSON.parse(JSON.stringify(messages)), [{ type: "parley.open", url: "/c/C1" }]);
    assert.deepEqual(sw.opened, []);
  });

  it("a click with no open tab opens the app at the conversation", async () => {
    const sw = loadWorker([]);
    await sw.dispatch("notificationclick", { notification: { data: { url: "/c/C9" }, close: () => {} } });
    assert.deepEqual(sw.opened, [`${ORIGIN}/c/C9`]);
  });
});

describe("security review #12: service worker paths stay on this origin", () => {
  it("turns paths a URL parser reads as another host into / (pushed and clicked)", async () => {
    const hostile = ["/\\evil.example", "/\\\\evil.example/x", "/\t/evil.example", "/\n/evil.example", "//evil.example"];
    for (const url of hostile) {
      const sw = loadWorker([]);
      await sw.dispatch("push", pushEvent({ type: "message", conversationId: "C1", title: "x", body: "y", url }));
      assert.equal(sw.shown[0].options.data.url, "/", `pushed ${JSON.stringify(url)}`);
      await sw.dispatch("notificationclick", { notification: { data: { url }, close: () => {} } });
      assert.deepEqual(sw.opened, [`${ORIGIN}/`], `clicked ${JSON.stringify(url)}`);
    }
  });

  it("keeps this origin's paths, with their query and fragment", async () => {
    const sw = loadWorker([]);
    await sw.dispatch("notificationclick", { notification: { data: { url: "/c/C1?seq=4#m4" }, close: () => {} } });
    assert.deepEqual(sw.opened, [`${ORIGIN}/c/C1?seq=4#m4`]);
  });
});
