// End-to-end encryption from the store's side (docs/e2ee.md): starts the SDK's E2ee for the signed-in device (through
// the browser's DeviceEncryption: state in IndexedDB, MLS in a Web Worker), decrypts history pages of encrypted
// conversations, feeds decrypted texts to the local search index, and answers the trust UI (safety numbers, device
// changes).

import {
  Backoff,
  type E2ee,
  isParleyError,
  type Message,
  type ParleyClient,
  type SearchFilters,
  type SearchHit,
  safetyNumber,
} from "@parley/client";
import { reportBestEffort } from "../app/best-effort.js";
import { LocalSearchIndex } from "../e2ee/local-search.js";
import { t } from "../i18n/i18n.js";
import type { KeyValueStorage } from "./local-outbox-store.js";
import type { StoreCore } from "./store-core.js";
import { type DeviceTrust, TrustBook } from "./trust.js";

/** Thrown by `DeviceEncryption.start` when another tab of the same device session uses its MLS state. */
export class EncryptionElsewhere extends Error {}

/** What the browser provides: where a device keeps its MLS state and search index, and where MLS runs. */
export interface DeviceEncryption {
  /** Starts E2ee for the signed-in `client` and opens this device's local search index. */
  start(client: ParleyClient): Promise<{ e2ee: E2ee; index: LocalSearchIndex }>;
  /** Deletes a device session's local data (MLS state, search index) once the session ended. */
  forget(userId: string, deviceId: string): Promise<void>;
}

export interface DeviceView {
  deviceId: string;
  signatureKey: string;
  registeredAt: number;
  verified: boolean;
}

export interface ContactTrust extends DeviceTrust {
  /** 12 groups of 5 digits. */
  safetyNumber: string[];
  devices: DeviceView[];
  keys: string[];
}

/** How often a tab whose device session's encryption is in another tab tries to take it over. */
const ELSEWHERE_RETRY_MS = 30_000;

/** The waits before trying a failed start again (besides every reconnection): from up to 5 s, growing to 5 min. */
export const startRetries = () => new Backoff({ initialMs: 5_000, maxMs: 300_000 });

const unb64 = (value: string) => Uint8Array.from(atob(value.replaceAll("-", "+").replaceAll("_", "/")), (c) => c.charCodeAt(0));

export class Encryption {
  readonly #core: StoreCore;
  readonly #client: ParleyClient;
  readonly #device: DeviceEncryption | undefined;
  readonly #storage: KeyValueStorage | undefined;
  #e2ee: E2ee | undefined;
  #index: LocalSearchIndex | undefined;
  #trust: TrustBook | undefined;
  #starting: Promise<void> | undefined;
  #failedBefore = false;
  readonly #retries: Backoff;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The device session encryption was started for: its data is deleted when it ends. */
  #session: { userId: string; deviceId: string } | undefined;
  readonly #reread: () => void;

  /**
   * `reread`: loads the open conversation's history again (after a start that had failed before). `retries`: the waits
   * before trying a failed start again (`startRetries()`).
   */
  constructor(
    core: StoreCore,
    client: ParleyClient,
    device: DeviceEncryption | undefined,
    storage: KeyValueStorage | undefined,
    reread: () => void,
    retries: Backoff = startRetries(),
  ) {
    this.#reread = reread;
    this.#retries = retries;
    this.#core = core;
    this.#client = client;
    this.#device = device;
    this.#storage = storage;
  }

  get e2ee(): E2ee | undefined {
    return this.#e2ee;
  }

  /**
   * Starts encryption for the signed-in device once; a failure is shown (state `failed`, and the error the first time
   * in a row) and leaves encrypted chats unreadable here until a later try succeeds: after a backoff, and on every
   * reconnection.
   * The connection need not wait: until E2ee is up (device registration, KeyPackages: a network round trip or a few),
   * interim hooks hold arriving entries back and hand them to it once it is (E2ee then installs its own hooks).
   */
  start(): Promise<void> {
    const device = this.#device;
    const credentials = this.#client.credentials;
    if (device === undefined || credentials === undefined) return Promise.resolve();
    this.#trust = new TrustBook(this.#storage, credentials.user.id);
    this.#session = { userId: credentials.user.id, deviceId: credentials.sessionId };
    this.#starting ??= (async () => {
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#core.set((s) => ({ ...s, encryption: "starting" }));
      const started = device.start(this.#client);
      this.#client.useEncryption({
        isEncrypted: async (id) => this.#isEncrypted(id),
        encrypt: async () => {
          throw new Error(t("e2ee.unavailable"));
        },
        decrypt: async (messages) => {
          // Entries of plain conversations never wait for encryption to start (key generation can take seconds on a
          // slow device); an encrypted conversation's (its membership entries too: they start MLS commits) do.
          if (!messages.some((m) => m.mls !== undefined || this.#isEncrypted(m.conversationId))) {
            return [...messages];
          }
          try {
            return await (await started).e2ee.readHistory(messages);
          } catch (error) {
            // E2ee did not start (reported below): the entries are shown unread, and read again once it does.
            reportBestEffort("decrypting entries while encryption was starting", error);
            return [...messages];
          }
        },
      });
      try {
        const { e2ee, index } = await started;
        this.#e2ee = e2ee;
        this.#index = index;
        this.#core.set((s) => ({ ...s, encryption: "ready" }));
        // Entries that arrived before (while it was failing) were not decrypted: read the open chat again.
        if (this.#failedBefore) this.#reread();
        this.#failedBefore = false;
        this.#retries.reset();
      } catch (error) {
        const again = this.#failedBefore;
        this.#starting = undefined;
        this.#failedBefore = true;
        const elsewhere = error instanceof EncryptionElsewhere;
        this.#core.set((s) => ({ ...s, encryption: elsewhere ? "elsewhere" : "failed" }));
        // Offline, the server busy or another tab: these pass. The rest is shown, once for failures in a row.
        const passing = elsewhere || (isParleyError(error) && (error.retryable || error.code === "not_authenticated"));
        if (!passing && !again) this.#core.notify(error);
        // Tried again later (the other tab may close; the worker may load next time) and on the next connection.
        const delay = elsewhere ? ELSEWHERE_RETRY_MS : this.#retries.next();
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.retry();
        }, delay);
      }
    })();
    return this.#starting;
  }

  /** Whether a conversation the app knows is end-to-end encrypted (a property fixed at creation). */
  #isEncrypted(conversationId: string): boolean {
    return this.#core.state.conversations[conversationId]?.encrypted === true;
  }

  /** Connected again: starts encryption if its start failed (offline, server busy). */
  retry(): void {
    if (this.#failedBefore && this.#starting === undefined && this.#client.credentials !== undefined) void this.start();
  }

  /**
   * The session ended (signed out, revoked, expired): a device session never comes back, so its MLS secrets, the texts
   * it decrypted and its search index are deleted.
   */
  reset(): void {
    const session = this.#session;
    this.#session = undefined;
    if (session !== undefined && this.#device !== undefined) {
      this.#device
        .forget(session.userId, session.deviceId)
        .catch((error: unknown) => reportBestEffort("deleting this device's encryption data", error));
    }
    this.#e2ee = undefined;
    this.#index = undefined;
    this.#trust = undefined;
    this.#starting = undefined;
    this.#failedBefore = false;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#retries.reset();
  }

  /** A history page: entries of an encrypted conversation go through E2ee (the SDK's history is not decrypted). */
  async readHistory(conversationId: string, messages: Message[]): Promise<Message[]> {
    const e2ee = this.#e2ee;
    if (e2ee === undefined || this.#core.state.conversations[conversationId]?.encrypted !== true) return messages;
    const read = await e2ee.readHistory(messages);
    for (const m of read) this.index(m);
    return read;
  }

  /** Keeps a decrypted text in the local search index. */
  index(message: Message): void {
    if (message.mls === undefined || typeof message.body !== "string") return;
    this.#index?.add(message).catch((error: unknown) => reportBestEffort("indexing a message for local search", error));
  }

  /** Local hits in encrypted conversations for the search panel. */
  async search(query: string, filters: SearchFilters): Promise<SearchHit[]> {
    const index = this.#index;
    if (index === undefined) return [];
    let found: Awaited<ReturnType<LocalSearchIndex["search"]>>;
    try {
      found = await index.search(query, filters, filters.limit ?? 20);
    } catch (error) {
      // The server's hits are still shown.
      reportBestEffort("searching this device's index of encrypted chats", error);
      return [];
    }
    return found.map((f) =>
      LocalSearchIndex.hit(f, query, {
        conversationId: f.conversationId,
        seq: f.seq,
        senderId: f.senderId,
        createdAt: f.createdAt,
        kind: "text",
        body: f.body,
      } as Message),
    );
  }

  /** The safety number with `userId`, their devices and what this browser knows of them. */
  async contact(userId: string): Promise<ContactTrust> {
    const me = this.#client.credentials?.user.id;
    if (me === undefined || this.#trust === undefined) throw new Error("Not signed in");
    const [mine, theirs] = await Promise.all([
      this.#client.call("e2ee.devices.list", { userId: me }),
      this.#client.call("e2ee.devices.list", { userId }),
    ]);
    const keys = theirs.devices.map((d) => d.signatureKey);
    const trust = this.#trust.observe(userId, keys);
    return {
      ...trust,
      keys,
      safetyNumber: safetyNumber(
        { userId: me, deviceKeys: mine.devices.map((d) => unb64(d.signatureKey)) },
        { userId, deviceKeys: keys.map(unb64) },
      ),
      devices: theirs.devices.map((d) => ({
        deviceId: d.deviceId,
        signatureKey: d.signatureKey,
        registeredAt: d.registeredAt,
        verified: trust.verifiedKeys.has(d.signatureKey),
      })),
    };
  }

  /** Whether `userId`'s devices changed since this browser last accepted them (the first sight is accepted). */
  async devicesChanged(userId: string): Promise<{ changed: boolean; keys: string[] }> {
    const { devices } = await this.#client.call("e2ee.devices.list", { userId });
    const keys = devices.map((d) => d.signatureKey);
    return { changed: this.#trust?.observe(userId, keys).changed ?? false, keys };
  }

  acknowledge(userId: string, keys: readonly string[]): void {
    this.#trust?.acknowledge(userId, keys);
  }

  verify(userId: string, keys: readonly string[]): void {
    this.#trust?.verify(userId, keys);
  }
}
