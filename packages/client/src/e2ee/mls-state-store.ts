// Where a device keeps its MLS state (docs/e2ee.md): byte records by key. The SDK ships an in-memory store and, for
// Node, a file store (node-state-store.ts); a browser app supplies an IndexedDB one with the same four methods.

export interface MlsStateStore {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Durable once it resolves: the SDK writes a group's new state before sending anything made with it. */
  put(key: string, value: Uint8Array): Promise<void>;
  delete(key: string): Promise<void>;
  /** The keys that start with `prefix`. */
  keys(prefix: string): Promise<string[]>;
}

/** Keeps everything in memory: for tests and for devices that start fresh each time. */
export class MemoryMlsStateStore implements MlsStateStore {
  readonly #records = new Map<string, Uint8Array>();

  async get(key: string): Promise<Uint8Array | undefined> {
    const value = this.#records.get(key);
    return value === undefined ? undefined : new Uint8Array(value);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    this.#records.set(key, new Uint8Array(value));
  }

  async delete(key: string): Promise<void> {
    this.#records.delete(key);
  }

  async keys(prefix: string): Promise<string[]> {
    return [...this.#records.keys()].filter((k) => k.startsWith(prefix));
  }
}
