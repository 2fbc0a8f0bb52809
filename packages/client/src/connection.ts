// One logical WebSocket connection: hello handshake, rid-matched requests with timeouts, heartbeat, close-code policy,
// and reconnection with backoff.

import {
  CLOSE_CODES,
  type CloseAction,
  type EventFrame,
  type OpArgs,
  type OpName,
  type OpResult,
  PROTOCOL_VERSION,
  type ServerFrame,
  SUBPROTOCOL_PREFIX,
  SUPPORTED_VERSIONS,
  type Welcome,
} from "@parley/protocol";
import { Backoff } from "./backoff.js";
import { ParleyError, toParleyError } from "./errors.js";
import { Emitter } from "./events.js";
import { systemTimers, type TimerHandle, type Timers } from "./timers.js";

/** What the SDK needs from a WebSocket: the browser API, which the `ws` package also implements. */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/**
 * Closes a socket the SDK is done with (its handlers already detached). An implementation that refuses the close (a
 * reason too long in UTF-8 bytes, say) gets the socket killed instead where it can (`ws`), as `kill` asks anyway.
 */
export function discardSocket(socket: WebSocketLike, code: number, reason: string, kill = false): void {
  try {
    socket.close(code, reason);
  } catch {
    kill = true;
  }
  // `ws` would wait up to 30 s for the close frame of a peer that is gone.
  if (kill) (socket as { terminate?: () => void }).terminate?.();
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export type ConnectionState = "connecting" | "connected" | "reconnecting" | "disconnected";

export interface CloseInfo {
  code: number;
  reason: string;
  action: CloseAction;
}

export interface ConnectionEvents {
  state: ConnectionState;
  /** The server accepted `hello`; requests may be sent. */
  welcome: Welcome;
  /** A server event (message, receipts, typing, presence). */
  event: EventFrame;
  /** A socket closed (or was abandoned as dead); the action says what happens next. */
  close: CloseInfo;
  /** The connection stopped for good without `stop()` being called (stop close code, or the session was lost). */
  stopped: ParleyError;
  /** Something went wrong that the connection recovers from by itself. */
  error: ParleyError;
}

export interface ConnectionOptions {
  url: string;
  WebSocket: WebSocketConstructor;
  /** The access token to put in `hello`; undefined means signed out. */
  getToken: () => Promise<string | undefined>;
  /**
   * Obtains a new token after the server refused `rejected` (close codes 41xx or an auth error answering hello).
   * Reject with a non-retryable ParleyError when the session is lost; the connection then stops.
   */
  reauthenticate: (rejected: string | undefined) => Promise<void>;
  requestTimeoutMs?: number;
  /** How long the socket may take to open and answer hello. */
  helloTimeoutMs?: number;
  /** Heartbeat interval until the server announces its own in `welcome`. */
  heartbeatIntervalMs?: number;
  /** The backoff is reset only after a connection stayed up this long, so a server that accepts and then drops
   * every connection does not get a reconnect storm. */
  stableAfterMs?: number;
  backoff?: Backoff;
  timers?: Timers;
}

interface Pending {
  resolve: (result: unknown) => void;
  reject: (error: ParleyError) => void;
  timer: TimerHandle;
}

const ACTION_BY_CODE = new Map<number, CloseAction>(Object.values(CLOSE_CODES).map((spec) => [spec.code, spec.action]));

/** What a client does after the server closed with `code`: the registry first, then the meaning of the ranges. */
export function closeActionFor(code: number): CloseAction {
  const known = ACTION_BY_CODE.get(code);
  if (known) return known;
  if (code >= 4100 && code < 4200) return "reauthenticate";
  if (code >= 4200 && code < 4300) return "stop";
  // 1005/1006 (no status, abnormal drop), other 1xxx and 4000–4099 all mean: try again later.
  return "reconnect";
}

type TimerName = "reconnect" | "heartbeat" | "hello" | "stable";

const OPEN = 1;
const noop = () => {};

export class Connection extends Emitter<ConnectionEvents> {
  readonly #options: ConnectionOptions;
  readonly #timers: Timers;
  readonly #backoff: Backoff;
  readonly #requestTimeoutMs: number;
  readonly #helloTimeoutMs: number;
  readonly #stableAfterMs: number;
  readonly #pending = new Map<string, Pending>();

  #state: ConnectionState = "disconnected";
  #stopped = true;
  /** Bumped for every socket so that callbacks of an abandoned socket are ignored. */
  #generation = 0;
  #socket: WebSocketLike | undefined;
  #token: string | undefined;
  #welcome: Welcome | undefined;
  #nextRid = 0;
  #heartbeatMs: number;
  #lastReceivedAt = 0;
  #pinging = false;
  #hasConnected = false;
  readonly #handles: Partial<Record<TimerName, TimerHandle>> = {};

  constructor(options: ConnectionOptions) {
    super();
    this.#options = options;
    this.#timers = options.timers ?? systemTimers;
    this.#backoff = options.backoff ?? new Backoff();
    this.#requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.#helloTimeoutMs = options.helloTimeoutMs ?? this.#requestTimeoutMs;
    this.#heartbeatMs = options.heartbeatIntervalMs ?? 25_000;
    this.#stableAfterMs = options.stableAfterMs ?? 5_000;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** The latest welcome; undefined before the first successful hello. */
  get welcome(): Welcome | undefined {
    return this.#welcome;
  }

  /** Starts connecting (and keeps reconnecting) until `stop()`; idempotent. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#setState(this.#hasConnected ? "reconnecting" : "connecting");
    void this.#open();
  }

  /** Closes the connection for good; pending requests fail with `stopped`. */
  stop(reason = "client closed"): void {
    this.#stopped = true;
    this.#teardown(new ParleyError("stopped", "The connection was closed by the client"), 1000, reason);
    this.#setState("disconnected");
  }

  /** Skips the remaining backoff wait (e.g. when the browser reports it is online again). */
  reconnectNow(): void {
    if (this.#stopped || this.#handles.reconnect === undefined) return;
    this.#clear("reconnect");
    void this.#open();
  }

  /** Sends a request on the open connection; rejects with `not_connected` when there is none (nothing was sent). */
  request<K extends OpName>(op: K, args: OpArgs<K>, options: { timeoutMs?: number } = {}): Promise<OpResult<K>> {
    if (this.#state !== "connected") {
      return Promise.reject(new ParleyError("not_connected", `Cannot send ${op}: not connected`));
    }
    return this.#request(op, args, options.timeoutMs ?? this.#requestTimeoutMs);
  }

  #request<K extends OpName>(op: K, args: OpArgs<K>, timeoutMs: number): Promise<OpResult<K>> {
    const socket = this.#socket;
    if (!socket || socket.readyState !== OPEN) {
      return Promise.reject(new ParleyError("not_connected", `Cannot send ${op}: the socket is not open`));
    }
    const rid = (++this.#nextRid).toString(36);
    return new Promise<OpResult<K>>((resolve, reject) => {
      const timer = this.#timers.setTimeout(() => {
        this.#pending.delete(rid);
        reject(new ParleyError("timeout", `${op} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(rid, { resolve: resolve as (result: unknown) => void, reject, timer });
      try {
        socket.send(JSON.stringify({ rid, op, args }));
      } catch (error) {
        this.#timers.clearTimeout(timer);
        this.#pending.delete(rid);
        reject(new ParleyError("connection_closed", `Could not send ${op}: ${String(error)}`, { cause: error }));
      }
    });
  }

  async #open(): Promise<void> {
    this.#handles.reconnect = undefined;
    const generation = ++this.#generation;
    let token: string | undefined;
    try {
      token = await this.#options.getToken();
    } catch (caught) {
      this.#stepFailed(generation, caught);
      return;
    }
    if (this.#superseded(generation)) return;
    if (token === undefined) {
      this.#halt(new ParleyError("not_authenticated", "Cannot connect: not signed in"));
      return;
    }
    this.#token = token;
    let socket: WebSocketLike;
    try {
      socket = new this.#options.WebSocket(this.#options.url, [`${SUBPROTOCOL_PREFIX}${PROTOCOL_VERSION}`]);
    } catch (error) {
      this.emit("error", toParleyError(error));
      this.#scheduleReconnect();
      return;
    }
    this.#socket = socket;
    // `ws` throws when an error event has no listener, so a no-op listener stays attached for the socket's life.
    socket.onerror = noop;
    socket.onopen = () => {
      if (generation === this.#generation) this.#sendHello(generation, token);
    };
    socket.onmessage = (event) => {
      if (generation === this.#generation) this.#onFrame(event.data);
    };
    socket.onclose = (event) => {
      if (generation === this.#generation) this.#onClose(event.code, event.reason);
    };
    this.#handles.hello = this.#timers.setTimeout(() => {
      if (generation === this.#generation) this.#abandon(CLOSE_CODES.hello_timeout.code, "no welcome in time", true);
    }, this.#helloTimeoutMs);
  }

  #sendHello(generation: number, token: string): void {
    this.#lastReceivedAt = this.#timers.now();
    this.#request("hello", { versions: [...SUPPORTED_VERSIONS], token }, this.#helloTimeoutMs).then(
      (welcome) => {
        if (generation !== this.#generation) return;
        this.#onWelcome(welcome);
      },
      (error: ParleyError) => {
        if (generation !== this.#generation) return;
        if (error.code === "connection_closed" || error.code === "stopped") return; // #onClose decides
        if (error.code === "token_expired" || error.code === "unauthorized") {
          this.#abandon(CLOSE_CODES.token_expired.code, error.message, false);
        } else if (error.code === "timeout") {
          this.#abandon(CLOSE_CODES.hello_timeout.code, error.message, true);
        } else if (error.retryable) {
          this.#abandon(CLOSE_CODES.internal_error.code, error.message, false, error.retryAfterMs);
        } else {
          this.#teardown(error, 1000, "hello refused");
          this.#halt(error);
        }
      },
    );
  }

  #onWelcome(welcome: Welcome): void {
    this.#clear("hello");
    this.#welcome = welcome;
    this.#hasConnected = true;
    this.#heartbeatMs = welcome.limits.heartbeatIntervalMs > 0 ? welcome.limits.heartbeatIntervalMs : this.#heartbeatMs;
    this.#lastReceivedAt = this.#timers.now();
    this.#armHeartbeat(this.#heartbeatMs);
    this.#handles.stable = this.#timers.setTimeout(() => {
      this.#handles.stable = undefined;
      this.#backoff.reset();
    }, this.#stableAfterMs);
    this.#setState("connected");
    this.emit("welcome", welcome);
  }

  #onFrame(data: unknown): void {
    this.#lastReceivedAt = this.#timers.now();
    if (typeof data !== "string") return; // protocol v1 is text only
    let frame: ServerFrame;
    try {
      frame = JSON.parse(data) as ServerFrame;
    } catch (error) {
      this.emit("error", new ParleyError("bad_response", "The server sent a frame that is not JSON", { cause: error }));
      return;
    }
    if (frame === null || typeof frame !== "object") return;
    if (frame.type === "event") {
      this.emit("event", frame);
      return;
    }
    if (frame.type !== "result" && frame.type !== "error") return;
    const pending = frame.rid === null ? undefined : this.#pending.get(frame.rid);
    if (!pending) {
      // A late answer to a request that already timed out, or an error about an unreadable frame.
      if (frame.type === "error") this.emit("error", ParleyError.fromBody(frame.error));
      return;
    }
    this.#pending.delete(frame.rid!);
    this.#timers.clearTimeout(pending.timer);
    if (frame.type === "result") pending.resolve(frame.result);
    else pending.reject(ParleyError.fromBody(frame.error));
  }

  /**
   * Browsers hide WebSocket pings, so liveness is judged by inbound frames: after one quiet interval the client
   * pings to provoke an answer; after two the connection is declared dead.
   */
  #armHeartbeat(delay: number): void {
    this.#handles.heartbeat = this.#timers.setTimeout(() => {
      this.#handles.heartbeat = undefined;
      const quiet = this.#timers.now() - this.#lastReceivedAt;
      const interval = this.#heartbeatMs;
      if (quiet >= 2 * interval) {
        this.#abandon(CLOSE_CODES.heartbeat_timeout.code, "no frame from the server within two heartbeat intervals", true);
        return;
      }
      if (quiet >= interval && !this.#pinging) {
        this.#pinging = true;
        // The ping only provokes a frame: liveness is judged by inbound frames, so its answer and its failure (a
        // timeout on a dead connection, which the next tick abandons) both just end the ping.
        const ended = () => {
          this.#pinging = false;
        };
        this.#request("ping", {}, 2 * interval).then(ended, ended);
      }
      this.#armHeartbeat(quiet >= interval ? 2 * interval - quiet : interval - quiet);
    }, delay);
  }

  /**
   * Gives up on the current socket and proceeds as if it had closed with `code`. `dead` skips the close handshake,
   * which a peer that stopped answering would never finish.
   */
  #abandon(code: number, reason: string, dead: boolean, retryAfterMs?: number): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#detach(socket, dead ? "kill" : "close", code, reason);
    this.#handleClosed(code, reason, retryAfterMs);
  }

  #onClose(code: number, reason: string): void {
    if (this.#socket) this.#detach(this.#socket, "none");
    this.#handleClosed(code, reason);
  }

  #handleClosed(code: number, reason: string, retryAfterMs?: number): void {
    const rejected = this.#token;
    this.#teardown(new ParleyError("connection_closed", `The connection closed (${code} ${reason})`), code, reason);
    const action = closeActionFor(code);
    this.emit("close", { code, reason, action });
    if (this.#stopped) {
      this.#setState("disconnected");
      return;
    }
    if (action === "stop") {
      this.#halt(
        new ParleyError("connection_closed", `The server closed the connection: ${code} ${reason}`.trim(), {
          retryable: false,
          details: { closeCode: code },
        }),
      );
    } else if (action === "reauthenticate") {
      this.#setState("reconnecting");
      void this.#reauthenticate(rejected);
    } else {
      this.#scheduleReconnect(retryAfterMs);
    }
  }

  async #reauthenticate(rejected: string | undefined): Promise<void> {
    const generation = this.#generation;
    try {
      await this.#options.reauthenticate(rejected);
    } catch (caught) {
      this.#stepFailed(generation, caught);
      return;
    }
    if (this.#superseded(generation)) return;
    this.#scheduleReconnect();
  }

  /** Whether an awaited step of connection attempt `generation` came back too late to act on. */
  #superseded(generation: number): boolean {
    return generation !== this.#generation || this.#stopped;
  }

  /** A step of attempt `generation` (token, re-authentication) failed: retry later when the error allows, else stop. */
  #stepFailed(generation: number, caught: unknown): void {
    if (this.#superseded(generation)) return;
    const error = toParleyError(caught);
    if (error.retryable) this.#afterFailure(error);
    else this.#halt(error);
  }

  #afterFailure(error: ParleyError): void {
    this.emit("error", error);
    this.#scheduleReconnect(error.retryAfterMs);
  }

  #scheduleReconnect(minDelayMs = 0): void {
    if (this.#stopped) return;
    this.#setState("reconnecting");
    const delay = Math.max(this.#backoff.next(), minDelayMs);
    this.#clear("reconnect");
    this.#handles.reconnect = this.#timers.setTimeout(() => void this.#open(), delay);
  }

  #halt(error: ParleyError): void {
    this.#stopped = true;
    this.#clear("reconnect");
    this.#setState("disconnected");
    this.emit("stopped", error);
  }

  /** Detaches from the socket and fails every pending request; the socket itself is closed when still open. */
  #teardown(error: ParleyError, code: number, reason: string): void {
    this.#generation++;
    for (const name of Object.keys(this.#handles) as TimerName[]) this.#clear(name);
    this.#pinging = false;
    if (this.#socket) this.#detach(this.#socket, "close", code, reason);
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) {
      this.#timers.clearTimeout(p.timer);
      p.reject(error);
    }
  }

  #detach(socket: WebSocketLike, mode: "none" | "close" | "kill", code = 1000, reason = ""): void {
    socket.onopen = null;
    socket.onmessage = null;
    socket.onclose = null;
    socket.onerror = noop;
    if (this.#socket === socket) this.#socket = undefined;
    if (mode === "none") return;
    // Browsers only allow 1000 and 3000–4999 from a client.
    const allowed = code === 1000 || (code >= 3000 && code < 5000) ? code : 1000;
    discardSocket(socket, allowed, reason.slice(0, 120), mode === "kill");
  }

  #clear(name: TimerName): void {
    const handle = this.#handles[name];
    if (handle === undefined) return;
    this.#handles[name] = undefined;
    this.#timers.clearTimeout(handle);
  }

  #setState(state: ConnectionState): void {
    if (this.#state === state) return;
    this.#state = state;
    this.emit("state", state);
  }
}
