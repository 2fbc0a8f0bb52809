// The SDK outbox persisted in localStorage: sends written offline survive a reload and go out once on reconnect.

import type { OutboxEntry, OutboxStore } from "@parley/client";

/** The part of the Web Storage API used here (tests pass a Map-backed fake). */
export interface KeyValueStorage {
  readonly length: number;
  key(index: number): string | null;
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const PREFIX = "parley.outbox.";

/**
 * One key per entry, so that two tabs saving and removing different entries never overwrite each other's writes.
 * Entries resent by two tabs are harmless: the server answers the second with the first ack (same clientId).
 */
export class LocalStorageOutboxStore implements OutboxStore {
  readonly #storage: KeyValueStorage;

  constructor(storage: KeyValueStorage) {
    this.#storage = storage;
  }

  async load(): Promise<OutboxEntry[]> {
    const out: OutboxEntry[] = [];
    for (let i = 0; i < this.#storage.length; i++) {
      const key = this.#storage.key(i);
      if (!key?.startsWith(PREFIX)) continue;
      const entry = parseEntry(this.#storage.getItem(key));
      if (entry) out.push(entry);
    }
    return out;
  }

  async save(entry: OutboxEntry): Promise<void> {
    const { clientId, conversationId, body, createdAt } = entry;
    this.#storage.setItem(PREFIX + clientId, JSON.stringify({ clientId, conversationId, body, createdAt }));
  }

  async remove(clientId: string): Promise<void> {
    this.#storage.removeItem(PREFIX + clientId);
  }
}

function parseEntry(raw: string | null): OutboxEntry | undefined {
  if (raw === null) return undefined;
  try {
    const value = JSON.parse(raw) as Partial<OutboxEntry>;
    if (
      typeof value.clientId === "string" &&
      typeof value.conversationId === "string" &&
      typeof value.body === "string" &&
      typeof value.createdAt === "number"
    ) {
      return { clientId: value.clientId, conversationId: value.conversationId, body: value.body, createdAt: value.createdAt };
    }
    return undefined;
  } catch {
    return undefined; // A corrupt entry is skipped rather than blocking every other send.
  }
}

/** An in-memory KeyValueStorage (tests, and browsers where localStorage is unavailable). */
export class MemoryStorage implements KeyValueStorage {
  readonly #map = new Map<string, string>();

  get length(): number {
    return this.#map.size;
  }

  key(index: number): string | null {
    return [...this.#map.keys()][index] ?? null;
  }

  getItem(key: string): string | null {
    return this.#map.get(key) ?? null;
  }

  setItem(key: string, value: string): void {
    this.#map.set(key, String(value));
  }

  removeItem(key: string): void {
    this.#map.delete(key);
  }
}
