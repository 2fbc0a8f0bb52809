// Search in encrypted conversations, on this device only (docs/e2ee.md "Local search"): the server cannot search what
// it cannot read (`messages.search` skips encrypted conversations), so the web app indexes the texts it decrypted in
// an inverted index of normalised tokens, kept in IndexedDB per device, and merges its hits into the search panel.
//
// Tokens: the text in Unicode compatibility form without diacritics, lower-cased, split at everything that is not a
// letter or digit. A query matches a message when every query token is a prefix of one of the message's tokens.

import type { Message, SearchFilters, SearchHit } from "@parley/client";

/** What the index keeps of a message. */
export interface IndexedMessage {
  conversationId: string;
  seq: number;
  senderId: string;
  createdAt: number;
  body: string;
}

/** Where the index lives: IndexedDB in the app, memory in tests. */
export interface SearchIndexBackend {
  /** Stores the message and its tokens (replacing what was stored for the same conversation and seq). */
  put(message: IndexedMessage, tokens: readonly string[]): Promise<void>;
  /** The ids (`conversationId/seq`) of messages with a token that starts with `prefix`. */
  withPrefix(prefix: string): Promise<Set<string>>;
  get(ids: readonly string[]): Promise<IndexedMessage[]>;
}

export function normalise(text: string): string {
  return text
    .normalize("NFKD")
    .replace(/\p{M}+/gu, "")
    .toLowerCase();
}

/** The distinct tokens of a text. */
export function tokens(text: string): string[] {
  return [
    ...new Set(
      normalise(text)
        .split(/[^\p{L}\p{N}]+/u)
        .filter((t) => t.length > 0),
    ),
  ];
}

const idOf = (m: { conversationId: string; seq: number }) => `${m.conversationId}/${m.seq}`;

/** Up to this many characters of context around the first match in a snippet. */
const CONTEXT = 40;

export class LocalSearchIndex {
  constructor(private readonly backend: SearchIndexBackend) {}

  /** Indexes a decrypted text message (other entries are ignored). */
  async add(message: Message): Promise<void> {
    if (message.kind !== "text" || typeof message.body !== "string" || message.body === "") return;
    const entry: IndexedMessage = {
      conversationId: message.conversationId,
      seq: message.seq,
      senderId: message.senderId,
      createdAt: message.createdAt,
      body: message.body,
    };
    await this.backend.put(entry, tokens(message.body));
  }

  /** The messages matching every token of `query` (newest first), within `filters`. */
  async search(query: string, filters: SearchFilters = {}, limit = 50): Promise<IndexedMessage[]> {
    const wanted = tokens(query);
    if (wanted.length === 0) return [];
    let ids: Set<string> | undefined;
    for (const token of wanted) {
      const found = await this.backend.withPrefix(token);
      ids = ids === undefined ? found : new Set([...ids].filter((id) => found.has(id)));
      if (ids.size === 0) return [];
    }
    const messages = await this.backend.get([...(ids ?? [])]);
    return messages
      .filter(
        (m) =>
          (filters.conversationId === undefined || m.conversationId === filters.conversationId) &&
          (filters.senderId === undefined || m.senderId === filters.senderId) &&
          (filters.after === undefined || m.createdAt > filters.after) &&
          (filters.before === undefined || m.createdAt < filters.before),
      )
      .sort((a, b) => b.createdAt - a.createdAt || b.seq - a.seq)
      .slice(0, limit);
  }

  /** A search hit as the search panel shows it: a snippet around the first match, the matches highlighted. */
  static hit(found: IndexedMessage, query: string, message: Message): SearchHit {
    const { snippet, highlights } = snippetOf(found.body, tokens(query));
    return {
      conversationId: found.conversationId,
      seq: found.seq,
      message: { ...message, body: found.body },
      snippet,
      highlights,
    };
  }
}

/** The excerpt of `body` around its first match, and the ranges of `snippet` where a word starts with a query token. */
export function snippetOf(
  body: string,
  query: readonly string[],
): { snippet: string; highlights: { start: number; end: number }[] } {
  const ranges: { start: number; end: number }[] = [];
  for (const match of body.matchAll(/[\p{L}\p{N}\p{M}]+/gu)) {
    const word = normalise(match[0]);
    const token = query.find((q) => word.startsWith(q));
    if (token === undefined) continue;
    // The highlight covers the word's characters that stand for the token (diacritics do not shift it: they follow).
    let end = match.index;
    let seen = 0;
    while (end < match.index + match[0].length && seen < token.length) {
      seen += normalise(body[end]!).length;
      end++;
    }
    while (end < match.index + match[0].length && /\p{M}/u.test(body[end]!)) end++;
    ranges.push({ start: match.index, end });
  }
  const first = ranges[0]?.start ?? 0;
  const from = Math.max(0, first - CONTEXT);
  const to = Math.min(body.length, Math.max(first + CONTEXT * 3, from + CONTEXT * 4));
  const prefix = from > 0 ? "…" : "";
  const snippet = `${prefix}${body.slice(from, to)}${to < body.length ? "…" : ""}`;
  const shift = prefix.length - from;
  const highlights = ranges
    .filter((r) => r.start >= from && r.end <= to)
    .map((r) => ({ start: r.start + shift, end: r.end + shift }));
  return { snippet, highlights };
}

/** The index in memory (tests). */
export class MemorySearchBackend implements SearchIndexBackend {
  readonly #messages = new Map<string, IndexedMessage>();
  readonly #tokens = new Map<string, Set<string>>();

  async put(message: IndexedMessage, list: readonly string[]): Promise<void> {
    const id = idOf(message);
    for (const ids of this.#tokens.values()) ids.delete(id);
    this.#messages.set(id, message);
    for (const token of list) {
      const ids = this.#tokens.get(token) ?? new Set<string>();
      ids.add(id);
      this.#tokens.set(token, ids);
    }
  }

  async withPrefix(prefix: string): Promise<Set<string>> {
    const out = new Set<string>();
    for (const [token, ids] of this.#tokens) if (token.startsWith(prefix)) for (const id of ids) out.add(id);
    return out;
  }

  async get(ids: readonly string[]): Promise<IndexedMessage[]> {
    return ids.flatMap((id) => this.#messages.get(id) ?? []);
  }
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

/**
 * The index in IndexedDB: `messages` (key `conversationId/seq`) and `tokens` (key `[token, id]`), so that a prefix
 * is one key range. One database per device, deleted with the device's MLS state on sign-out.
 */
export class IndexedDbSearchBackend implements SearchIndexBackend {
  #db: Promise<IDBDatabase> | undefined;

  constructor(
    private readonly factory: IDBFactory,
    readonly name: string,
  ) {}

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise((resolve, reject) => {
      const open = this.factory.open(this.name, 1);
      open.onupgradeneeded = () => {
        open.result.createObjectStore("messages");
        open.result.createObjectStore("tokens");
      };
      open.onsuccess = () => {
        // A deletion on sign-out waits for open connections: let it through.
        open.result.onversionchange = () => {
          open.result.close();
          this.#db = undefined;
        };
        resolve(open.result);
      };
      open.onerror = () => reject(open.error);
    });
    return this.#db;
  }

  async put(message: IndexedMessage, list: readonly string[]): Promise<void> {
    const db = await this.#open();
    const tx = db.transaction(["messages", "tokens"], "readwrite");
    const id = idOf(message);
    const messages = tx.objectStore("messages");
    const tokenStore = tx.objectStore("tokens");
    const old = (await request(messages.get(id))) as IndexedMessage | undefined;
    if (old !== undefined) for (const token of tokens(old.body)) tokenStore.delete([token, id]);
    messages.put(message, id);
    for (const token of list) tokenStore.put(id, [token, id]);
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  async withPrefix(prefix: string): Promise<Set<string>> {
    const db = await this.#open();
    const range = IDBKeyRange.bound([prefix], [`${prefix}\uffff`]);
    const ids = await request(db.transaction("tokens").objectStore("tokens").getAll(range));
    return new Set(ids as string[]);
  }

  async get(ids: readonly string[]): Promise<IndexedMessage[]> {
    const db = await this.#open();
    const store = db.transaction("messages").objectStore("messages");
    const found = await Promise.all(ids.map((id) => request(store.get(id)) as Promise<IndexedMessage | undefined>));
    return found.filter((m): m is IndexedMessage => m !== undefined);
  }

  close(): void {
    void this.#db?.then((db) => db.close());
    this.#db = undefined;
  }
}
