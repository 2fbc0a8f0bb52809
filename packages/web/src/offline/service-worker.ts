// Registers the app's one service worker (public/sw.js: the offline app shell and push notifications) once the page
// has loaded, so that caching the shell does not compete with the first render for the network.

import { reportBestEffort } from "../app/best-effort.js";

/** The service worker's URL: at the root so that its scope is the whole app. */
export const SERVICE_WORKER_URL = "/sw.js";

export function registerServiceWorker(win: Window): void {
  const container = win.navigator.serviceWorker;
  if (!container) return;
  const register = () => {
    container.register(SERVICE_WORKER_URL, { scope: "/" }).catch((error: unknown) => reportBestEffort("service worker", error));
  };
  if (win.document.readyState === "complete") register();
  else win.addEventListener("load", register, { once: true });
}
