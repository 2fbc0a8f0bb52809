// Parley's service worker (one for everything, registered at start): keeps the app shell (index.html, the hashed
// assets it names, the manifest and icons) in a cache so that the app opens without a network; shows the push
// notifications the server sends while the user has no tab open, and opens the conversation when one is clicked
// (focusing an open tab of the app, or opening one). Plain JavaScript, served as-is at /sw.js so that its scope is the
// whole app. Conversations and messages are cached by the app itself (IndexedDB, src/state/offline-cache.ts).

const APP_NAME = "Parley";
/** Bump to drop every cached shell at the next activation (a change of this file's caching rules). */
const SHELL_CACHE = "parley-shell-v1";
/** The key index.html is kept under: every client-side route (/c/<id>) is answered with it. */
const SHELL_KEY = "/";
/** Small files of the shell that index.html does not name. */
const SHELL_EXTRAS = [
  "/manifest.webmanifest",
  "/favicon.svg",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/icons/maskable-512.png",
];
/** Paths never answered from the cache: the API, file downloads, health checks, this worker. */
const NETWORK_ONLY = /^\/(?:v\d+(?:\/|$)|healthz$|readyz$|metrics$|sw\.js$)/;

/**
 * Only paths of this origin: a payload must not send the user elsewhere. The path is resolved as the browser would
 * resolve it (`/\evil.com` and `/\t/evil.com` are other hosts to a URL parser) and kept only if it stays here.
 */
function safePath(url) {
  if (typeof url !== "string" || !url.startsWith("/")) return "/";
  let resolved;
  try {
    resolved = new URL(url, self.location.origin);
  } catch {
    return "/";
  }
  return resolved.origin === self.location.origin ? resolved.pathname + resolved.search + resolved.hash : "/";
}

/** What to show for a push payload (see docs/protocol.md §6.8); unknown or unreadable payloads get a generic notice. */
function notificationFor(payload) {
  const known = payload && typeof payload === "object" && (payload.type === "message" || payload.type === "added");
  if (!known || typeof payload.conversationId !== "string") {
    return { title: APP_NAME, options: { body: "You have new messages", tag: "parley", data: { url: "/" } } };
  }
  return {
    title: typeof payload.title === "string" && payload.title ? payload.title : APP_NAME,
    options: {
      // An end-to-end encrypted conversation: the server has no text, and the notification says so.
      body: payload.encrypted === true ? "New encrypted message" : typeof payload.body === "string" ? payload.body : "",
      // One notification per conversation: a newer one replaces it (and alerts again).
      tag: payload.conversationId,
      renotify: true,
      icon: "/icons/icon-192.png",
      data: { url: safePath(payload.url), conversationId: payload.conversationId, seq: payload.seq },
    },
  };
}

function readPayload(data) {
  if (!data) return null;
  try {
    return data.json();
  } catch {
    return null;
  }
}

/** Focuses a tab of the app and tells it to open `path`, or opens a new tab there. */
async function openPath(path) {
  const target = new URL(path, self.location.origin).href;
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  const tab = windows.find((w) => new URL(w.url).origin === self.location.origin);
  if (tab) {
    tab.postMessage({ type: "parley.open", url: path });
    await tab.focus();
    return;
  }
  await self.clients.openWindow(target);
}

/** The same-origin assets an index.html names (`/assets/index-<hash>.js`, `.css`). */
function assetsOf(html) {
  return [...new Set([...html.matchAll(/(?:src|href)="(\/assets\/[^"?#]+)"/g)].map((m) => m[1]))];
}

/**
 * Caches `page` (index.html) as the shell, the assets it names and the extras, then drops assets of older builds. A
 * failure leaves the previous shell in place (best effort: the app works online without it).
 */
async function storeShell(page) {
  const cache = await caches.open(SHELL_CACHE);
  const html = await page.clone().text();
  const named = assetsOf(html);
  const missing = [];
  for (const path of [...named, ...SHELL_EXTRAS]) if (!(await cache.match(path))) missing.push(path);
  await cache.addAll(missing);
  const assets = [...named, ...(await lazyChunksOf(cache, named))];
  await cache.put(SHELL_KEY, page);
  const keep = new Set(assets);
  for (const request of await cache.keys()) {
    const path = new URL(request.url).pathname;
    if (path.startsWith("/assets/") && !keep.has(path)) await cache.delete(request);
  }
}

/**
 * The chunks the named scripts import later (`import("./EmojiPicker-<hash>.js")`: the emoji picker and its data), read
 * from the scripts themselves and cached too, so that they work offline and are not dropped as another build's.
 */
async function lazyChunksOf(cache, named) {
  const found = new Set();
  const queue = named.filter((path) => path.endsWith(".js"));
  while (queue.length > 0) {
    const script = await cache.match(queue.pop());
    if (!script) continue;
    for (const match of (await script.text()).matchAll(/import\(\s*[`'"]\.\/([\w.-]+\.js)[`'"]\s*\)/g)) {
      const chunk = `/assets/${match[1]}`;
      if (found.has(chunk)) continue;
      found.add(chunk);
      if (!(await cache.match(chunk))) await cache.add(chunk);
      queue.push(chunk);
    }
  }
  return [...found];
}

async function fetchShell() {
  const page = await fetch(SHELL_KEY, { cache: "no-cache" });
  if (page.ok) await storeShell(page);
}

/** A page load: the network's index.html (kept as the new shell), else the cached shell when offline. */
async function navigate(request) {
  try {
    const page = await fetch(request);
    if (page.ok && (page.headers.get("content-type") ?? "").startsWith("text/html")) {
      storeShell(page.clone()).catch((error) => console.warn("Parley: could not cache the app shell", error));
    }
    return page;
  } catch (error) {
    const shell = await caches.match(SHELL_KEY);
    if (shell) return shell;
    throw error;
  }
}

/** Hashed assets never change: the cache first. The shell's other files: the network first, the cache offline. */
async function shellFile(request, path) {
  const cache = await caches.open(SHELL_CACHE);
  if (path.startsWith("/assets/")) {
    const hit = await cache.match(request);
    if (hit) return hit;
    const fresh = await fetch(request);
    if (fresh.ok) await cache.put(request, fresh.clone());
    return fresh;
  }
  try {
    const fresh = await fetch(request);
    if (fresh.ok && SHELL_EXTRAS.includes(path)) await cache.put(request, fresh.clone());
    return fresh;
  } catch (error) {
    const hit = await cache.match(request);
    if (hit) return hit;
    throw error;
  }
}

self.addEventListener("install", (event) => {
  // A shell that cannot be fetched now (offline install) is fetched at the next page load instead.
  event.waitUntil(fetchShell().catch((error) => console.warn("Parley: the app shell is cached later", error)));
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith("parley-shell-") && name !== SHELL_CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || NETWORK_ONLY.test(url.pathname)) return;
  if (request.mode === "navigate") {
    event.respondWith(navigate(request));
    return;
  }
  if (url.pathname.startsWith("/assets/") || SHELL_EXTRAS.includes(url.pathname)) {
    event.respondWith(shellFile(request, url.pathname));
  }
});

self.addEventListener("push", (event) => {
  const { title, options } = notificationFor(readPayload(event.data));
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openPath(safePath(event.notification.data?.url)));
});
