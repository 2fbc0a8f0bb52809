// Long polling behind the WebSocket interface (fetch only, browsers and Node), so `Connection` runs unchanged on it.

import { CLOSE_CODES, type ErrorBody, isErrorCode } from "@parley/protocol";
import type { WebSocketLike } from "./connection.js";
import type { FetchLike, ResponseLike } from "./http-api.js";
import { systemTimers, type TimerHandle, type Timers } from "./timers.js";

export interface LongPollSocketOptions {
  /** Server base URL, e.g. `https://chat.example.com` (a path prefix is kept); endpoints live under `/v1/lp`. */
  baseUrl: string;
  fetch?: FetchLike;
  timers?: Timers;
}

/** The header that proves the session on every request after open (docs/protocol.md §2.3). */
export const POLL_SECRET_HEADER = "Parley-Poll-Secret";

interface CloseNotice {
  code: number;
  reason: string;
}

interface Answer {
  status: number;
  body: {
    welcome?: { connectionId: string };
    secret?: string;
    pollTimeoutMs?: number;
    expiresAfterMs?: number;
    last?: number;
    frames?: unknown[];
    close?: CloseNotice;
    error?: ErrorBody;
  };
}

/** Largest send batch; the server refuses bodies over its `PARLEY_MAX_BODY_BYTES` (1 MiB by default). */
const MAX_BATCH_CHARS = 256 * 1024;
/** Sends that fail on the network are retried this often (the batch number makes a retry harmless). */
const SEND_ATTEMPTS = 3;
/** How long a poll may take beyond the server's hold before it is presumed lost. */
const POLL_SLACK_MS = 15_000;

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 3;

/**
 * Speaks the long-poll binding of the protocol while looking like a WebSocket to its user: the first frame sent must
 * be `hello` and becomes `POST /v1/lp/open`; later frames leave in batches (one POST at a time, so the server sees
 * them in order); a poll loop delivers server frames as `message` events and acknowledges them; a close notice
 * becomes a `close` event with the code a WebSocket would have carried.
 */
export class LongPollSocket implements WebSocketLike {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSED = CLOSED;

  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  readonly #base: string;
  readonly #fetch: FetchLike;
  readonly #timers: Timers;
  #readyState = CONNECTING;
  #helloRid: string | undefined;
  #connectionId: string | undefined;
  #secret = "";
  #ack = 0;
  #batch = 0;
  /** Frames waiting to be sent: before the welcome (pipelined behind hello) or behind a send in flight. */
  readonly #outbox: string[] = [];
  #sending = false;
  #flushTimer: TimerHandle | undefined;
  #poll: AbortController | undefined;
  #pollTimeoutMs = 25_000;
  #expiresAfterMs = 45_000;
  /**
   * Cookies a load balancer set to keep the session on its node (docs/protocol.md §2.3.5). Browsers keep them by
   * themselves and hide `Set-Cookie`; elsewhere (Node) this is the whole cookie jar the session needs.
   */
  readonly #cookies = new Map<string, string>();

  constructor(options: LongPollSocketOptions) {
    this.#base = `${options.baseUrl.replace(/\/+$/, "")}/v1/lp`;
    this.#fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.#timers = options.timers ?? systemTimers;
    // Like a WebSocket, it "opens" asynchronously; the handshake proper is the hello that follows.
    this.#timers.setTimeout(() => {
      if (this.#readyState !== CONNECTING) return;
      this.#readyState = OPEN;
      this.onopen?.({});
    }, 0);
  }

  get readyState(): number {
    return this.#readyState;
  }

  /** The session's connection id once open (also `welcome.connectionId`). */
  get connectionId(): string | undefined {
    return this.#connectionId;
  }

  send(data: string): void {
    if (this.#readyState !== OPEN) throw new Error("LongPollSocket is not open");
    if (this.#helloRid === undefined) {
      const frame = parse(data) as { rid?: unknown; op?: unknown; args?: unknown } | undefined;
      const rid = typeof frame?.rid === "string" ? frame.rid : null;
      if (frame?.op !== "hello" || rid === null) {
        // What the server does with a first frame that is not hello.
        this.#deliverError(rid, { code: "unauthorized", message: "The first frame must be `hello`", retryable: false });
        this.#closed(CLOSE_CODES.protocol_violation.code, "protocol_violation");
        return;
      }
      this.#helloRid = rid;
      void this.#open(rid, frame.args ?? {});
      return;
    }
    this.#outbox.push(data);
    if (this.#connectionId !== undefined) this.#scheduleFlush();
  }

  /** Ends the session: tells the server (best effort) and stops polling. No `close` event follows, as for `ws`. */
  close(code = 1000, reason = ""): void {
    if (this.#readyState === CLOSED) return;
    const id = this.#connectionId;
    this.#stop();
    if (id !== undefined) this.#endOnServer(id);
    const onclose = this.onclose;
    if (onclose) this.#timers.setTimeout(() => onclose({ code, reason }), 0);
  }

  /**
   * Tells the server the session is over, without waiting. A failure is reported to `onerror` like any transport
   * error; the server then ends the session itself when it expires.
   */
  #endOnServer(connectionId: string): void {
    this.#request("POST", `close?connection=${encodeURIComponent(connectionId)}`, undefined).catch((error: unknown) =>
      this.onerror?.(error),
    );
  }

  async #open(rid: string, args: unknown): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.#request("POST", "open", JSON.stringify(args), "application/json", false);
    } catch (error) {
      this.onerror?.(error);
      this.#closed(1006, "long-poll open failed");
      return;
    }
    const { welcome, secret } = answer.body;
    if (this.#readyState !== OPEN) {
      // Abandoned while opening (hello timeout): end the session the server just opened instead of letting it expire.
      if (welcome && typeof secret === "string") {
        this.#secret = secret;
        this.#endOnServer(welcome.connectionId);
      }
      return;
    }
    if (answer.status === 200 && welcome && typeof secret === "string") {
      this.#connectionId = welcome.connectionId;
      this.#secret = secret;
      if (typeof answer.body.pollTimeoutMs === "number") this.#pollTimeoutMs = answer.body.pollTimeoutMs;
      if (typeof answer.body.expiresAfterMs === "number") this.#expiresAfterMs = answer.body.expiresAfterMs;
      this.#deliver({ type: "result", rid, result: welcome });
      void this.#pollLoop();
      if (this.#outbox.length > 0) this.#scheduleFlush();
      return;
    }
    const { error, close } = answer.body;
    // A refused hello answers like the WebSocket's: the error frame, then the close code. Errors without a close
    // notice (a proxy, an older server, a rate limit) only count as a dropped connection, unless retryable.
    if (error && isErrorCode(error.code) && (close || error.retryable)) this.#deliverError(rid, error);
    if (close) this.#closed(close.code, close.reason);
    else this.#closed(1006, `long-poll open answered HTTP ${answer.status}`);
  }

  async #pollLoop(): Promise<void> {
    let failures = 0;
    let lastAnswerAt = this.#timers.now();
    while (this.#readyState === OPEN) {
      const controller = new AbortController();
      this.#poll = controller;
      const timer = this.#timers.setTimeout(() => controller.abort(), this.#pollTimeoutMs + POLL_SLACK_MS);
      let answer: Answer | undefined;
      try {
        answer = await this.#request(
          "GET",
          `poll?connection=${encodeURIComponent(this.#connectionId!)}&ack=${this.#ack}`,
          undefined,
          undefined,
          true,
          controller.signal,
        );
      } catch {
        answer = undefined;
      } finally {
        this.#timers.clearTimeout(timer);
      }
      if (this.#readyState !== OPEN) return;
      const { last, frames, close } = answer?.body ?? {};
      if (answer && answer.status === 200 && typeof last === "number" && Array.isArray(frames)) {
        failures = 0;
        lastAnswerAt = this.#timers.now();
        const first = last - frames.length + 1;
        for (let i = 0; i < frames.length; i++) {
          // A repeated answer (its predecessor was lost) carries frames already delivered: skip them by seq.
          if (first + i <= this.#ack) continue;
          this.#ack = first + i;
          this.#deliver(frames[i]);
          if (this.#readyState !== OPEN) return;
        }
        this.#ack = Math.max(this.#ack, last);
        if (close) return this.#closed(close.code, close.reason);
        continue;
      }
      if (close) return this.#closed(close.code, close.reason);
      // The network or the server failed; the session survives on the server until it expires.
      if (answer && answer.status >= 400 && answer.status < 500 && answer.status !== 429) {
        return this.#closed(1006, `long-poll poll answered HTTP ${answer.status}`);
      }
      if (this.#timers.now() - lastAnswerAt > this.#expiresAfterMs) return this.#closed(1006, "long polls keep failing");
      failures++;
      await this.#sleep(Math.min(5000, 250 * 2 ** Math.min(failures, 5)));
    }
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined || this.#sending) return;
    // Frames sent in the same tick leave in one batch.
    this.#flushTimer = this.#timers.setTimeout(() => {
      this.#flushTimer = undefined;
      void this.#flush();
    }, 0);
  }

  async #flush(): Promise<void> {
    if (this.#sending || this.#readyState !== OPEN || this.#connectionId === undefined) return;
    this.#sending = true;
    try {
      while (this.#outbox.length > 0 && this.#readyState === OPEN) {
        const lines = takeBatch(this.#outbox);
        const path = `send?connection=${encodeURIComponent(this.#connectionId)}&batch=${++this.#batch}`;
        for (let attempt = 1; ; attempt++) {
          let answer: Answer | undefined;
          try {
            answer = await this.#request("POST", path, lines.join("\n"), "application/x-ndjson");
          } catch {
            answer = undefined;
          }
          if (this.#readyState !== OPEN) return;
          if (answer?.body.close) return this.#closed(answer.body.close.code, answer.body.close.reason);
          if (answer && answer.status === 200) break;
          const transient = !answer || answer.status >= 500 || answer.status === 429;
          if (!transient || attempt >= SEND_ATTEMPTS) {
            // Whether the batch arrived is unknown: like a dropped WebSocket, the connection's requests fail and
            // the client's outbox resends by clientId.
            return this.#closed(1006, "long-poll send failed");
          }
          await this.#sleep(300 * attempt);
          if (this.#readyState !== OPEN) return;
        }
      }
    } finally {
      this.#sending = false;
    }
  }

  async #request(
    method: string,
    path: string,
    body: string | undefined,
    type?: string,
    authenticated = true,
    signal?: AbortSignal,
  ): Promise<Answer> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (type) headers["content-type"] = type;
    if (authenticated) headers[POLL_SECRET_HEADER] = this.#secret;
    if (this.#cookies.size > 0) headers["cookie"] = [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const response = await this.#fetch(`${this.#base}/${path}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(signal ? { signal } : {}),
    });
    this.#keepCookies(response);
    const text = await response.text();
    return { status: response.status, body: (parse(text) as Answer["body"] | undefined) ?? {} };
  }

  #keepCookies(response: ResponseLike): void {
    const headers = (response as { headers?: { getSetCookie?: () => string[] } }).headers;
    for (const cookie of headers?.getSetCookie?.() ?? []) {
      const pair = cookie.split(";", 1)[0]!;
      const eq = pair.indexOf("=");
      if (eq > 0) this.#cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  #deliver(frame: unknown): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  #deliverError(rid: string | null, error: ErrorBody): void {
    this.#deliver({ type: "error", rid, error });
  }

  /** The session ended from the server's side (or the network's): a `close` event with the code. */
  #closed(code: number, reason: string): void {
    if (this.#readyState === CLOSED) return;
    this.#stop();
    this.onclose?.({ code, reason });
  }

  #stop(): void {
    this.#readyState = CLOSED;
    this.#poll?.abort();
    if (this.#flushTimer !== undefined) this.#timers.clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#outbox.length = 0;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.#timers.setTimeout(resolve, ms));
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Takes frames off the outbox up to the batch size (always at least one). */
function takeBatch(outbox: string[]): string[] {
  let size = 0;
  let n = 0;
  while (n < outbox.length && (n === 0 || size + outbox[n]!.length < MAX_BATCH_CHARS)) size += outbox[n++]!.length + 1;
  return outbox.splice(0, n);
}
