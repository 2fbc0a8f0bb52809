// Browser entry: builds the SDK client for this origin (persisted session and outbox, network-aware sockets, refreshes
// coordinated across tabs), starts the store and renders the app.

import { defaultWsUrl, type FetchLike, ParleyClient, type WebSocketConstructor } from "@parley/client";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app/App.js";
import { bindLocation, conversationIdFromPath } from "./app/router.js";
import { authLinkFromLocation } from "./auth/auth-link.js";
import { CredentialStore } from "./auth/credential-store.js";
import { coordinateRefresh, webLock } from "./auth/refresh-coordinator.js";
import { followInviteLink, inviteTokenFromLocation } from "./channels/invite-link.js";
import { browserEncryption } from "./e2ee/browser-encryption.js";
import { I18nProvider } from "./i18n/I18nProvider.js";
import { LANGUAGE_STORAGE_KEY } from "./i18n/locale.js";
import { LanguagePreference } from "./i18n/preference.js";
import { ConversationCache, keepOffline } from "./offline/conversation-cache.js";
import { registerServiceWorker } from "./offline/service-worker.js";
import { NotificationStore } from "./push/notification-store.js";
import { NotificationProvider } from "./push/notifications-context.js";
import { browserPushPlatform } from "./push/push-platform.js";
import { browserAlertPlatform, TabAlerts } from "./push/tab-alerts.js";
import { ChatStore } from "./state/chat-store.js";
import { type KeyValueStorage, LocalStorageOutboxStore, MemoryStorage } from "./state/local-outbox-store.js";
import { networkAwareSockets } from "./state/network-aware-socket.js";
import { StoreProvider } from "./state/store-context.js";
import "./styles/base.css";
import "./styles/layout.css";
import "./styles/auth.css";
import "./styles/conversations.css";
import "./styles/chat.css";
import "./styles/dialogs.css";
import "./styles/message-actions.css";
import "./styles/search.css";
import "./styles/admin.css";
import "./styles/mentions.css";
import "./styles/formatting.css";
import "./styles/emoji.css";
import "./styles/quick-switcher.css";

function browserStorage(): KeyValueStorage {
  try {
    const probe = "parley.probe";
    window.localStorage.setItem(probe, "1");
    window.localStorage.removeItem(probe);
    return window.localStorage;
  } catch {
    // Private modes may refuse storage: the app still works, it just forgets the session on reload.
    return new MemoryStorage();
  }
}

function deviceName(): string {
  const ua = navigator.userAgent;
  const browser = /Edg\//.test(ua)
    ? "Edge"
    : /Firefox\//.test(ua)
      ? "Firefox"
      : /Chrom/.test(ua)
        ? "Chrome"
        : /Safari\//.test(ua)
          ? "Safari"
          : "Browser";
  const os = /Android/.test(ua)
    ? "Android"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Mac OS X/.test(ua)
        ? "macOS"
        : /Windows/.test(ua)
          ? "Windows"
          : /Linux/.test(ua)
            ? "Linux"
            : "";
  return `Web · ${browser}${os ? ` on ${os}` : ""}`;
}

const storage = browserStorage();
// The language first: everything rendered from here on speaks it (and <html lang> says which it is).
const languages = new LanguagePreference({
  languages: () => navigator.languages ?? [navigator.language],
  storage,
  root: document.documentElement,
});
languages.apply();
// Another tab chose a language, or the browser's languages changed: follow along.
window.addEventListener("storage", (event) => {
  if (event.key === LANGUAGE_STORAGE_KEY) languages.apply();
});
window.addEventListener("languagechange", () => languages.apply());
const credentials = new CredentialStore(storage);
const sockets = networkAwareSockets(window.WebSocket as unknown as WebSocketConstructor, () => navigator.onLine);
let client: ParleyClient | undefined;
const fetchImpl: FetchLike = (url, init) => window.fetch(url, init);
const lock = webLock("parley.auth.refresh");

client = new ParleyClient({
  server: window.location.origin,
  wsUrl: defaultWsUrl(window.location.origin),
  WebSocket: sockets.WebSocket,
  fetch: coordinateRefresh({
    fetch: fetchImpl,
    credentials,
    currentSessionId: () => client?.credentials?.sessionId,
    ...(lock ? { lock } : {}),
  }),
  outboxStore: new LocalStorageOutboxStore(storage),
  deviceName: deviceName(),
  ...(credentials.load() ? { credentials: credentials.load()! } : {}),
});

const store = new ChatStore({
  client,
  credentials,
  storage,
  dropSockets: (reason) => sockets.dropAll(reason),
  ...(() => {
    const encryption = browserEncryption(window);
    return encryption ? { encryption } : {};
  })(),
  browser: {
    isOnline: () => navigator.onLine,
    addEventListener: (type: string, listener: (event: never) => void) =>
      window.addEventListener(type, listener as unknown as EventListener),
    reload: () => window.location.reload(),
  },
});
// Read before the address bar follows the open conversation (which replaces /invite#… and /reset#… with /).
const link = authLinkFromLocation(window.location);
// A channel's invite link (/join#<token>): read before the address bar follows the open conversation too.
const inviteToken = inviteTokenFromLocation(window.location);
store.start();
bindLocation(store, window);
if (inviteToken) followInviteLink(store, inviteToken);
// Offline: the app shell from the service worker, the last conversations and messages from IndexedDB.
registerServiceWorker(window);
if (window.indexedDB) keepOffline(store, new ConversationCache(window.indexedDB), window);

// Push notifications follow the session: loaded (and this device's subscription re-registered) on sign-in.
const notifications = new NotificationStore(client, browserPushPlatform(window), storage);
let signedIn = false;
const followSession = () => {
  const now = store.getState().session === "signed-in";
  if (now === signedIn) return;
  signedIn = now;
  if (now) void notifications.load();
  else notifications.reset();
};
store.subscribe(followSession);
followSession();
// New messages while this tab is in the background: a notification and a sound (push/tab-alerts.ts).
new TabAlerts(
  {
    chat: store.getState,
    notifications: notifications.getState,
    onMessage: (listener) => client.on("message", listener),
  },
  browserAlertPlatform(window, (id) => store.open(id)),
).start();
// A click on a notification while a tab is open: the service worker asks this tab to open the conversation.
navigator.serviceWorker?.addEventListener("message", (event: MessageEvent<{ type?: string; url?: string }>) => {
  if (event.data?.type === "parley.open" && typeof event.data.url === "string") {
    const id = conversationIdFromPath(new URL(event.data.url, window.location.origin).pathname);
    if (id) store.open(id);
  }
});

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <I18nProvider preference={languages}>
      <StoreProvider store={store}>
        <NotificationProvider store={notifications}>
          <App link={link} />
        </NotificationProvider>
      </StoreProvider>
    </I18nProvider>
  </StrictMode>,
);
