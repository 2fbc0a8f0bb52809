// What this browser knows about contacts' devices (docs/e2ee.md "Trust"): per contact, the device signature keys it
// last accepted (first seen, or acknowledged after a change) and the keys the user verified by comparing safety
// numbers. Kept per signed-in user in localStorage; nothing of it goes to the server.

import type { KeyValueStorage } from "./local-outbox-store.js";

interface Known {
  /** The keys last accepted (sorted). */
  seen: string[];
  /** The keys the user marked as verified (sorted), if they did. */
  verified?: string[];
}

export interface DeviceTrust {
  /** The contact's devices differ from those last accepted (a device added, removed or re-keyed). */
  changed: boolean;
  /** The user verified exactly these devices. */
  verified: boolean;
  /** Per key: whether it is among the verified keys. */
  verifiedKeys: ReadonlySet<string>;
}

const sameKeys = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((k, i) => k === b[i]);

export class TrustBook {
  readonly #storage: KeyValueStorage | undefined;
  readonly #key: string;
  #book: Record<string, Known>;

  constructor(storage: KeyValueStorage | undefined, userId: string) {
    this.#storage = storage;
    this.#key = `parley.trust.${userId}`;
    let book: Record<string, Known> = {};
    const saved = storage?.getItem(this.#key);
    if (saved) {
      try {
        book = JSON.parse(saved) as Record<string, Known>;
      } catch (error) {
        console.warn("Parley: the saved device trust could not be read; starting afresh.", error);
      }
    }
    this.#book = book;
  }

  /** Compares the directory's keys of `userId` with what was accepted; the first sight is accepted as it is. */
  observe(userId: string, keys: readonly string[]): DeviceTrust {
    const sorted = [...keys].sort();
    let known = this.#book[userId];
    if (known === undefined) {
      known = { seen: sorted };
      this.#set(userId, known);
    }
    return {
      changed: !sameKeys(known.seen, sorted),
      verified: known.verified !== undefined && sameKeys(known.verified, sorted),
      verifiedKeys: new Set(known.verified ?? []),
    };
  }

  /** The user saw the change notice: these keys are the accepted ones now (verification is kept per key). */
  acknowledge(userId: string, keys: readonly string[]): void {
    this.#set(userId, { ...this.#book[userId], seen: [...keys].sort() });
  }

  /** The user compared safety numbers: these keys are verified (and accepted). */
  verify(userId: string, keys: readonly string[]): void {
    const sorted = [...keys].sort();
    this.#set(userId, { seen: sorted, verified: sorted });
  }

  #set(userId: string, known: Known): void {
    this.#book = { ...this.#book, [userId]: known };
    this.#storage?.setItem(this.#key, JSON.stringify(this.#book));
  }
}
