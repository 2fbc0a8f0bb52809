// The one error type services throw; transports turn it into an error frame or HTTP error body.

import { ERRORS, type ErrorBody, type ErrorCode } from "@parley/protocol";
import { isBackendUnavailable } from "../ports/errors.js";

export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: ErrorBody["details"],
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = "AppError";
  }

  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message, retryable: ERRORS[this.code].retryable };
    if (this.details) body.details = this.details;
    if (this.retryAfterMs !== undefined) body.retryAfterMs = this.retryAfterMs;
    return body;
  }
}

/** Maps anything thrown to a client-safe error body; unexpected errors never leak their message. */
export function toErrorBody(error: unknown): ErrorBody {
  if (error instanceof AppError) return error.toBody();
  // A store or bus that cannot be reached is the client's cue to back off and retry, not a server bug.
  if (isBackendUnavailable(error)) {
    return { code: "unavailable", message: "A backing service is unavailable; retry with backoff", retryable: true };
  }
  return { code: "internal", message: "Internal server error", retryable: true };
}
