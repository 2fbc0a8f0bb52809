// What a ParleyClient is built with and what it emits: its options, its events, and the carriers the options describe.

import type { Message, MessageAck, MlsWelcome, PinnedMessage, Presence, ReceiptState, User } from "@parley/protocol";
import type { AuthSession, Credentials } from "./auth.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { Connection, type ConnectionState, type WebSocketConstructor } from "./connection.js";
import type { ParleyError } from "./errors.js";
import { type FetchLike, HttpApi } from "./http-api.js";
import type { OutboxEntry, OutboxStore } from "./outbox.js";
import type { Timers } from "./timers.js";
import { type TransportMode, TransportSelector } from "./transport-selector.js";
import type { TypingEvent } from "./typing.js";

export interface ParleyClientOptions {
  /** HTTP(S) base URL of the server, e.g. `https://chat.example.com`. */
  server: string;
  /** WebSocket URL; defaults to the server URL with ws(s): and `/v1/ws`. */
  wsUrl?: string;
  /** WebSocket implementation; defaults to `globalThis.WebSocket` (use `@parley/client/node` on Node 20). */
  WebSocket?: WebSocketConstructor;
  /**
   * `auto` (default): a WebSocket, falling back to long polling over fetch when WebSockets cannot connect, and back
   * to a WebSocket once one works again; `websocket` or `long-poll`: that transport only. The API is the same.
   */
  transport?: TransportMode;
  /** `auto` tuning: failed WebSocket attempts before long polling (2), and how often to retry WebSockets meanwhile. */
  longPoll?: { fallbackAfter?: number; retryWebSocketMs?: number };
  /** fetch implementation; defaults to `globalThis.fetch`. */
  fetch?: FetchLike;
  /** Saved credentials to resume a session (see the `credentials` event). */
  credentials?: Credentials;
  /** Device name recorded with new sessions. */
  deviceName?: string;
  /** Where unacknowledged sends are kept; defaults to memory. */
  outboxStore?: OutboxStore;
  /** Saved cursors (see `cursors()`): delivery resumes after them instead of at the present. */
  cursors?: Record<string, number>;
  requestTimeoutMs?: number;
  /** How long an out-of-order message waits for the missing ones before they are fetched. */
  gapWaitMs?: number;
  /** Coalescing window of delivered/read reports. */
  receiptDelayMs?: number;
  reconnectBackoff?: BackoffOptions;
  timers?: Timers;
}

export interface ClientEvents {
  /** A conversation entry, each (conversationId, seq) once and in seq order per conversation — including this
   * device's own sends (built from their acks) so that one stream renders the whole conversation. Action entries
   * (`kind: "action"`: edits, deletes, reactions) come here too, each followed by an `updated` event. */
  message: Message;
  /** An earlier message changed (edited, deleted for everyone, reactions): replace your copy of `seq` with it. */
  updated: Message;
  /** The signed-in user deleted this message for themself (here or on another device): show it as hidden. */
  hidden: { conversationId: string; seq: number };
  /**
   * Retention deleted the conversation's entries with `seq ≤ expiredThrough` (protocol §6.14): drop your copies. Once
   * per rise of the watermark, whether the server's `messages.expired` event, `sync` or a conversation said it.
   */
  expired: { conversationId: string; expiredThrough: number };
  /** The pinned messages of a conversation whose list was fetched with `pins()` changed (newest pin first). */
  pins: { conversationId: string; pins: readonly PinnedMessage[] };
  /** Members' watermarks that moved (compute per-message state with `messageStatus`). */
  receipts: { conversationId: string; receipts: ReceiptState[] };
  /** Someone started or stopped typing (expiry of stale indicators is handled for you). */
  typing: TypingEvent;
  /** A subscribed user went online or offline. */
  presence: Presence;
  /** A user's profile changed (display name, picture): this user, or one whose presence is followed. */
  user: User;
  state: ConnectionState;
  /** The server stored one of this device's sends. */
  ack: MessageAck;
  /** The server refused a send for good; it will not be retried. */
  "send-failed": { entry: OutboxEntry; error: ParleyError };
  /**
   * A Welcome to an end-to-end encrypted conversation for one of this user's devices (`deviceId`; protocol §6.15); the
   * `E2ee` helper joins from the ones for its own device.
   */
  "mls-welcome": MlsWelcome;
  /** A device left the MLS directory (protocol §6.15, `e2ee.device.removed`); the `E2ee` helper removes its leaves. */
  "mls-device-removed": { userId: string; deviceId: string };
  /**
   * An entry of an encrypted conversation could not be decrypted or processed (tampered, sent before this device
   * joined, or a state problem): it is delivered with `body: null`, and this says why.
   */
  "decrypt-failed": { conversationId: string; seq: number; error: ParleyError };
  /** A failure the client recovers from (or a background task failed); informational. */
  error: ParleyError;
  /** The session cannot be refreshed: log in again. */
  "auth-lost": ParleyError;
  /** The credentials changed (login, token refresh, logout): persist them to resume later. */
  credentials: Credentials | undefined;
}

export interface HistoryOptions {
  /** Only entries with seq < before (the newest page when neither bound is given). */
  before?: number;
  /** Only entries with seq > after. */
  after?: number;
  limit?: number;
}

export function defaultWsUrl(server: string): string {
  const url = new URL(server);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = `${url.pathname.replace(/\/+$/, "")}/v1/ws`;
  url.search = "";
  url.hash = "";
  return url.toString();
}

/** The HTTP API and the live connection (over the transport the options choose) for a client signed in through `auth`. */
export function carriersFor(
  options: ParleyClientOptions,
  auth: AuthSession,
  timers: Timers,
): { http: HttpApi; transports: TransportSelector; connection: Connection } {
  const http = new HttpApi({
    baseUrl: options.server,
    tokens: auth,
    timers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.requestTimeoutMs ? { timeoutMs: options.requestTimeoutMs } : {}),
  });
  const transports = new TransportSelector({
    mode: options.transport ?? "auto",
    WebSocket: options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket,
    baseUrl: options.server,
    timers,
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.longPoll?.fallbackAfter !== undefined ? { fallbackAfter: options.longPoll.fallbackAfter } : {}),
    ...(options.longPoll?.retryWebSocketMs !== undefined ? { retryWebSocketMs: options.longPoll.retryWebSocketMs } : {}),
  });
  const connection = new Connection({
    url: options.wsUrl ?? defaultWsUrl(options.server),
    WebSocket: transports.WebSocket,
    getToken: () => auth.accessToken(),
    reauthenticate: async (rejected) => {
      await auth.refresh(rejected);
    },
    backoff: new Backoff(options.reconnectBackoff),
    timers,
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
  });
  return { http, transports, connection };
}
