// Sends the server has not acknowledged yet: kept (optionally persisted) and resent with the same clientId until acked.

import type { Attachment, MessageAck } from "@parley/protocol";
import { Backoff } from "./backoff.js";
import { isDisconnection, ParleyError, toParleyError } from "./errors.js";
import { Emitter } from "./events.js";
import { newClientId } from "./ids.js";
import { systemTimers, type TimerHandle, type Timers } from "./timers.js";

export interface OutboxEntry {
  /** Idempotency key: every resend carries the same one, so the server stores the message once. */
  clientId: string;
  conversationId: string;
  /** The text of a send or an edit ("" for other actions). */
  body: string;
  /** When the app called send (client clock). */
  createdAt: number;
  /** A send that quotes the message with this seq. */
  replyTo?: number;
  /** Present for an edit, delete for everyone or reaction instead of a send: the same queue, order and retries. */
  action?: OutboxAction;
  /** Uploaded files sent with the message (their ids go to the server; the metadata serves the local echo). */
  attachments?: Attachment[];
  /** A forward (`messages.forward`) of this message; `body` and `attachments` are the source's, for the local echo. */
  forwardOf?: { conversationId: string; seq: number };
  /**
   * Encrypted conversations: the MLS application message made once from `body` (which then stays on this device
   * only); every resend carries these same bytes, never a new encryption.
   */
  mls?: { epoch: number; data: string };
}

/**
 * An action queued like a send (`messages.edit`, `messages.delete` with scope `everyone`, `messages.react`,
 * `messages.pin`, `messages.unpin`).
 */
export type OutboxAction =
  | { type: "edit"; seq: number }
  | { type: "delete"; seq: number }
  | { type: "reaction"; seq: number; emoji: string; remove: boolean }
  | { type: "pin"; seq: number }
  | { type: "unpin"; seq: number };

/** Where unacknowledged sends survive a restart (IndexedDB, a file…); the default keeps them in memory. */
export interface OutboxStore {
  load(): Promise<OutboxEntry[]>;
  save(entry: OutboxEntry): Promise<void>;
  remove(clientId: string): Promise<void>;
}

export class MemoryOutboxStore implements OutboxStore {
  readonly #entries = new Map<string, OutboxEntry>();

  async load(): Promise<OutboxEntry[]> {
    return [...this.#entries.values()];
  }

  async save(entry: OutboxEntry): Promise<void> {
    this.#entries.set(entry.clientId, { ...entry });
  }

  async remove(clientId: string): Promise<void> {
    this.#entries.delete(clientId);
  }
}

/** Sends one entry (`messages.send`, or the action's operation) and resolves with its ack. */
export type SendTransport = (entry: OutboxEntry) => Promise<MessageAck>;

export interface OutboxEvents {
  /** The server stored the entry (or had stored it before: `ack.duplicate`). */
  ack: { entry: OutboxEntry; ack: MessageAck };
  /** The server refused the entry for good (not a member, too large…); it was dropped. */
  failed: { entry: OutboxEntry; error: ParleyError };
  /**
   * The store could not remove a settled entry. Nothing is lost: a leftover entry is resent after a restart and
   * answered as a duplicate; but a store that keeps failing is worth knowing about.
   */
  error: ParleyError;
}

export interface OutboxOptions {
  transport: SendTransport;
  store?: OutboxStore;
  newClientId?: () => string;
  timers?: Timers;
  /** Delays between retries of retryable refusals (rate limits, server errors) while online. */
  retryBackoff?: Backoff;
}

interface Waiter {
  resolve: (ack: MessageAck) => void;
  reject: (error: ParleyError) => void;
}

export class Outbox extends Emitter<OutboxEvents> {
  readonly #transport: SendTransport;
  readonly #store: OutboxStore;
  readonly #newClientId: () => string;
  readonly #timers: Timers;
  readonly #retryBackoff: Backoff;
  /** Insertion order is send order; Map iteration keeps it. */
  readonly #entries = new Map<string, OutboxEntry>();
  readonly #waiters = new Map<string, Waiter[]>();
  readonly #inFlight = new Set<string>();
  readonly #idleWaiters: (() => void)[] = [];
  #online = false;
  #retryTimer: TimerHandle | undefined;

  constructor(options: OutboxOptions) {
    super();
    this.#transport = options.transport;
    this.#store = options.store ?? new MemoryOutboxStore();
    this.#newClientId = options.newClientId ?? newClientId;
    this.#timers = options.timers ?? systemTimers;
    this.#retryBackoff = options.retryBackoff ?? new Backoff({ initialMs: 1000, maxMs: 30_000 });
  }

  /** Unacknowledged entries, oldest first. */
  get entries(): readonly OutboxEntry[] {
    return [...this.#entries.values()];
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Restores entries persisted by an earlier run; they are sent at the next flush. */
  async load(): Promise<void> {
    const loaded = await this.#store.load();
    // clientIds are time-ordered, so sorting by them restores the original send order.
    loaded.sort((a, b) => (a.clientId < b.clientId ? -1 : a.clientId > b.clientId ? 1 : 0));
    for (const entry of loaded) if (!this.#entries.has(entry.clientId)) this.#entries.set(entry.clientId, entry);
    if (this.#online) this.flush();
  }

  /**
   * Queues a message; resolves with its ack once the server has stored it, however many reconnects that takes.
   * `clientId` lets the app key its optimistic rendering; it must be new and should be time-ordered (`newClientId`).
   */
  async enqueue(
    conversationId: string,
    body: string,
    clientId: string = this.#newClientId(),
    extra: Pick<OutboxEntry, "replyTo" | "action" | "attachments" | "forwardOf" | "mls"> = {},
  ): Promise<MessageAck> {
    if (this.#entries.has(clientId)) throw new TypeError(`clientId ${clientId} is already queued`);
    const entry: OutboxEntry = { clientId, conversationId, body, createdAt: this.#timers.now() };
    if (extra.replyTo !== undefined) entry.replyTo = extra.replyTo;
    if (extra.action !== undefined) entry.action = extra.action;
    if (extra.attachments !== undefined && extra.attachments.length > 0) entry.attachments = extra.attachments;
    if (extra.forwardOf !== undefined) entry.forwardOf = extra.forwardOf;
    if (extra.mls !== undefined) entry.mls = extra.mls;
    this.#entries.set(entry.clientId, entry);
    const acked = this.#waitFor(entry.clientId);
    try {
      // Persist before the first attempt: an entry that could be stored server-side must also be resumable here.
      await this.#store.save(entry);
    } catch (error) {
      this.#settle(entry.clientId, toParleyError(error, "bad_response"));
      this.#checkIdle();
      return acked;
    }
    if (this.#online && this.#entries.has(entry.clientId)) this.#attempt(entry);
    return acked;
  }

  /** The transport is usable (true) or not (false); going online resends everything not acknowledged. */
  setOnline(online: boolean): void {
    this.#online = online;
    if (online) this.flush();
    else this.#clearRetry();
  }

  /** Sends every entry that is not already in flight, oldest first. */
  flush(): void {
    this.#clearRetry();
    if (!this.#online) return;
    for (const entry of this.#entries.values()) this.#attempt(entry);
  }

  /** Resolves when nothing is waiting for an ack. */
  whenEmpty(): Promise<void> {
    if (this.#entries.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Drops every entry (signing out): their promises reject with `error`. */
  clear(error: ParleyError): void {
    for (const entry of [...this.#entries.values()]) {
      this.#forget(entry.clientId);
      this.#settle(entry.clientId, error);
    }
    this.#entries.clear();
    this.#inFlight.clear();
    this.#checkIdle();
  }

  /** Stops retry timers (the entries stay, persisted or not). */
  dispose(): void {
    this.#online = false;
    this.#clearRetry();
  }

  #waitFor(clientId: string): Promise<MessageAck> {
    return new Promise<MessageAck>((resolve, reject) => {
      const list = this.#waiters.get(clientId);
      if (list) list.push({ resolve, reject });
      else this.#waiters.set(clientId, [{ resolve, reject }]);
    });
  }

  #attempt(entry: OutboxEntry): void {
    if (this.#inFlight.has(entry.clientId)) return;
    this.#inFlight.add(entry.clientId);
    let sent: Promise<MessageAck>;
    try {
      sent = this.#transport(entry);
    } catch (error) {
      sent = Promise.reject(error);
    }
    sent.then(
      (ack) => {
        this.#inFlight.delete(entry.clientId);
        this.#acknowledge(entry, ack);
      },
      (caught: unknown) => {
        this.#inFlight.delete(entry.clientId);
        const error = toParleyError(caught);
        if (!this.#entries.has(entry.clientId)) return;
        // `stopped`: the client closed with the send in flight; it was not refused and stays for the next connect.
        if (!error.retryable && error.code !== "stopped") {
          this.#drop(entry, error);
          return;
        }
        // Connection-level failures are retried by the flush that follows the next welcome; refusals that may pass
        // later (rate limit, server error) are retried on a timer while the connection stays up.
        if (this.#online && !isDisconnection(error)) {
          this.#scheduleRetry(error.retryAfterMs);
        }
      },
    );
  }

  #acknowledge(entry: OutboxEntry, ack: MessageAck): void {
    if (!this.#entries.has(entry.clientId)) return; // already acked by an earlier, overlapping attempt
    this.#entries.delete(entry.clientId);
    this.#retryBackoff.reset();
    this.#forget(entry.clientId);
    this.emit("ack", { entry, ack });
    this.#settle(entry.clientId, ack);
    this.#checkIdle();
  }

  /** Removes a settled entry from the store without waiting; a failure is reported as `error`. */
  #forget(clientId: string): void {
    this.#store.remove(clientId).catch((error: unknown) => this.emit("error", toParleyError(error)));
  }

  #drop(entry: OutboxEntry, error: ParleyError): void {
    this.#entries.delete(entry.clientId);
    this.#forget(entry.clientId);
    this.emit("failed", { entry, error });
    this.#settle(entry.clientId, error);
    this.#checkIdle();
  }

  #settle(clientId: string, outcome: MessageAck | ParleyError): void {
    const waiters = this.#waiters.get(clientId) ?? [];
    this.#waiters.delete(clientId);
    if (outcome instanceof ParleyError) {
      this.#entries.delete(clientId);
      for (const w of waiters) w.reject(outcome);
    } else {
      for (const w of waiters) w.resolve(outcome);
    }
  }

  #checkIdle(): void {
    if (this.#entries.size > 0) return;
    for (const resolve of this.#idleWaiters.splice(0)) resolve();
  }

  #scheduleRetry(retryAfterMs: number | undefined): void {
    if (this.#retryTimer !== undefined) return;
    const delay = Math.max(this.#retryBackoff.next(), retryAfterMs ?? 0);
    this.#retryTimer = this.#timers.setTimeout(() => {
      this.#retryTimer = undefined;
      this.flush();
    }, delay);
  }

  #clearRetry(): void {
    if (this.#retryTimer === undefined) return;
    this.#timers.clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }
}
