// The one error type the SDK throws: protocol errors from the server plus failures only a client can observe.

import { type ErrorBody, type ErrorCode, isErrorCode } from "@parley/protocol";

/** Failures the client detects itself, outside the server's error registry. */
export type ClientErrorCode =
  /** fetch or the WebSocket failed before an answer arrived. */
  | "network_error"
  /** No answer within the request timeout; the request may or may not have been applied. */
  | "timeout"
  /** The connection closed while the request was in flight; it may or may not have been applied. */
  | "connection_closed"
  /** The request needs an open connection and there is none; nothing was sent. */
  | "not_connected"
  /** There is no signed-in session (never logged in, logged out, or the session was lost). */
  | "not_authenticated"
  /** The server answered with something that is not a protocol answer. */
  | "bad_response"
  /** The client was closed while the request waited. */
  | "stopped";

export type ParleyErrorCode = ErrorCode | ClientErrorCode;

const CLIENT_RETRYABLE: Record<ClientErrorCode, boolean> = {
  network_error: true,
  timeout: true,
  connection_closed: true,
  not_connected: true,
  not_authenticated: false,
  bad_response: true,
  stopped: false,
};

export interface ParleyErrorOptions {
  retryable?: boolean;
  retryAfterMs?: number;
  details?: Record<string, unknown>;
  /** HTTP status, when the error came from an HTTP answer. */
  status?: number;
  cause?: unknown;
}

export class ParleyError extends Error {
  readonly code: ParleyErrorCode;
  /** True when the same request may succeed later without change. */
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;
  readonly details: Record<string, unknown> | undefined;
  readonly status: number | undefined;

  constructor(code: ParleyErrorCode, message: string, options: ParleyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "ParleyError";
    this.code = code;
    this.retryable = options.retryable ?? (isErrorCode(code) ? false : CLIENT_RETRYABLE[code]);
    this.retryAfterMs = options.retryAfterMs;
    this.details = options.details;
    this.status = options.status;
  }

  static fromBody(body: ErrorBody, status?: number): ParleyError {
    return new ParleyError(body.code, body.message, {
      retryable: body.retryable,
      ...(body.retryAfterMs === undefined ? {} : { retryAfterMs: body.retryAfterMs }),
      ...(body.details === undefined ? {} : { details: body.details }),
      ...(status === undefined ? {} : { status }),
    });
  }
}

export function isParleyError(error: unknown, code?: ParleyErrorCode): error is ParleyError {
  return error instanceof ParleyError && (code === undefined || error.code === code);
}

/** Wraps anything thrown into a ParleyError so callers handle one type. */
export function toParleyError(error: unknown, fallback: ClientErrorCode = "network_error"): ParleyError {
  if (error instanceof ParleyError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ParleyError(fallback, message, { cause: error });
}

/** Errors that mean the session itself is gone: logging in again is the only way forward. */
export function isAuthLoss(error: unknown): boolean {
  return (
    error instanceof ParleyError &&
    (error.code === "invalid_refresh_token" ||
      error.code === "unauthorized" ||
      error.code === "not_authenticated" ||
      // An administrator deactivated the account (close 4103, then a refused refresh): signing in again cannot help.
      error.code === "account_deactivated")
  );
}

/** The connection went away under a request (or there was none): the next welcome redoes the work, and `state` says so. */
export function isDisconnection(error: unknown): boolean {
  return isParleyError(error) && (error.code === "connection_closed" || error.code === "not_connected");
}
