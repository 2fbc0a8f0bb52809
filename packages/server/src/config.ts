// Reads and validates configuration from environment variables; a bad value stops start-up naming the variable.

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
  heartbeatIntervalMs: number;
  helloTimeoutMs: number;
  typingTimeoutMs: number;
  presenceGraceMs: number;
  receiptFlushMs: number;
  wsCompression: boolean;
  sqliteSynchronous: "full" | "normal";
  /** Upper bound on HTTP request bodies. */
  maxBodyBytes: number;
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

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** Every variable, its default and meaning: the README's configuration table is generated from this list. */
export const CONFIG_VARS: { [K in keyof Config]: VarSpec<Config[K]> } = {
  host: { env: "PARLEY_HOST", default: "0.0.0.0", description: "Address to listen on.", parse: nonEmpty },
  port: { env: "PARLEY_PORT", default: 8080, description: "HTTP and WebSocket port (0 picks a free one).", parse: int(0, 65535) },
  dataDir: {
    env: "PARLEY_DATA_DIR",
    default: "./data",
    description: "Directory for the SQLite database and generated secrets.",
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
  maxBodyBytes: {
    env: "PARLEY_MAX_BODY_BYTES",
    default: 1_048_576,
    description: "Largest HTTP request body.",
    parse: int(1024, 1_073_741_824),
  },
};

/** Builds the configuration from `env`, then applies `overrides` (used by tests and embedders). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const config = {} as Record<string, unknown>;
  for (const [key, spec] of Object.entries(CONFIG_VARS) as [keyof Config, VarSpec<unknown>][]) {
    const raw = env[spec.env];
    config[key] = raw === undefined || raw === "" ? spec.default : spec.parse(raw, spec.env);
  }
  return { ...(config as unknown as Config), ...overrides };
}
