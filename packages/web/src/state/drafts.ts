// Unsent text per conversation, kept in localStorage per signed-in user so that switching chats and reloading the page
// lose nothing; removed when the message is sent and when the user signs out.

import type { KeyValueStorage } from "./local-outbox-store.js";

const PREFIX = "parley.drafts.";

export type DraftMap = Readonly<Record<string, string>>;

export class DraftStorage {
  readonly #storage: KeyValueStorage | undefined;

  /** Without storage (tests, browsers without localStorage) drafts live as long as the page. */
  constructor(storage?: KeyValueStorage) {
    this.#storage = storage;
  }

  load(userId: string): DraftMap {
    const raw = this.#storage?.getItem(PREFIX + userId) ?? null;
    if (raw === null) return {};
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      return {}; // A corrupt record is dropped: drafts are a convenience, never worth an error.
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) return {};
    const drafts: Record<string, string> = {};
    for (const [id, text] of Object.entries(value)) if (typeof text === "string" && text !== "") drafts[id] = text;
    return drafts;
  }

  save(userId: string, drafts: DraftMap): void {
    if (Object.keys(drafts).length === 0) this.#storage?.removeItem(PREFIX + userId);
    else this.#storage?.setItem(PREFIX + userId, JSON.stringify(drafts));
  }

  clear(userId: string): void {
    this.#storage?.removeItem(PREFIX + userId);
  }
}

/** `drafts` with the text of one conversation replaced (an empty text removes it). */
export function withDraft(drafts: DraftMap, conversationId: string, text: string): DraftMap {
  if (text === "") {
    if (!(conversationId in drafts)) return drafts;
    const { [conversationId]: _, ...rest } = drafts;
    return rest;
  }
  return drafts[conversationId] === text ? drafts : { ...drafts, [conversationId]: text };
}
