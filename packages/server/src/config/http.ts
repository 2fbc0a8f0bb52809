// The HTTP server and its edge: bodies, timeouts, connection caps, proxies, origins, security headers and TLS.

import { bool, bothOrNeither, ConfigError, type ConfigVars, int, nonEmpty, origins, zeroOr } from "./parse.js";

/** The Content-Security-Policy for the web app: scripts only from this origin, WebSockets to it, no framing. */
export const DEFAULT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

export interface HttpConfig {
  /** Upper bound on HTTP request bodies. */
  maxBodyBytes: number;
  /** HTTP: time a client has to send a request's headers. */
  httpHeadersTimeoutMs: number;
  /** HTTP: time a client has to send a whole request, body included (uploads too); 0 = no limit. */
  httpRequestTimeoutMs: number;
  /** HTTP: a connection with no bytes either way for this long is closed (at least the long-poll hold + 1 s); 0 = never. */
  httpIdleTimeoutMs: number;
  /** Open HTTP requests plus WebSockets one client address may hold at once; 0 = no cap. */
  maxConnectionsPerAddress: number;
  /** Whether X-Forwarded-For/-Proto/-Host are believed: false, true (any proxy) or the number of proxy hops. */
  trustProxy: boolean | number;
  /** Browser origins allowed besides the server's own, for CORS and WebSocket upgrades (`*` = any). */
  allowedOrigins: string[];
  contentSecurityPolicy: string;
  /** Strict-Transport-Security max-age sent over HTTPS; 0 sends none. */
  hstsMaxAgeSeconds: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
}

export const HTTP_VARS: ConfigVars<HttpConfig> = {
  maxBodyBytes: {
    env: "PARLEY_MAX_BODY_BYTES",
    default: 1_048_576,
    description: "Largest HTTP request body.",
    parse: int(1024, 1_073_741_824),
  },
  httpHeadersTimeoutMs: {
    env: "PARLEY_HTTP_HEADERS_TIMEOUT_MS",
    default: 20_000,
    description: "Time a client has to send the headers of an HTTP request; then it is answered 408 and disconnected.",
    parse: int(100, 600_000),
  },
  httpRequestTimeoutMs: {
    env: "PARLEY_HTTP_REQUEST_TIMEOUT_MS",
    default: 300_000,
    description:
      "Time a client has to send a whole HTTP request, body included (uploads too: raise it for large uploads over slow links); then 408 and disconnected. `0` = no limit. Not the time to answer: held long polls and WebSockets are not affected.",
    parse: zeroOr(int(100, 86_400_000)),
  },
  httpIdleTimeoutMs: {
    env: "PARLEY_HTTP_IDLE_TIMEOUT_MS",
    default: 60_000,
    description:
      "An HTTP connection with no bytes sent either way for this long is closed (a stalled body, an unread answer); never less than `PARLEY_LONG_POLL_HOLD_MS` + 1 s, so that held polls are not cut. WebSockets have heartbeats instead. `0` = never.",
    parse: zeroOr(int(1000, 3_600_000)),
  },
  maxConnectionsPerAddress: {
    env: "PARLEY_MAX_CONNECTIONS_PER_ADDRESS",
    default: 100,
    description:
      "HTTP requests in progress plus open WebSockets one client address (IPv6: its /64; behind proxies: the address `PARLEY_TRUST_PROXY` yields) may hold at once; more are refused with 429 `rate_limited`. Raise it when many users share one address (NAT). `0` = no cap.",
    parse: int(0, 1_000_000),
  },
  trustProxy: {
    env: "PARLEY_TRUST_PROXY",
    default: false,
    description:
      "Behind a reverse proxy: `true` (or the number of proxies) to take the client address and scheme from X-Forwarded-For/-Proto.",
    parse: (raw, env) => (/^\d+$/.test(raw.trim()) ? int(0, 100)(raw, env) : bool(raw, env)),
  },
  allowedOrigins: {
    env: "PARLEY_ALLOWED_ORIGINS",
    default: [],
    description: "Comma-separated browser origins allowed besides the server's own (CORS and WebSocket), or `*`.",
    parse: origins,
  },
  contentSecurityPolicy: {
    env: "PARLEY_CSP",
    default: DEFAULT_CSP,
    description: "Content-Security-Policy header (default: same-origin scripts and connections, no framing).",
    parse: nonEmpty,
  },
  hstsMaxAgeSeconds: {
    env: "PARLEY_HSTS_MAX_AGE",
    default: 15_552_000,
    description: "Strict-Transport-Security max-age (seconds) sent over HTTPS; 0 disables.",
    parse: int(0, 63_072_000),
  },
  tlsCert: {
    env: "PARLEY_TLS_CERT",
    default: undefined,
    description: "Path of a PEM certificate (chain): serve HTTPS and WSS (with `PARLEY_TLS_KEY`).",
    parse: nonEmpty,
  },
  tlsKey: {
    env: "PARLEY_TLS_KEY",
    default: undefined,
    description: "Path of the PEM private key for `PARLEY_TLS_CERT`.",
    parse: nonEmpty,
  },
};

/** The HTTP settings that depend on each other. */
export function checkHttp(config: HttpConfig): void {
  bothOrNeither([config.tlsCert, "PARLEY_TLS_CERT"], [config.tlsKey, "PARLEY_TLS_KEY"]);
  if (config.httpRequestTimeoutMs > 0 && config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    throw new ConfigError("PARLEY_HTTP_HEADERS_TIMEOUT_MS", "must not exceed PARLEY_HTTP_REQUEST_TIMEOUT_MS");
  }
}
