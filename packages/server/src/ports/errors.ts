// Errors that cross every port: the backing engine (database, bus) could not be reached, so nothing took effect.

/** Thrown by adapters when their engine is unreachable or the connection broke; answered as `unavailable` (retryable). */
export class BackendUnavailableError extends Error {
  constructor(
    /** Which engine: "store", "bus" or "presence". */
    readonly backend: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} unavailable: ${message}`, options);
    this.name = "BackendUnavailableError";
  }
}

/** Socket-level failures of any driver (Node's net/dns error codes). */
const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
]);

/** Driver messages that mean "the connection is gone", for drivers that do not set a code (pg, ioredis). */
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection (is )?closed/i,
  /not queryable/i,
  /stream isn't writeable/i,
  /command timed out/i,
  /reached the max retries per request/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
];

/**
 * True when `error` (or its cause) says a backing engine is unreachable: a BackendUnavailableError, a socket error,
 * a PostgreSQL connection-class SQLSTATE (08xxx, 57P01–57P03, 53300) or a driver's "connection closed" message.
 */
export function isBackendUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 4 || typeof error !== "object" || error === null) return false;
  if (error instanceof BackendUnavailableError) return true;
  const e = error as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === "string") {
    if (NETWORK_CODES.has(e.code)) return true;
    if (/^08...$/.test(e.code) || ["57P01", "57P02", "57P03", "53300"].includes(e.code)) return true;
  }
  if (e.name === "MaxRetriesPerRequestError") return true;
  if (typeof e.message === "string" && CONNECTION_MESSAGES.some((re) => re.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isBackendUnavailable(inner, depth + 1))) return true;
  return isBackendUnavailable(e.cause, depth + 1);
}
