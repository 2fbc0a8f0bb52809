// End-to-end encryption in this browser (docs/e2ee.md "Web app"): each device session keeps its MLS state in an
// IndexedDB database of its own (`parley-mls-<userId>-<deviceId>`) and its local search index in another
// (`parley-search-<userId>-<deviceId>`); MLS runs in a Web Worker (mls.worker.ts). The MLS code (E2ee, ts-mls) is a
// lazy chunk, loaded when a signed-in session starts encryption, so the sign-in screen does not wait for it.

import { IndexedDbMlsStateStore } from "@parley/client";
import { type DeviceEncryption, EncryptionElsewhere } from "../state/encryption.js";
import { IndexedDbSearchBackend, LocalSearchIndex } from "./local-search.js";

const stateName = (userId: string, deviceId: string) => `parley-mls-${userId}-${deviceId}`;
const searchName = (userId: string, deviceId: string) => `parley-search-${userId}-${deviceId}`;

/** How long a tab waits for the device's MLS lock: a reloading tab's previous page may still hold it briefly. */
const LOCK_WAIT_MS = 3_000;

/**
 * Holds the device's MLS lock (Web Locks) for as long as this tab uses its state: two tabs of one device session
 * share one IndexedDB state, and two encryptions from the same state would reuse a key and nonce. A second tab does
 * not start encryption while the first holds it. Resolves with the release.
 */
function holdLock(name: string): Promise<() => void> {
  const locks = typeof navigator === "undefined" ? undefined : navigator.locks;
  if (locks === undefined) return Promise.resolve(() => {});
  return new Promise((resolve, reject) => {
    locks
      .request(name, { signal: AbortSignal.timeout(LOCK_WAIT_MS) }, () => new Promise<void>((release) => resolve(release)))
      .catch((error: unknown) =>
        reject(
          error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError")
            ? new EncryptionElsewhere("Another tab of this device session uses its MLS state")
            : error,
        ),
      );
  });
}

/** Null when this browser lacks IndexedDB, workers or Web Crypto: encrypted chats are then off here. */
export function browserEncryption(window: Window): DeviceEncryption | null {
  const factory = window.indexedDB;
  if (!factory || typeof Worker !== "function" || !window.crypto?.subtle) return null;
  let worker: Worker | undefined;
  let release: (() => void) | undefined;
  return {
    async start(client) {
      const credentials = client.credentials;
      if (credentials === undefined) throw new Error("Sign in before starting encryption");
      const { id: userId } = credentials.user;
      const deviceId = credentials.sessionId;
      worker?.terminate();
      release?.();
      release = await holdLock(stateName(userId, deviceId));
      const started = new Worker(new URL("./mls.worker.ts", import.meta.url), { type: "module", name: "parley-mls" });
      worker = started;
      const { startE2ee } = await import("./start-e2ee.js");
      const e2ee = await startE2ee(client, factory, stateName(userId, deviceId), started);
      return { e2ee, index: new LocalSearchIndex(new IndexedDbSearchBackend(factory, searchName(userId, deviceId))) };
    },
    async forget(userId, deviceId) {
      worker?.terminate();
      worker = undefined;
      release?.();
      release = undefined;
      await IndexedDbMlsStateStore.destroy(factory, stateName(userId, deviceId));
      await IndexedDbMlsStateStore.destroy(factory, searchName(userId, deviceId));
    },
  };
}
