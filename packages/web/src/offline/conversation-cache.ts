// This device's copy of what the app last showed: the conversation list, the newest messages of each conversation and
// the people in them, kept in IndexedDB per account. A reload shows it at once (before the server answers) and at
// all when offline; the server's answers then replace it. Written shortly after each change while signed in, deleted
// on sign-out (a shared computer keeps nothing of a signed-out account). Sends not yet stored stay in the SDK's
// outbox (localStorage), as before.

import type { User } from "@parley/client";
import { reportBestEffort } from "../app/best-effort.js";
import type { ChatStore } from "../state/chat-store.js";
import type { ChatState, ConversationState } from "../state/types.js";

const DB_NAME = "parley";
const DB_VERSION = 1;
const STORE = "snapshots";
/** The newest messages kept per conversation: a screenful and some scrolling. */
export const CACHED_MESSAGES = 50;
/** Changes within this long are written together. */
const SAVE_DELAY_MS = 400;

export interface Snapshot {
  userId: string;
  savedAt: number;
  conversations: ConversationState[];
  users: User[];
}

/** What to keep of `state` (null when signed out): bounded, and marked as not loaded from the server. */
export function snapshotOf(state: ChatState, now: number): Snapshot | null {
  if (state.session !== "signed-in" || !state.me) return null;
  const conversations = Object.values(state.conversations).map((c) => ({
    ...c,
    messages: c.messages.slice(-CACHED_MESSAGES),
    loaded: false,
    loadingOlder: false,
    hasOlder: c.hasOlder || c.messages.length > CACHED_MESSAGES,
  }));
  return { userId: state.me.id, savedAt: now, conversations, users: Object.values(state.users) };
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/** The snapshots in IndexedDB, one per account (key: user id). */
export class ConversationCache {
  #db: Promise<IDBDatabase> | undefined;

  constructor(private readonly factory: IDBFactory) {}

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise((resolve, reject) => {
      const open = this.factory.open(DB_NAME, DB_VERSION);
      open.onupgradeneeded = () => open.result.createObjectStore(STORE, { keyPath: "userId" });
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
      open.onblocked = () => reject(new Error("the offline cache is blocked by another tab's older version"));
    });
    return this.#db;
  }

  async #store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    return (await this.#open()).transaction(STORE, mode).objectStore(STORE);
  }

  async load(userId: string): Promise<Snapshot | undefined> {
    return (await request((await this.#store("readonly")).get(userId))) as Snapshot | undefined;
  }

  async save(snapshot: Snapshot): Promise<void> {
    await request((await this.#store("readwrite")).put(snapshot));
  }

  /** Forgets every account's snapshot. */
  async clear(): Promise<void> {
    await request((await this.#store("readwrite")).clear());
  }
}

/**
 * Shows the saved snapshot of the signed-in account right away, then keeps the snapshot current: each change is
 * written after a short pause (and when the page is hidden); signing out deletes them all.
 */
export function keepOffline(store: ChatStore, cache: ConversationCache, win: Window): void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let saved: ChatState | undefined;
  let signedIn = store.getState().session === "signed-in";

  const restore = () => {
    const me = store.getState().me?.id;
    if (!me) return;
    cache.load(me).then(
      (snapshot) => {
        if (snapshot) store.hydrate(snapshot);
      },
      (error: unknown) => reportBestEffort("reading the offline cache", error),
    );
  };

  const flush = () => {
    clearTimeout(timer);
    timer = undefined;
    const state = store.getState();
    if (state === saved) return;
    const snapshot = snapshotOf(state, Date.now());
    // Nothing worth keeping yet (the list is still loading): do not overwrite a useful snapshot with an empty one.
    if (!snapshot || (snapshot.conversations.length === 0 && !state.listLoaded)) return;
    saved = state;
    cache.save(snapshot).catch((error: unknown) => reportBestEffort("saving the offline cache", error));
  };

  store.subscribe(() => {
    const state = store.getState();
    const now = state.session === "signed-in";
    if (now !== signedIn) {
      signedIn = now;
      clearTimeout(timer);
      timer = undefined;
      if (now) restore();
      else cache.clear().catch((error: unknown) => reportBestEffort("clearing the offline cache", error));
      return;
    }
    if (now && timer === undefined) timer = setTimeout(flush, SAVE_DELAY_MS);
  });
  win.addEventListener("pagehide", flush);
  win.document.addEventListener("visibilitychange", () => {
    if (win.document.visibilityState === "hidden") flush();
  });
  if (signedIn) restore();
}
