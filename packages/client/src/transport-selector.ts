// Chooses WebSocket or long polling for each connection attempt: WebSocket first, long polling after repeated
// failures, and back to WebSocket once a background probe shows it works again.

import { PROTOCOL_VERSION, SUBPROTOCOL_PREFIX } from "@parley/protocol";
import { discardSocket, type WebSocketConstructor, type WebSocketLike } from "./connection.js";
import type { FetchLike } from "./http-api.js";
import { LongPollSocket } from "./long-poll-socket.js";
import { systemTimers, type TimerHandle, type Timers } from "./timers.js";

/** `auto`: WebSocket, falling back to long polling; or one transport only. */
export type TransportMode = "auto" | "websocket" | "long-poll";
export type TransportName = "websocket" | "long-poll";

export interface TransportSelectorOptions {
  mode?: TransportMode;
  /** The WebSocket implementation; without one, `auto` uses long polling only. */
  WebSocket?: WebSocketConstructor | undefined;
  /** Server base URL for long polling. */
  baseUrl: string;
  fetch?: FetchLike;
  timers?: Timers;
  /** `auto`: consecutive WebSocket attempts that fail to get an answer before long polling is used. */
  fallbackAfter?: number;
  /** `auto`: while on long polling, how often to check in the background whether WebSockets work again. */
  retryWebSocketMs?: number;
  /** How long a WebSocket probe may take to get its answer. */
  probeTimeoutMs?: number;
}

/** Reason of the synthetic close that moves a long-poll connection over to a WebSocket that works again. */
export const SWITCH_REASON = "switching to websocket";
/** 1012 (service restart): closeActionFor() says reconnect, which then picks the WebSocket. */
const SWITCH_CODE = 1012;

const noop = () => {};

/** A browser that knows it is offline: failures then say nothing about whether WebSockets can pass. */
function offline(): boolean {
  return (globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false;
}

/**
 * Hands `Connection` a WebSocket constructor whose sockets are WebSockets or long-poll sockets, chosen per attempt.
 * It learns from each socket it made: a WebSocket that closes before any frame arrived is a failure (a proxy that
 * refuses upgrades, or accepts them and never passes a frame); one that delivers a frame resets the count.
 */
export class TransportSelector {
  readonly mode: TransportMode;
  /** Pass as `Connection`'s `WebSocket`; the URL it is given is the WebSocket URL. */
  readonly WebSocket: WebSocketConstructor;
  readonly #ws: WebSocketConstructor | undefined;
  readonly #baseUrl: string;
  readonly #fetch: FetchLike | undefined;
  readonly #timers: Timers;
  readonly #fallbackAfter: number;
  readonly #retryWebSocketMs: number;
  readonly #probeTimeoutMs: number;
  #wsFailures = 0;
  #fellBackAt: number | undefined;
  #current: TransportName | undefined;
  #active: SelectedSocket | undefined;
  #probeTimer: TimerHandle | undefined;
  #probe: WebSocketLike | undefined;
  /** The WebSocket URL, learned from the attempts (Connection passes it to every socket it creates). */
  #probeUrl = "";

  constructor(options: TransportSelectorOptions) {
    this.mode = options.mode ?? "auto";
    this.#ws = options.WebSocket;
    this.#baseUrl = options.baseUrl;
    this.#fetch = options.fetch;
    this.#timers = options.timers ?? systemTimers;
    this.#fallbackAfter = Math.max(1, options.fallbackAfter ?? 2);
    this.#retryWebSocketMs = options.retryWebSocketMs ?? 180_000;
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 10_000;
    const selector = this;
    this.WebSocket = function SelectedWebSocket(url: string, protocols?: string | string[]) {
      return new SelectedSocket(selector, url, protocols);
    } as unknown as WebSocketConstructor;
  }

  /** The transport of the newest connection attempt. */
  get current(): TransportName | undefined {
    return this.#current;
  }

  /** True when some transport can be used at all. */
  get usable(): boolean {
    return this.mode !== "websocket" || this.#ws !== undefined;
  }

  /** Stops the background probe (the client closed); the next welcome over long polling starts it again. */
  dispose(): void {
    this.#clearProbe();
  }

  /** @internal The transport for the next attempt. */
  choose(): TransportName {
    if (this.mode === "long-poll" || (this.mode === "auto" && this.#ws === undefined)) return "long-poll";
    if (this.mode === "websocket" || this.#wsFailures < this.#fallbackAfter) return "websocket";
    // On long polling for a while without a successful probe (say it never stays connected): try once more.
    if (this.#fellBackAt !== undefined && this.#timers.now() - this.#fellBackAt >= this.#retryWebSocketMs) {
      this.#wsFailures = this.#fallbackAfter - 1;
      this.#fellBackAt = undefined;
      return "websocket";
    }
    return "long-poll";
  }

  /** @internal */
  createWebSocket(url: string, protocols?: string | string[]): WebSocketLike {
    return new this.#ws!(url, protocols);
  }

  /** @internal */
  createLongPoll(): WebSocketLike {
    return new LongPollSocket({
      baseUrl: this.#baseUrl,
      timers: this.#timers,
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
    });
  }

  /** @internal A socket of `transport` was created for an attempt at `url`. */
  attempting(socket: SelectedSocket, transport: TransportName, url: string): void {
    this.#probeUrl = url;
    this.#active = socket;
    this.#current = transport;
    if (transport === "websocket") this.#clearProbe();
  }

  /** @internal */
  webSocketWorked(): void {
    this.#wsFailures = 0;
    this.#fellBackAt = undefined;
  }

  /** @internal Constructing a WebSocket threw (blocked by policy, or none in this environment): no use retrying. */
  webSocketUnavailable(): void {
    this.#wsFailures = this.#fallbackAfter;
    this.#fellBackAt = this.#timers.now();
  }

  /** @internal */
  webSocketFailed(): void {
    // While the browser knows it is offline every attempt fails: that says nothing about WebSockets being blocked.
    if ((globalThis as { navigator?: { onLine?: boolean } }).navigator?.onLine === false) return;
    this.#wsFailures++;
    if (this.#wsFailures === this.#fallbackAfter) this.#fellBackAt = this.#timers.now();
  }

  /**
   * @internal Long polling could not reach the server either: the WebSocket failures were probably the server
   * being down, not a network that blocks WebSockets, so the next attempt tries a WebSocket again.
   */
  longPollUnreachable(): void {
    if (this.mode === "auto" && this.#ws !== undefined) this.#wsFailures = 0;
  }

  /** @internal A long-poll connection got its welcome: check now and then whether WebSockets work again. */
  longPollWorked(socket: SelectedSocket): void {
    if (this.mode !== "auto" || this.#ws === undefined || socket !== this.#active) return;
    this.#armProbe(socket);
  }

  #armProbe(socket: SelectedSocket): void {
    this.#clearProbe();
    this.#probeTimer = this.#timers.setTimeout(() => {
      this.#probeTimer = undefined;
      if (socket !== this.#active || socket.readyState !== 1) return;
      this.#runProbe((works) => {
        if (socket !== this.#active || socket.readyState !== 1) return;
        if (!works) return this.#armProbe(socket);
        this.webSocketWorked();
        socket.switchToWebSocket();
      });
    }, this.#retryWebSocketMs);
  }

  /**
   * Opens a WebSocket and sends `{}` before any hello: a working path answers with an `invalid_frame` error and
   * keeps the socket open (docs/protocol.md §4.3), which proves frames pass both ways without a second session.
   */
  #runProbe(done: (works: boolean) => void): void {
    let finished = false;
    let probe: WebSocketLike;
    const finish = (works: boolean) => {
      if (finished) return;
      finished = true;
      this.#timers.clearTimeout(timer);
      this.#probe = undefined;
      probe.onopen = null;
      probe.onmessage = null;
      probe.onclose = null;
      probe.onerror = noop;
      discardSocket(probe, 1000, "probe");
      done(works);
    };
    const timer = this.#timers.setTimeout(() => finish(false), this.#probeTimeoutMs);
    try {
      probe = this.createWebSocket(this.#probeUrl, [`${SUBPROTOCOL_PREFIX}${PROTOCOL_VERSION}`]);
    } catch {
      this.#timers.clearTimeout(timer);
      done(false);
      return;
    }
    this.#probe = probe;
    probe.onerror = noop;
    probe.onopen = () => {
      try {
        probe.send("{}");
      } catch {
        finish(false);
      }
    };
    probe.onmessage = () => finish(true);
    probe.onclose = () => finish(false);
  }

  #clearProbe(): void {
    if (this.#probeTimer !== undefined) this.#timers.clearTimeout(this.#probeTimer);
    this.#probeTimer = undefined;
    if (this.#probe) {
      const probe = this.#probe;
      this.#probe = undefined;
      probe.onclose = null;
      probe.onmessage = null;
      discardSocket(probe, 1000, "probe");
    }
  }
}

/** One connection attempt's socket: a WebSocket or a long-poll socket behind one face, reporting how it went. */
class SelectedSocket implements WebSocketLike {
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  readonly transport: TransportName;
  readonly #selector: TransportSelector;
  readonly #inner: WebSocketLike;
  #answered = false;
  #closedByUser = false;

  constructor(selector: TransportSelector, url: string, protocols?: string | string[]) {
    this.#selector = selector;
    let transport = selector.choose();
    let inner: WebSocketLike | undefined;
    if (transport === "websocket") {
      try {
        inner = selector.createWebSocket(url, protocols);
      } catch (error) {
        // No WebSocket at all (blocked by policy, or a browser without it): long polling for this attempt.
        if (selector.mode === "websocket") throw error;
        selector.webSocketUnavailable();
        transport = "long-poll";
      }
    }
    this.transport = transport;
    this.#inner = inner ?? selector.createLongPoll();
    selector.attempting(this, transport, url);
    this.#inner.onerror = (event) => this.onerror?.(event);
    this.#inner.onopen = (event) => this.onopen?.(event);
    this.#inner.onmessage = (event) => {
      if (!this.#answered) {
        this.#answered = true;
        if (this.transport === "websocket") this.#selector.webSocketWorked();
        else this.#selector.longPollWorked(this);
      }
      this.onmessage?.(event);
    };
    this.#inner.onclose = (event) => {
      const silent = !this.#answered;
      this.#settle(event.code);
      // The server never closes with 1000 (nor without a code) before a frame: that is a middlebox ending the socket
      // "normally", which must not read as "stop" to the connection.
      const code = silent && this.transport === "websocket" && (event.code === 1000 || event.code === 1005) ? 1006 : event.code;
      this.onclose?.(code === event.code ? event : { code, reason: event.reason });
    };
  }

  get readyState(): number {
    return this.#inner.readyState;
  }

  send(data: string): void {
    this.#inner.send(data);
  }

  close(code?: number, reason?: string): void {
    this.#closedByUser = code === undefined || code === 1000;
    this.#settle(code ?? 1000);
    this.#inner.close(code, reason);
  }

  /** `ws` sockets can be killed without a closing handshake; Connection uses it for dead peers. */
  terminate(): void {
    (this.#inner as { terminate?: () => void }).terminate?.();
  }

  /** Ends this long-poll connection so that the reconnect that follows takes the WebSocket. */
  switchToWebSocket(): void {
    const onclose = this.onclose;
    this.#inner.onclose = null;
    this.#inner.close(1000, SWITCH_REASON);
    onclose?.({ code: SWITCH_CODE, reason: SWITCH_REASON });
  }

  /** Records the attempt's outcome once, when it ends without ever getting a frame. */
  #settle(code: number): void {
    if (this.#answered || this.#closedByUser) {
      this.#answered = true;
      return;
    }
    this.#answered = true;
    if (offline()) return;
    if (this.transport === "websocket") this.#selector.webSocketFailed();
    else if (code === 1006) this.#selector.longPollUnreachable();
  }
}
