// Typed HTTP calls for every operation that has an HTTP route, with one token refresh and retry on `token_expired`.

import {
  type ErrorBody,
  type ErrorCode,
  isErrorCode,
  type OpArgs,
  type OpName,
  type OpResult,
  operations,
} from "@parley/protocol";
import { ParleyError } from "./errors.js";
import { systemTimers, type Timers } from "./timers.js";

/** The subset of the Fetch API the SDK needs, so any fetch (browser, Node, undici, a fake) can be injected. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<ResponseLike>;

export interface ResponseLike {
  readonly status: number;
  text(): Promise<string>;
}

/** Where HTTP (and WebSocket) calls get their access token. */
export interface TokenSource {
  /** The current access token, or undefined when signed out. */
  accessToken(): Promise<string | undefined>;
  /** A new access token after `rejected` was refused; concurrent callers share one refresh. */
  refresh(rejected: string | undefined): Promise<string>;
}

export interface HttpApiOptions {
  /** Server base URL, e.g. `https://chat.example.com` (a path prefix is kept). */
  baseUrl: string;
  fetch?: FetchLike;
  tokens?: TokenSource;
  timeoutMs?: number;
  timers?: Timers;
}

export interface HttpRequest {
  method: string;
  /** Path and query string, relative to the base URL. */
  path: string;
  /** JSON body, for methods other than GET. */
  body?: string;
}

/**
 * Maps an operation and its arguments onto its HTTP route: `:params` come from the arguments, the rest goes into the
 * query string for GET and into a JSON body otherwise.
 */
export function buildHttpRequest<K extends OpName>(op: K, args: OpArgs<K>): HttpRequest {
  const route = operations[op].http;
  if (!route) throw new TypeError(`Operation ${op} has no HTTP route`);
  const rest: Record<string, unknown> = { ...(args as Record<string, unknown>) };
  const path = route.path.replace(/:([A-Za-z0-9_]+)/g, (_, name: string) => {
    const value = rest[name];
    if (value === undefined || value === null || value === "") throw new TypeError(`Operation ${op} needs argument ${name}`);
    delete rest[name];
    return encodeURIComponent(String(value));
  });
  if (route.method === "GET") {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(rest)) {
      if (value === undefined) continue;
      if (Array.isArray(value)) for (const item of value) query.append(key, String(item));
      else query.append(key, String(value));
    }
    const qs = query.toString();
    return { method: "GET", path: qs ? `${path}?${qs}` : path };
  }
  // Always send a JSON object: servers reject an empty body declared as JSON, and `{}` is what an argless op means.
  return { method: route.method, path, body: JSON.stringify(rest) };
}

function statusFallback(status: number): { code: ErrorCode | "bad_response"; retryable: boolean } {
  if (status === 401) return { code: "unauthorized", retryable: false };
  if (status === 403) return { code: "forbidden", retryable: false };
  if (status === 404) return { code: "not_found", retryable: false };
  if (status === 413) return { code: "too_large", retryable: false };
  if (status === 429) return { code: "rate_limited", retryable: true };
  if (status >= 500) return { code: status === 503 ? "unavailable" : "internal", retryable: true };
  return { code: "bad_response", retryable: false };
}

export class HttpApi {
  readonly baseUrl: string;
  readonly #fetch: FetchLike;
  readonly #tokens: TokenSource | undefined;
  readonly #timeoutMs: number;
  readonly #timers: Timers;

  constructor(options: HttpApiOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    // Browsers throw "Illegal invocation" when fetch is called detached from globalThis.
    this.#fetch = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
    this.#tokens = options.tokens;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#timers = options.timers ?? systemTimers;
  }

  /** Calls `op` over HTTP; resolves with its result or rejects with a ParleyError. */
  async call<K extends OpName>(op: K, args: OpArgs<K>): Promise<OpResult<K>> {
    const request = buildHttpRequest(op, args);
    if (operations[op].auth === "public") return (await this.#send(request, undefined)) as OpResult<K>;
    return (await this.#authorized(request, false)) as OpResult<K>;
  }

  /**
   * A signed-in `GET` of a route that answers a file instead of JSON (the audit export, docs/protocol.md §6.11): its
   * body as text. Errors as for `call`.
   */
  async download(path: string): Promise<string> {
    return (await this.#authorized({ method: "GET", path }, true)) as string;
  }

  async #authorized(request: HttpRequest, raw: boolean): Promise<unknown> {
    const token = await this.#tokens?.accessToken();
    if (!token || !this.#tokens) throw new ParleyError("not_authenticated", "Not signed in");
    try {
      return await this.#send(request, token, raw);
    } catch (error) {
      if (!(error instanceof ParleyError) || error.code !== "token_expired") throw error;
      // One refresh and one retry: a second token_expired means the clock or the server is off, not the token.
      const fresh = await this.#tokens.refresh(token);
      return await this.#send(request, fresh, raw);
    }
  }

  async #send(request: HttpRequest, token: string | undefined, raw = false): Promise<unknown> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (request.body !== undefined) headers["content-type"] = "application/json";
    if (token) headers.authorization = `Bearer ${token}`;
    const controller = new AbortController();
    const timer = this.#timers.setTimeout(() => controller.abort(), this.#timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await this.#fetch(this.baseUrl + request.path, {
        method: request.method,
        headers,
        ...(request.body === undefined ? {} : { body: request.body }),
        signal: controller.signal,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (controller.signal.aborted) {
        throw new ParleyError("timeout", `${request.method} ${request.path} timed out after ${this.#timeoutMs} ms`, {
          cause: error,
        });
      }
      throw new ParleyError("network_error", `${request.method} ${request.path} failed: ${String(error)}`, { cause: error });
    } finally {
      this.#timers.clearTimeout(timer);
    }
    if (raw && status >= 200 && status < 300) return text;
    let body: unknown;
    try {
      body = text === "" ? {} : JSON.parse(text);
    } catch (error) {
      if (status >= 200 && status < 300)
        throw new ParleyError("bad_response", "The server answered with invalid JSON", { status, cause: error });
      body = undefined;
    }
    if (status >= 200 && status < 300) return body;
    const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
    if (error && isErrorCode(error.code) && typeof error.message === "string") {
      throw ParleyError.fromBody(error as ErrorBody, status);
    }
    const fallback = statusFallback(status);
    throw new ParleyError(fallback.code, `HTTP ${status} from ${request.method} ${request.path}`, {
      status,
      retryable: fallback.retryable,
    });
  }
}
