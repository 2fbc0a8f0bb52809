// Parley's service worker: shows the push notifications the server sends while the user has no tab open, and opens
// the conversation when one is clicked (focusing an open tab of the app, or opening one). Plain JavaScript, served
// as-is at /sw.js so that its scope is the whole app.

const APP_NAME = "Parley";

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
      body: typeof payload.body === "string" ? payload.body : "",
      // One notification per conversation: a newer one replaces it (and alerts again).
      tag: payload.conversationId,
      renotify: true,
      icon: "/favicon.svg",
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

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

self.addEventListener("push", (event) => {
  const { title, options } = notificationFor(readPayload(event.data));
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(openPath(safePath(event.notification.data?.url)));
});
