// The three transports spoken raw, with no SDK: WebSocket frames, HTTP requests and long-poll sessions.

import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import type { ErrorBody } from "@parley/protocol";
import WebSocket from "ws";

/** A frame as the server sent it: parsed JSON, not trusted to match any type until a check says so. */
// biome-ignore lint/suspicious/noExplicitAny: frames are read member by member and checked by the cases.
export type Json = any;

export interface CloseInfo {
  code: number;
  reason: string;
}

let ridCounter = 0;
export const nextRid = () => `c${++ridCounter}`;

/** One WebSocket: every inbound text frame is queued in order; waiters take frames that match a predicate. */
export class WsConn {
  readonly frames: Json[] = [];
  readonly closed: Promise<CloseInfo>;
  private waiters: { match: (f: Json) => boolean; resolve: (f: Json) => void }[] = [];
  private closeInfo: CloseInfo | undefined;

  private constructor(readonly socket: WebSocket) {
    this.closed = new Promise((resolve) => {
      socket.on("close", (code, reason) => {
        this.closeInfo = { code, reason: reason.toString() };
        resolve(this.closeInfo);
      });
    });
    socket.on("message", (data, isBinary) => {
      if (isBinary) return;
      let frame: Json;
      try {
        frame = JSON.parse(data.toString());
      } catch {
        frame = { unparsable: data.toString() };
      }
      const waiter = this.waiters.find((w) => w.match(frame));
      if (waiter) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve(frame);
      } else this.frames.push(frame);
    });
  }

  /** Opens `/v1/ws`; `autoPong: false` makes a peer that never answers the server's pings. */
  static open(
    wsUrl: string,
    options: { protocols?: string[]; autoPong?: boolean; headers?: Record<string, string> } = {},
  ): Promise<WsConn> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(wsUrl, options.protocols ?? ["parley.v1"], {
        autoPong: options.autoPong ?? true,
        headers: options.headers ?? {},
        handshakeTimeout: 10_000,
      });
      const conn = new WsConn(socket);
      socket.once("open", () => resolve(conn));
      socket.once("error", reject);
      socket.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)));
    });
  }

  get isClosed(): boolean {
    return this.closeInfo !== undefined;
  }

  send(frame: unknown): void {
    this.socket.send(typeof frame === "string" || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** The next frame matching `match` (queued or future); rejects after `timeoutMs` or when the socket closes first. */
  next(match: (f: Json) => boolean, timeoutMs = 10_000, what = "a frame"): Promise<Json> {
    const queued = this.frames.findIndex(match);
    if (queued >= 0) return Promise.resolve(this.frames.splice(queued, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = {
        match,
        resolve: (f: Json) => {
          clearTimeout(timer);
          resolve(f);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
      void this.closed.then((info) => {
        if (!this.waiters.includes(waiter)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        clearTimeout(timer);
        reject(new Error(`connection closed (${info.code} ${info.reason}) before ${what}`));
      });
    });
  }

  /** Sends a request and resolves with its answer (a `result` or `error` frame with the same rid). */
  request(op: string, args: unknown = {}, rid = nextRid()): Promise<Json> {
    this.send({ rid, op, args });
    return this.answer(rid, `the answer to ${op}`);
  }

  answer(rid: string | null, what = `the answer to rid ${rid}`): Promise<Json> {
    return this.next((f) => (f?.type === "result" || f?.type === "error") && f.rid === rid, 10_000, what);
  }

  /** Resolves with the close, or rejects when the server has not closed within `timeoutMs`. */
  async waitClose(timeoutMs: number): Promise<CloseInfo> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the server did not close the connection within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.closed, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  close(code = 1000): void {
    if (!this.isClosed) this.socket.close(code);
  }

  terminate(): void {
    this.socket.terminate();
  }
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: Json;
  text: string;
}

/** One HTTP request; the body is sent as given (string or bytes) so cases control every byte and header. */
export async function httpRaw(
  baseUrl: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string | Uint8Array; redirect?: "manual" | "follow" } = {},
): Promise<HttpAnswer> {
  const res = await fetch(baseUrl + path, {
    method,
    headers: options.headers ?? {},
    redirect: options.redirect ?? "manual",
    ...(options.body !== undefined ? { body: options.body } : {}),
  });
  const text = await res.text();
  let body: Json;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, text };
}

/** A JSON request: `body` is serialized with `Content-Type: application/json`. */
export function httpJson(baseUrl: string, method: string, path: string, body?: unknown, token?: string): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers["authorization"] = `Bearer ${token}`;
  return httpRaw(baseUrl, method, path, { headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
}

/**
 * Sends only the headers of a request (fetch cannot announce a Content-Length it does not send): for answers a server
 * gives before reading the body, such as an upload whose declared size is over the limit.
 */
export function httpHeadersOnly(
  baseUrl: string,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: Json }> {
  const url = new URL(path, baseUrl);
  const send = url.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { method, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () => {
        let body: Json;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, body });
        req.destroy();
      });
    });
    req.on("error", reject);
    req.setTimeout(10_000, () => req.destroy(new Error("no answer within 10 s")));
    req.flushHeaders();
  });
}

/** The error body of an HTTP answer, or undefined when it has none. */
export function httpError(answer: HttpAnswer): ErrorBody | undefined {
  const error = answer.body?.error;
  return error && typeof error === "object" ? error : undefined;
}

/** One long-poll session (§2.3): open, send batches, poll with acknowledgements, close; cookies are sent back. */
export class LongPollSession {
  private cookies = new Map<string, string>();
  connectionId = "";
  secret = "";
  ack = 0;
  private batch = 0;
  opened: Json;

  constructor(readonly baseUrl: string) {}

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { ...extra };
    if (this.secret) headers["parley-poll-secret"] = this.secret;
    if (this.cookies.size > 0) headers["cookie"] = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    return headers;
  }

  private remember(answer: HttpAnswer): HttpAnswer {
    for (const cookie of answer.headers.getSetCookie?.() ?? []) {
      const [pair] = cookie.split(";");
      const eq = pair?.indexOf("=") ?? -1;
      if (pair && eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    return answer;
  }

  async open(args: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const answer = this.remember(
      await httpRaw(this.baseUrl, "POST", "/v1/lp/open", {
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify(args),
      }),
    );
    if (answer.status === 200) {
      this.opened = answer.body;
      this.connectionId = answer.body?.welcome?.connectionId ?? "";
      this.secret = answer.body?.secret ?? "";
    }
    return answer;
  }

  query(params: Record<string, string | number> = {}): string {
    return new URLSearchParams({
      connection: this.connectionId,
      ...Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])),
    }).toString();
  }

  /** Posts request frames (objects or raw lines) as one NDJSON batch. */
  async send(frames: unknown[]): Promise<HttpAnswer> {
    this.batch += 1;
    const body = frames.map((f) => (typeof f === "string" ? f : JSON.stringify(f))).join("\n");
    return this.remember(
      await httpRaw(this.baseUrl, "POST", `/v1/lp/send?${this.query({ batch: this.batch })}`, {
        headers: this.headers({ "content-type": "application/x-ndjson" }),
        body,
      }),
    );
  }

  /** One poll acknowledging everything received so far; advances `ack` to the answer's `last`. */
  async poll(): Promise<HttpAnswer> {
    const answer = this.remember(
      await httpRaw(this.baseUrl, "GET", `/v1/lp/poll?${this.query({ ack: this.ack })}`, { headers: this.headers() }),
    );
    if (answer.status === 200 && typeof answer.body?.last === "number") this.ack = answer.body.last;
    return answer;
  }

  /** Polls until a frame matching `match` arrives (or a close notice, or `timeoutMs`). */
  async pollFor(match: (f: Json) => boolean, timeoutMs = 10_000): Promise<Json> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const answer = await this.poll();
      if (answer.status !== 200) throw new Error(`poll answered ${answer.status}: ${answer.text}`);
      const frame = (answer.body.frames as Json[]).find(match);
      if (frame) return frame;
      if (answer.body.close) throw new Error(`session closed (${JSON.stringify(answer.body.close)}) before the frame`);
    }
    throw new Error(`no matching frame within ${timeoutMs} ms`);
  }

  async close(): Promise<HttpAnswer> {
    return this.remember(
      await httpRaw(this.baseUrl, "POST", `/v1/lp/close?${this.query()}`, {
        headers: this.headers({ "content-type": "application/json" }),
        body: "{}",
      }),
    );
  }

  /** A request of this session with a wrong secret: what a stranger who knows the connection id gets. */
  withSecret(secret: string): LongPollSession {
    const other = new LongPollSession(this.baseUrl);
    other.connectionId = this.connectionId;
    other.secret = secret;
    other.cookies = new Map(this.cookies);
    return other;
  }
}
