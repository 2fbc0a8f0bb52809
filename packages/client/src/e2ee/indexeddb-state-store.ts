// The browser MlsStateStore: one IndexedDB database per device session, one object store of byte records by key.
// A `put` resolves when its transaction has committed (durability "strict" where the browser supports it), which is
// what E2ee needs: a group's new state is on disk before anything made with it is sent. IndexedDB works in windows and
// in workers alike, so a web app may keep the store on either side of its Web Worker.

import type { MlsStateStore } from "./mls-state-store.js";

const RECORDS = "records";

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function committed(transaction: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onerror = () => reject(transaction.error);
    transaction.onabort = () => reject(transaction.error ?? new Error("the IndexedDB transaction was aborted"));
  });
}

export class IndexedDbMlsStateStore implements MlsStateStore {
  readonly #factory: IDBFactory;
  readonly #name: string;
  #db: Promise<IDBDatabase> | undefined;

  /**
   * `name`: the database, one per device (the web app uses `parley-mls-<userId>-<sessionId>`); it holds this device's
   * secrets, so delete it (`IndexedDbMlsStateStore.destroy`) when the device signs out.
   */
  constructor(factory: IDBFactory, name: string) {
    this.#factory = factory;
    this.#name = name;
  }

  #open(): Promise<IDBDatabase> {
    this.#db ??= new Promise((resolve, reject) => {
      const open = this.#factory.open(this.#name, 1);
      open.onupgradeneeded = () => open.result.createObjectStore(RECORDS);
      open.onsuccess = () => {
        // A deletion (`destroy`, say from another tab signing out) waits for open connections: let it through.
        open.result.onversionchange = () => {
          open.result.close();
          this.#db = undefined;
        };
        resolve(open.result);
      };
      open.onerror = () => reject(open.error);
      open.onblocked = () => reject(new Error(`the MLS state database ${this.#name} is blocked by another tab`));
    });
    return this.#db;
  }

  async #transaction(mode: IDBTransactionMode): Promise<{ tx: IDBTransaction; records: IDBObjectStore }> {
    const db = await this.#open();
    const tx = mode === "readwrite" ? db.transaction(RECORDS, mode, { durability: "strict" }) : db.transaction(RECORDS, mode);
    return { tx, records: tx.objectStore(RECORDS) };
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const { records } = await this.#transaction("readonly");
    const value = (await done(records.get(key))) as ArrayBuffer | Uint8Array | undefined;
    return value === undefined ? undefined : new Uint8Array(value instanceof Uint8Array ? value.slice() : value);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    const { tx, records } = await this.#transaction("readwrite");
    records.put(value.slice(), key);
    await committed(tx);
  }

  async delete(key: string): Promise<void> {
    const { tx, records } = await this.#transaction("readwrite");
    records.delete(key);
    await committed(tx);
  }

  async keys(prefix: string): Promise<string[]> {
    const { records } = await this.#transaction("readonly");
    // Every key that starts with `prefix` sorts between it and prefix + the highest code unit.
    const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`, false, false);
    return ((await done(records.getAllKeys(range))) as string[]).filter((k) => k.startsWith(prefix));
  }

  /** Closes the database (the store may not be used afterwards). */
  async close(): Promise<void> {
    if (this.#db !== undefined) (await this.#db).close();
    this.#db = undefined;
  }

  /** Deletes a device's database: its MLS secrets and the texts it decrypted. */
  static destroy(factory: IDBFactory, name: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const request = factory.deleteDatabase(name);
      request.onsuccess = () => resolve();
      request.onerror = () => reject(request.error);
    });
  }
}
