// The address bar follows the open conversation (/c/<id>), so reloads, links and the back button work.

import type { ChatStore } from "../state/chat-store.js";

const PREFIX = "/c/";

export function conversationIdFromPath(pathname: string): string | null {
  if (!pathname.startsWith(PREFIX)) return null;
  const id = decodeURIComponent(pathname.slice(PREFIX.length).replace(/\/+$/, ""));
  return /^[A-Za-z0-9_-]{1,64}$/.test(id) ? id : null;
}

export function pathForConversation(id: string | null): string {
  return id ? `${PREFIX}${encodeURIComponent(id)}` : "/";
}

/** Opens the conversation in the URL now and on back/forward, and records each newly opened one in the history. */
export function bindLocation(store: ChatStore, win: Window): () => void {
  store.open(conversationIdFromPath(win.location.pathname));
  const onPopState = () => store.open(conversationIdFromPath(win.location.pathname));
  win.addEventListener("popstate", onPopState);
  const unsubscribe = store.subscribe(() => {
    const path = pathForConversation(store.getState().activeId);
    if (win.location.pathname !== path) win.history.pushState(null, "", path);
  });
  return () => {
    win.removeEventListener("popstate", onPopState);
    unsubscribe();
  };
}
