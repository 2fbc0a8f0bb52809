// Reads and validates configuration from environment variables; a bad value stops start-up naming the variable.

import { parseRateRule, type RateRule } from "./ports/rate-limiter.js";

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  /** HMAC secret for access tokens; generated into `<dataDir>/jwt-secret` on first start when not given. */
  jwtSecret: string | undefined;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  maxMessageBytes: number;
  maxFrameBytes: number;
  maxBufferedBytes: number;
  maxGroupMembers: number;
  historyPageMax: number;
  syncPageMax: number;
  /** Most conversations a user can be a current member of (security review #2: forced membership). */
  maxConversationsPerUser: number;
  /** Most groups one user can create in 24 hours. */
  maxGroupsPerDay: number;
  /** Most conversations in one `conversations.list` page and one `sync` page. */
  conversationPageMax: number;
  /** Who may add a user to groups while the user has not chosen (`settings.groupAdds`). */
  groupAddsDefault: "everyone" | "contacts" | "nobody";
  heartbeatIntervalMs: number;
  helloTimeoutMs: number;
  typingTimeoutMs: number;
  presenceGraceMs: number;
  receiptFlushMs: number;
  wsCompression: boolean;
  sqliteSynchronous: "full" | "normal";
  /** Encryption at rest of the embedded store and media (32-byte key, hex or base64); unset with its file: off. */
  encryptionKey: string | undefined;
  /** Path of a file holding that key (the same formats); the usual way to give it. */
  encryptionKeyFile: string | undefined;
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
  /** Long polling: how long a poll with nothing to deliver is held open before it is answered empty. */
  longPollHoldMs: number;
  /** Long polling: a session with no poll for this long is closed like a WebSocket that missed its heartbeats. */
  longPollExpiryMs: number;
  /** Rate limits (token buckets, `null` = off); see services/rate-limits.ts for which requests draw from which. */
  rateRequests: RateRule | null;
  rateMessages: RateRule | null;
  rateTyping: RateRule | null;
  rateReceipts: RateRule | null;
  rateAuthIp: RateRule | null;
  rateRegisterIp: RateRule | null;
  rateConnectIp: RateRule | null;
  loginLockoutThreshold: number;
  loginLockoutMs: number;
  loginLockoutMaxMs: number;
  /** Whether X-Forwarded-For/-Proto/-Host are believed: false, true (any proxy) or the number of proxy hops. */
  trustProxy: boolean | number;
  /** Browser origins allowed besides the server's own, for CORS and WebSocket upgrades (`*` = any). */
  allowedOrigins: string[];
  contentSecurityPolicy: string;
  /** Strict-Transport-Security max-age sent over HTTPS; 0 sends none. */
  hstsMaxAgeSeconds: number;
  tlsCert: string | undefined;
  tlsKey: string | undefined;
  metricsEnabled: boolean;
  /** When set, `/metrics` requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
  /** PostgreSQL connection URL; when set, the PostgreSQL store replaces SQLite (cluster mode). */
  databaseUrl: string | undefined;
  /** PostgreSQL schema holding Parley's tables (created and migrated on start); undefined: the search_path. */
  databaseSchema: string | undefined;
  databasePoolSize: number;
  /** Redis URL; when set, the Redis bus and presence replace the in-process ones (cluster mode). */
  redisUrl: string | undefined;
  /** Names this deployment's Redis keys and channels (`parley:<prefix>:…`), so deployments can share a Redis. */
  clusterPrefix: string;
  /** This node's name in presence entries and logs; random when unset. */
  nodeId: string | undefined;
  /** A device whose node stopped refreshing it for this long no longer counts as online (cluster mode). */
  presenceTtlMs: number;
  /** How long after sending its author may edit a message; 0 = no limit. */
  editWindowMs: number;
  /** How long after sending its author may delete a message for everyone (group admins: no limit); 0 = no limit. */
  deleteWindowMs: number;
  /** Distinct reaction emojis one message may carry. */
  maxReactionsPerMessage: number;
  /** Push notifications (services/push/): off sends none and refuses subscriptions. */
  pushEnabled: boolean;
  /** VAPID key pair (base64url); generated on first start into the data directory (or the shared store) when unset. */
  vapidPublicKey: string | undefined;
  vapidPrivateKey: string | undefined;
  /** Contact for push services (`mailto:` or `https:` URL), sent in the VAPID token. */
  vapidSubject: string;
  /** Messages for one user in one conversation within this window become one notification with a count. */
  pushCoalesceMs: number;
  /** Time a push notification may wait in the push service for an offline device. */
  pushTtlSeconds: number;
  /** Delivery attempts per notification and subscription (429, 5xx, network errors retry with backoff). */
  pushMaxAttempts: number;
  /** First retry delay; doubled per attempt, with jitter. */
  pushRetryBaseMs: number;
  /** Allow http:// endpoints and private, loopback and link-local addresses (development and tests only). */
  pushAllowPrivateEndpoints: boolean;
  /** Media: largest upload in bytes (streamed; the request is cut off when it passes this). */
  maxUploadBytes: number;
  /** Media: images with more pixels than this are refused (decompression bombs). */
  maxImagePixels: number;
  /** Media: image decodes (thumbnails, metadata removal) running at once on a node; others wait. */
  imageDecodeConcurrency: number;
  /** Media: keep EXIF/XMP/IPTC metadata (GPS position included) in stored image originals. */
  keepImageMetadata: boolean;
  /** `POST /v1/uploads` and `uploads.complete` per user, on top of `rateRequests`. */
  rateUploads: RateRule | null;
  /** Media: lifetime of signed download URLs. */
  fileUrlTtlSeconds: number;
  /** Media: HMAC secret of download URLs; derived from the token secret when unset. */
  fileUrlSecret: string | undefined;
  /** Media: an upload that no message references is deleted after this long. */
  uploadTtlMs: number;
  /** Media: how often a node sweeps unreferenced uploads and blobs (0 = never). */
  uploadSweepIntervalMs: number;
  /** Media: S3 bucket; when set, blobs live in S3 instead of `<dataDir>/media`. */
  s3Bucket: string | undefined;
  s3Endpoint: string | undefined;
  s3Region: string;
  s3ForcePathStyle: boolean;
  s3AccessKeyId: string | undefined;
  s3SecretAccessKey: string | undefined;
  /** `messages.search` per user, on top of `rateRequests`: a search costs far more than other reads. */
  rateSearch: RateRule | null;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = "ConfigError";
  }
}

interface VarSpec<T> {
  env: string;
  default: T;
  description: string;
  parse: (raw: string, env: string) => T;
}

function int(min: number, max: number) {
  return (raw: string, env: string): number => {
    if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(env, `expected an integer, got "${raw}"`);
    const n = Number(raw);
    if (n < min || n > max) throw new ConfigError(env, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };
}

function bool(raw: string, env: string): boolean {
  const v = raw.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(env, `expected true or false, got "${raw}"`);
}

function nonEmpty(raw: string, env: string): string {
  if (raw.trim() === "") throw new ConfigError(env, "must not be empty");
  return raw.trim();
}

function rate(raw: string, env: string): RateRule | null {
  try {
    return parseRateRule(raw);
  } catch (error) {
    throw new ConfigError(env, (error as Error).message);
  }
}

function origins(raw: string, env: string): string[] {
  const list = raw
    .split(",")
    .map((o) => o.trim())
    .filter((o) => o !== "");
  for (const o of list) {
    if (o === "*") continue;
    let url: URL;
    try {
      url = new URL(o);
    } catch {
      throw new ConfigError(env, `"${o}" is not an origin such as https://chat.example.com`);
    }
    if (url.origin !== o.replace(/\/$/, ""))
      throw new ConfigError(env, `"${o}" is not an origin (scheme://host[:port], no path)`);
  }
  return list.map((o) => (o === "*" ? o : new URL(o).origin));
}

/** The Content-Security-Policy for the web app: scripts only from this origin, WebSockets to it, no framing. */
export const DEFAULT_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** A name safe in Redis keys, presence entries and SQL identifiers. */
function identifier(maxLength: number) {
  return (raw: string, env: string): string => {
    const v = raw.trim();
    if (!/^[A-Za-z0-9_.-]+$/.test(v) || v.length > maxLength) {
      throw new ConfigError(env, `use 1 to ${maxLength} letters, digits, "_", "-" or ".", got "${raw}"`);
    }
    return v;
  };
}

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Every variable, its default and meaning: the README's configuration table is generated from this list. */
export const CONFIG_VARS: { [K in keyof Config]: VarSpec<Config[K]> } = {
  host: { env: "PARLEY_HOST", default: "0.0.0.0", description: "Address to listen on.", parse: nonEmpty },
  port: { env: "PARLEY_PORT", default: 8080, description: "HTTP and WebSocket port (0 picks a free one).", parse: int(0, 65535) },
  dataDir: {
    env: "PARLEY_DATA_DIR",
    default: "./data",
    description:
      "Directory for the SQLite database, generated secrets (token secret, VAPID keys) and uploaded files (`media/`, unless `PARLEY_S3_BUCKET` is set).",
    parse: nonEmpty,
  },
  logLevel: {
    env: "PARLEY_LOG_LEVEL",
    default: "info",
    description: "fatal, error, warn, info, debug, trace or silent.",
    parse: (raw, env) => {
      const v = raw.trim() as Config["logLevel"];
      if (!LOG_LEVELS.includes(v)) throw new ConfigError(env, `must be one of ${LOG_LEVELS.join(", ")}, got "${raw}"`);
      return v;
    },
  },
  jwtSecret: {
    env: "PARLEY_JWT_SECRET",
    default: undefined,
    description: "Secret (≥ 32 characters) that signs access tokens; generated into the data directory when unset.",
    parse: (raw, env) => {
      if (raw.length < 32) throw new ConfigError(env, "must be at least 32 characters");
      return raw;
    },
  },
  accessTokenTtlSeconds: {
    env: "PARLEY_ACCESS_TOKEN_TTL",
    default: 900,
    description: "Access token lifetime in seconds.",
    parse: int(10, 86_400),
  },
  refreshTokenTtlSeconds: {
    env: "PARLEY_REFRESH_TOKEN_TTL",
    default: 30 * 86_400,
    description: "Refresh token (device session) lifetime in seconds, renewed on every refresh.",
    parse: int(60, 365 * 86_400),
  },
  maxMessageBytes: {
    env: "PARLEY_MAX_MESSAGE_BYTES",
    default: 16_384,
    description: "Largest text message body, in UTF-8 bytes.",
    parse: int(1, 1_048_576),
  },
  maxFrameBytes: {
    env: "PARLEY_MAX_FRAME_BYTES",
    default: 65_536,
    description: "Largest WebSocket frame a client may send; larger closes the connection (1009).",
    parse: int(1024, 16_777_216),
  },
  maxBufferedBytes: {
    env: "PARLEY_MAX_BUFFERED_BYTES",
    default: 1_048_576,
    description: "Per-connection send buffer; a client that lets it fill is disconnected as a slow consumer (4000).",
    parse: int(1024, 268_435_456),
  },
  maxGroupMembers: { env: "PARLEY_MAX_GROUP_MEMBERS", default: 500, description: "Largest group size.", parse: int(2, 100_000) },
  historyPageMax: { env: "PARLEY_HISTORY_PAGE_MAX", default: 200, description: "Largest history page.", parse: int(1, 1000) },
  syncPageMax: {
    env: "PARLEY_SYNC_PAGE_MAX",
    default: 1000,
    description: "Most messages in one sync answer.",
    parse: int(1, 5000),
  },
  maxConversationsPerUser: {
    env: "PARLEY_MAX_CONVERSATIONS_PER_USER",
    default: 1000,
    description:
      "Most conversations a user can be a current member of; adding (or opening a chat with) a user at the limit fails.",
    parse: int(1, 1_000_000),
  },
  maxGroupsPerDay: {
    env: "PARLEY_MAX_GROUPS_PER_DAY",
    default: 100,
    description: "Most groups one user can create in any 24 hours.",
    parse: int(1, 1_000_000),
  },
  conversationPageMax: {
    env: "PARLEY_CONVERSATION_PAGE_MAX",
    default: 200,
    description: "Most conversations in one `conversations.list` page and one `sync` page.",
    parse: int(1, 1000),
  },
  groupAddsDefault: {
    env: "PARLEY_GROUP_ADDS_DEFAULT",
    default: "everyone",
    description: "Who may add a user to groups until the user chooses (`everyone`, `contacts` or `nobody`).",
    parse: (raw, env) => {
      const v = raw.trim().toLowerCase();
      if (v === "everyone" || v === "contacts" || v === "nobody") return v;
      throw new ConfigError(env, `must be everyone, contacts or nobody, got "${raw}"`);
    },
  },
  heartbeatIntervalMs: {
    env: "PARLEY_HEARTBEAT_INTERVAL_MS",
    default: 25_000,
    description: "Interval of server pings; a connection that answers none between two pings is closed (4001).",
    parse: int(100, 600_000),
  },
  helloTimeoutMs: {
    env: "PARLEY_HELLO_TIMEOUT_MS",
    default: 10_000,
    description: "Time a new WebSocket has to send `hello` (4002).",
    parse: int(100, 600_000),
  },
  typingTimeoutMs: {
    env: "PARLEY_TYPING_TIMEOUT_MS",
    default: 6000,
    description: "A typing indicator not refreshed for this long stops by itself.",
    parse: int(100, 60_000),
  },
  presenceGraceMs: {
    env: "PARLEY_PRESENCE_GRACE_MS",
    default: 5000,
    description: "Delay before a user whose last device disconnected is announced offline.",
    parse: int(0, 600_000),
  },
  receiptFlushMs: {
    env: "PARLEY_RECEIPT_FLUSH_MS",
    default: 50,
    description: "Receipts are written and announced in batches at most this often.",
    parse: int(0, 10_000),
  },
  wsCompression: {
    env: "PARLEY_WS_COMPRESSION",
    default: false,
    description: "Offer permessage-deflate on WebSockets (costs memory per connection).",
    parse: bool,
  },
  sqliteSynchronous: {
    env: "PARLEY_SQLITE_SYNCHRONOUS",
    default: "full",
    description:
      "`full`: every acknowledged message is fsynced (survives power loss); `normal`: survives crashes of Parley, not of the machine.",
    parse: (raw, env) => {
      const v = raw.trim().toLowerCase();
      if (v !== "full" && v !== "normal") throw new ConfigError(env, `must be full or normal, got "${raw}"`);
      return v;
    },
  },
  encryptionKey: {
    env: "PARLEY_ENCRYPTION_KEY",
    default: undefined,
    description:
      "Turns on encryption at rest (embedded mode): the SQLite database and `media/` are encrypted with this 32-byte key, as 64 hex digits or base64 (`openssl rand -hex 32`). Prefer `PARLEY_ENCRYPTION_KEY_FILE`; see docs/security.md §3.10.",
    parse: nonEmpty,
  },
  encryptionKeyFile: {
    env: "PARLEY_ENCRYPTION_KEY_FILE",
    default: undefined,
    description:
      "Path of a file holding the encryption-at-rest key (same format); turns encryption on like `PARLEY_ENCRYPTION_KEY`, not both.",
    parse: nonEmpty,
  },
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
    parse: (raw, env) => (raw.trim() === "0" ? 0 : int(100, 86_400_000)(raw, env)),
  },
  httpIdleTimeoutMs: {
    env: "PARLEY_HTTP_IDLE_TIMEOUT_MS",
    default: 60_000,
    description:
      "An HTTP connection with no bytes sent either way for this long is closed (a stalled body, an unread answer); never less than `PARLEY_LONG_POLL_HOLD_MS` + 1 s, so that held polls are not cut. WebSockets have heartbeats instead. `0` = never.",
    parse: (raw, env) => (raw.trim() === "0" ? 0 : int(1000, 3_600_000)(raw, env)),
  },
  maxConnectionsPerAddress: {
    env: "PARLEY_MAX_CONNECTIONS_PER_ADDRESS",
    default: 100,
    description:
      "HTTP requests in progress plus open WebSockets one client address (IPv6: its /64; behind proxies: the address `PARLEY_TRUST_PROXY` yields) may hold at once; more are refused with 429 `rate_limited`. Raise it when many users share one address (NAT). `0` = no cap.",
    parse: int(0, 1_000_000),
  },
  longPollHoldMs: {
    env: "PARLEY_LONG_POLL_HOLD_MS",
    default: 25_000,
    description: "Long polling: how long a poll waits for frames before it is answered empty.",
    parse: int(100, 120_000),
  },
  longPollExpiryMs: {
    env: "PARLEY_LONG_POLL_EXPIRY_MS",
    default: 45_000,
    description: "Long polling: a session that sends no poll for this long is closed (4001) and its user's devices counted down.",
    parse: int(100, 600_000),
  },
  rateRequests: {
    env: "PARLEY_RATE_REQUESTS",
    default: { capacity: 300, windowMs: 10_000 },
    description: "Requests per user, every operation on every transport (`<count>/<window>` or `off`).",
    parse: rate,
  },
  rateMessages: {
    env: "PARLEY_RATE_MESSAGES",
    default: { capacity: 200, windowMs: 20_000 },
    description: "`messages.send` per user.",
    parse: rate,
  },
  rateTyping: {
    env: "PARLEY_RATE_TYPING",
    default: { capacity: 30, windowMs: 10_000 },
    description: "`typing` per user.",
    parse: rate,
  },
  rateReceipts: {
    env: "PARLEY_RATE_RECEIPTS",
    default: { capacity: 300, windowMs: 10_000 },
    description: "`receipts.mark` per user.",
    parse: rate,
  },
  rateAuthIp: {
    env: "PARLEY_RATE_AUTH_IP",
    default: { capacity: 30, windowMs: 60_000 },
    description: "`auth.login`, `auth.register` and `auth.refresh` per client address.",
    parse: rate,
  },
  rateRegisterIp: {
    env: "PARLEY_RATE_REGISTER_IP",
    default: { capacity: 20, windowMs: 3_600_000 },
    description: "`auth.register` per client address.",
    parse: rate,
  },
  rateConnectIp: {
    env: "PARLEY_RATE_CONNECT_IP",
    default: { capacity: 120, windowMs: 60_000 },
    description: "WebSocket connections and long-poll sessions opened per client address.",
    parse: rate,
  },
  loginLockoutThreshold: {
    env: "PARLEY_LOGIN_LOCKOUT_THRESHOLD",
    default: 5,
    description: "Failed logins of one username before it is locked out (0 = no lockout).",
    parse: int(0, 1000),
  },
  loginLockoutMs: {
    env: "PARLEY_LOGIN_LOCKOUT_MS",
    default: 30_000,
    description: "First lockout; each further failure doubles it.",
    parse: int(1, 86_400_000),
  },
  loginLockoutMaxMs: {
    env: "PARLEY_LOGIN_LOCKOUT_MAX_MS",
    default: 900_000,
    description: "Longest lockout.",
    parse: int(1, 86_400_000),
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
  metricsEnabled: {
    env: "PARLEY_METRICS",
    default: true,
    description: "Serve Prometheus metrics at `/metrics`.",
    parse: bool,
  },
  metricsToken: {
    env: "PARLEY_METRICS_TOKEN",
    default: undefined,
    description: "When set, `/metrics` requires `Authorization: Bearer <token>`.",
    parse: (raw, env) => {
      if (raw.trim().length < 16) throw new ConfigError(env, "must be at least 16 characters");
      return raw.trim();
    },
  },
  databaseUrl: {
    env: "PARLEY_DATABASE_URL",
    default: undefined,
    description:
      "PostgreSQL URL (`postgres://user:pass@host:5432/db`); when set, PostgreSQL is the store instead of SQLite. Required with `PARLEY_REDIS_URL`.",
    parse: (raw, env) => {
      const v = raw.trim();
      if (!/^postgres(ql)?:\/\//.test(v)) throw new ConfigError(env, "expected a postgres:// or postgresql:// URL");
      return v;
    },
  },
  databaseSchema: {
    env: "PARLEY_DATABASE_SCHEMA",
    default: undefined,
    description:
      "PostgreSQL schema for Parley's tables, created and migrated at start-up (`[a-z_][a-z0-9_]*`); unset: the connection's search_path (usually `public`).",
    parse: (raw, env) => {
      const v = raw.trim();
      if (!/^[a-z_][a-z0-9_]{0,62}$/.test(v))
        throw new ConfigError(env, `use lower-case letters, digits and "_" (not first), got "${raw}"`);
      return v;
    },
  },
  databasePoolSize: {
    env: "PARLEY_DATABASE_POOL_SIZE",
    default: 10,
    description: "PostgreSQL connections per node.",
    parse: int(1, 1000),
  },
  redisUrl: {
    env: "PARLEY_REDIS_URL",
    default: undefined,
    description:
      "Redis URL (`redis://[:password@]host:6379[/db]`); when set, Redis carries the bus and presence between nodes (cluster mode).",
    parse: (raw, env) => {
      const v = raw.trim();
      if (!/^rediss?:\/\//.test(v)) throw new ConfigError(env, "expected a redis:// or rediss:// URL");
      return v;
    },
  },
  clusterPrefix: {
    env: "PARLEY_CLUSTER_PREFIX",
    default: "main",
    description: "Deployment name in Redis keys and channels (`parley:<prefix>:…`); nodes of one deployment share it.",
    parse: identifier(64),
  },
  nodeId: {
    env: "PARLEY_NODE_ID",
    default: undefined,
    description: "This node's name in presence entries and logs (letters, digits, `_`, `-`, `.`); random when unset.",
    parse: identifier(64),
  },
  presenceTtlMs: {
    env: "PARLEY_PRESENCE_TTL_MS",
    default: 30_000,
    description:
      "Cluster mode: a node refreshes its devices' presence every third of this; the devices of a node that stops doing so (crash) count as offline after it.",
    parse: int(300, 600_000),
  },
  editWindowMs: {
    env: "PARLEY_EDIT_WINDOW_MS",
    default: 172_800_000,
    description: "How long after sending the author may edit a message (default 48 h); `0` = no limit.",
    parse: int(0, 31_536_000_000),
  },
  deleteWindowMs: {
    env: "PARLEY_DELETE_WINDOW_MS",
    default: 172_800_000,
    description:
      "How long after sending the author may delete a message for everyone (default 48 h; group admins and owners have no limit); `0` = no limit.",
    parse: int(0, 31_536_000_000),
  },
  maxReactionsPerMessage: {
    env: "PARLEY_MAX_REACTIONS_PER_MESSAGE",
    default: 20,
    description: "Distinct reaction emojis one message may carry.",
    parse: int(1, 1000),
  },
  pushEnabled: {
    env: "PARLEY_PUSH",
    default: true,
    description: "Send push notifications to users with no online device (Web Push); `false` refuses subscriptions.",
    parse: bool,
  },
  vapidPublicKey: {
    env: "PARLEY_VAPID_PUBLIC_KEY",
    default: undefined,
    description:
      "Web Push VAPID public key (base64url, with `PARLEY_VAPID_PRIVATE_KEY`); unset: generated on first start into the data directory, or the shared store in cluster mode.",
    parse: base64Url,
  },
  vapidPrivateKey: {
    env: "PARLEY_VAPID_PRIVATE_KEY",
    default: undefined,
    description: "Web Push VAPID private key (base64url) for `PARLEY_VAPID_PUBLIC_KEY`.",
    parse: base64Url,
  },
  vapidSubject: {
    env: "PARLEY_VAPID_SUBJECT",
    default: "mailto:admin@parley.invalid",
    description: "Contact for push services in the VAPID token: a `mailto:` address or `https:` URL of the operator.",
    parse: (raw, env) => {
      const v = raw.trim();
      if (!/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/.test(v))
        throw new ConfigError(env, "expected a mailto: address or an https: URL");
      return v;
    },
  },
  pushCoalesceMs: {
    env: "PARLEY_PUSH_COALESCE_MS",
    default: 3000,
    description: "Messages to one user in one conversation within this window become one notification with a count.",
    parse: int(0, 600_000),
  },
  pushTtlSeconds: {
    env: "PARLEY_PUSH_TTL",
    default: 86_400,
    description: "How long (seconds) a push service keeps a notification for a device that is off.",
    parse: int(0, 2_419_200),
  },
  pushMaxAttempts: {
    env: "PARLEY_PUSH_MAX_ATTEMPTS",
    default: 5,
    description: "Delivery attempts per notification and device; 429, 5xx and network errors are retried with backoff.",
    parse: int(1, 20),
  },
  pushRetryBaseMs: {
    env: "PARLEY_PUSH_RETRY_BASE_MS",
    default: 1000,
    description: "First push retry delay in ms, doubled per attempt with ±50% jitter (a `Retry-After` wins).",
    parse: int(1, 600_000),
  },
  pushAllowPrivateEndpoints: {
    env: "PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS",
    default: false,
    description:
      "Accept http:// push endpoints and private, loopback or link-local addresses (development and tests only; never in production).",
    parse: bool,
  },
  maxUploadBytes: {
    env: "PARLEY_MAX_UPLOAD_BYTES",
    default: 26_214_400,
    description: "Largest file upload (`POST /v1/uploads`) in bytes; the upload is cut off with 413 as soon as it passes this.",
    parse: int(1, 10_737_418_240),
  },
  maxImagePixels: {
    env: "PARLEY_MAX_IMAGE_PIXELS",
    default: 25_000_000,
    description:
      "Images with more pixels (width × height) than this are refused (decompression bombs); the default takes 24-MP photos and 5K screenshots. Images over 4 MP must also bring at least one byte per 400 pixels (`suspicious_image`).",
    parse: int(1, 1_000_000_000),
  },
  imageDecodeConcurrency: {
    env: "PARLEY_IMAGE_DECODE_CONCURRENCY",
    default: 2,
    description:
      "Image decodes (thumbnail, metadata removal) running at once on a node; further uploads wait their turn, so images never take all of the thread pool that password hashing shares.",
    parse: int(1, 64),
  },
  keepImageMetadata: {
    env: "PARLEY_KEEP_IMAGE_METADATA",
    default: false,
    description:
      "Keep EXIF, XMP and IPTC metadata (GPS position, camera serial numbers) in stored JPEG, PNG and WebP originals. Off: removed at upload, the orientation kept.",
    parse: bool,
  },
  fileUrlTtlSeconds: {
    env: "PARLEY_FILE_URL_TTL_SECONDS",
    default: 900,
    description: "Lifetime of signed download URLs handed out by `files.sign`.",
    parse: int(5, 7 * 24 * 3600),
  },
  fileUrlSecret: {
    env: "PARLEY_FILE_URL_SECRET",
    default: undefined,
    description:
      "HMAC secret of download URLs (≥ 32 characters); derived from the token secret when unset. Cluster nodes must agree (they do when `PARLEY_JWT_SECRET` is shared).",
    parse: (raw, env) => {
      if (raw.trim().length < 32) throw new ConfigError(env, "must be at least 32 characters");
      return raw.trim();
    },
  },
  uploadTtlMs: {
    env: "PARLEY_UPLOAD_TTL_MS",
    default: 86_400_000,
    description: "An upload that no message references is deleted this long after it was made (its blob too, once unused).",
    parse: int(1000, 365 * 86_400_000),
  },
  uploadSweepIntervalMs: {
    env: "PARLEY_UPLOAD_SWEEP_INTERVAL_MS",
    default: 600_000,
    description: "How often each node deletes expired unreferenced uploads and unused blobs (`0` = never).",
    parse: int(0, 86_400_000),
  },
  s3Bucket: {
    env: "PARLEY_S3_BUCKET",
    default: undefined,
    description: "When set, media blobs are stored in this S3 bucket instead of `<dataDir>/media` (needed for clusters).",
    parse: nonEmpty,
  },
  s3Endpoint: {
    env: "PARLEY_S3_ENDPOINT",
    default: undefined,
    description: "S3-compatible endpoint URL (MinIO, Ceph, R2…); unset: AWS.",
    parse: nonEmpty,
  },
  s3Region: {
    env: "PARLEY_S3_REGION",
    default: "us-east-1",
    description: "S3 region.",
    parse: nonEmpty,
  },
  s3ForcePathStyle: {
    env: "PARLEY_S3_FORCE_PATH_STYLE",
    default: false,
    description: "Address buckets as `<endpoint>/<bucket>` rather than `<bucket>.<endpoint>` (most S3-compatible servers).",
    parse: bool,
  },
  s3AccessKeyId: {
    env: "PARLEY_S3_ACCESS_KEY_ID",
    default: undefined,
    description: "S3 access key; unset: the AWS SDK's default credential chain (environment, instance role).",
    parse: nonEmpty,
  },
  s3SecretAccessKey: {
    env: "PARLEY_S3_SECRET_ACCESS_KEY",
    default: undefined,
    description: "S3 secret key (with `PARLEY_S3_ACCESS_KEY_ID`).",
    parse: nonEmpty,
  },
  rateUploads: {
    env: "PARLEY_RATE_UPLOADS",
    default: { capacity: 30, windowMs: 60_000 },
    description: "`POST /v1/uploads` and `uploads.complete` per user (each also counts as a request).",
    parse: rate,
  },
  rateSearch: {
    env: "PARLEY_RATE_SEARCH",
    default: { capacity: 30, windowMs: 10_000 },
    description: "`messages.search` per user (each search also counts as a request).",
    parse: rate,
  },
};

function base64Url(raw: string, env: string): string {
  const v = raw.trim();
  if (!/^[A-Za-z0-9_-]+=*$/.test(v)) throw new ConfigError(env, "expected a base64url string");
  return v;
}

/** Builds the configuration from `env`, then applies `overrides` (used by tests and embedders). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const config = {} as Record<string, unknown>;
  for (const [key, spec] of Object.entries(CONFIG_VARS) as [keyof Config, VarSpec<unknown>][]) {
    const raw = env[spec.env];
    config[key] = raw === undefined || raw === "" ? spec.default : spec.parse(raw, spec.env);
  }
  const result = { ...(config as unknown as Config), ...overrides };
  if ((result.tlsCert === undefined) !== (result.tlsKey === undefined)) {
    throw new ConfigError(
      result.tlsCert === undefined ? "PARLEY_TLS_CERT" : "PARLEY_TLS_KEY",
      "set both PARLEY_TLS_CERT and PARLEY_TLS_KEY",
    );
  }
  if (result.httpRequestTimeoutMs > 0 && result.httpHeadersTimeoutMs > result.httpRequestTimeoutMs) {
    throw new ConfigError("PARLEY_HTTP_HEADERS_TIMEOUT_MS", "must not exceed PARLEY_HTTP_REQUEST_TIMEOUT_MS");
  }
  if ((result.vapidPublicKey === undefined) !== (result.vapidPrivateKey === undefined)) {
    throw new ConfigError(
      result.vapidPublicKey === undefined ? "PARLEY_VAPID_PUBLIC_KEY" : "PARLEY_VAPID_PRIVATE_KEY",
      "set both PARLEY_VAPID_PUBLIC_KEY and PARLEY_VAPID_PRIVATE_KEY",
    );
  }
  return result;
}
