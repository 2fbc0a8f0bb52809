// The SDK outbox persisted in localStorage: sends and queued actions written offline survive a reload and go out once
// on reconnect, each as it was queued (a reply's quote, its files, a forward's source, the action itself).

import type { OutboxAction, OutboxEntry, OutboxStore } from "@parley/client";
import type { Attachment } from "@parley/protocol";

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
    this.#storage.setItem(PREFIX + entry.clientId, JSON.stringify(entry));
  }

  async remove(clientId: string): Promise<void> {
    this.#storage.removeItem(PREFIX + clientId);
  }
}

/** A stored entry, checked member by member: anything malformed skips the entry rather than sending something else. */
function parseEntry(raw: string | null): OutboxEntry | undefined {
  if (raw === null) return undefined;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return undefined; // A corrupt entry is skipped rather than blocking every other send.
  }
  if (typeof value !== "object" || value === null) return undefined;
  const { clientId, conversationId, body, createdAt, replyTo, action, attachments, forwardOf } = value;
  if (typeof clientId !== "string" || typeof conversationId !== "string") return undefined;
  if (typeof body !== "string" || typeof createdAt !== "number") return undefined;
  const entry: OutboxEntry = { clientId, conversationId, body, createdAt };
  if (replyTo !== undefined) {
    if (!isSeq(replyTo)) return undefined;
    entry.replyTo = replyTo;
  }
  if (action !== undefined) {
    const parsed = parseAction(action);
    if (parsed === undefined) return undefined;
    entry.action = parsed;
  }
  if (attachments !== undefined) {
    if (!Array.isArray(attachments) || !attachments.every(isAttachment)) return undefined;
    entry.attachments = attachments;
  }
  if (forwardOf !== undefined) {
    const from = forwardOf as Record<string, unknown> | null;
    if (typeof from !== "object" || from === null || typeof from.conversationId !== "string" || !isSeq(from.seq)) {
      return undefined;
    }
    entry.forwardOf = { conversationId: from.conversationId, seq: from.seq };
  }
  return entry;
}

function isSeq(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 1;
}

function parseAction(raw: unknown): OutboxAction | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const a = raw as Record<string, unknown>;
  if (!isSeq(a.seq)) return undefined;
  switch (a.type) {
    case "edit":
    case "delete":
    case "pin":
    case "unpin":
      return { type: a.type, seq: a.seq };
    case "reaction":
      if (typeof a.emoji !== "string" || typeof a.remove !== "boolean") return undefined;
      return { type: "reaction", seq: a.seq, emoji: a.emoji, remove: a.remove };
    default:
      return undefined;
  }
}

function isAttachment(raw: unknown): raw is Attachment {
  if (typeof raw !== "object" || raw === null) return false;
  const a = raw as Record<string, unknown>;
  return typeof a.id === "string" && typeof a.name === "string" && typeof a.size === "number" && typeof a.mimeType === "string";
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
