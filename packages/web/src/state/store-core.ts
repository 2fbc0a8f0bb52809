// The chat store's state cell: the current ChatState, its subscribers (useSyncExternalStore), and the updates and
// notices every part of the store writes through.

import { isParleyError, type Message } from "@parley/client";
import { errorText } from "../i18n/errors.js";
import type { ChatState, ConversationState } from "./types.js";

const DEFAULT_MAX_MESSAGE_BYTES = 16_384;

/** The state of a browser with nobody signed in. */
export function initialState(online: boolean): ChatState {
  return {
    session: "signed-out",
    me: null,
    connection: "disconnected",
    online,
    listLoaded: false,
    conversations: {},
    users: {},
    presence: {},
    typing: {},
    pending: [],
    activeId: null,
    notice: null,
    maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
    composing: {},
    maxUploadBytes: 26_214_400,
    maxAttachments: 10,
    searchOpen: false,
    searchScope: null,
    searchInFront: false,
    focus: null,
    pins: {},
    drafts: {},
    encryption: "off",
  };
}

/** The later of two entries (by seq), either may be missing. */
export function newer(a: Message | null | undefined, b: Message | null | undefined): Message | null {
  if (!a) return b ?? null;
  if (!b) return a;
  return b.seq > a.seq ? b : a;
}

export class StoreCore {
  #state: ChatState;
  readonly #listeners = new Set<() => void>();

  constructor(online: boolean) {
    this.#state = initialState(online);
  }

  get state(): ChatState {
    return this.#state;
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  set(update: (state: ChatState) => ChatState): void {
    const next = update(this.#state);
    if (next === this.#state) return;
    this.#state = next;
    for (const listener of [...this.#listeners]) listener();
  }

  /** Changes one conversation, if it is known. */
  patchConversation(id: string, update: (c: ConversationState) => ConversationState): void {
    this.set((s) => {
      const current = s.conversations[id];
      if (!current) return s;
      const next = update(current);
      return next === current ? s : { ...s, conversations: { ...s.conversations, [id]: next } };
    });
  }

  /** Shows an error to the user. */
  notify(error: unknown): void {
    const message = errorText(error);
    this.set((s) => ({ ...s, notice: message }));
  }

  /** Background work that failed: shown, unless the connection went away under it (the reconnect redoes it). */
  notifyUnlessDisconnected(error: unknown): void {
    if (!isParleyError(error, "not_connected") && !isParleyError(error, "connection_closed")) this.notify(error);
  }
}
