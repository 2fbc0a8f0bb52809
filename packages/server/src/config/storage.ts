// The engines: SQLite durability and encryption at rest, or PostgreSQL and Redis for a cluster, and how nodes of a
// cluster name themselves.

import { type ConfigVars, identifier, int, matching, nonEmpty, oneOf } from "./parse.js";

export interface StorageConfig {
  sqliteSynchronous: "full" | "normal";
  /**
   * Group commit: the shortest time between two commits of the conversation log, in ms (0: one per event-loop turn);
   * undefined: the store's default (`defaultCommitWindowMs` of the MessageStore port).
   */
  commitWindowMs: number | undefined;
  /** Encryption at rest of the embedded store and media (32-byte key, hex or base64); unset with its file: off. */
  encryptionKey: string | undefined;
  /** Path of a file holding that key (the same formats); the usual way to give it. */
  encryptionKeyFile: string | undefined;
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
}

export const STORAGE_VARS: ConfigVars<StorageConfig> = {
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
  sqliteSynchronous: {
    env: "PARLEY_SQLITE_SYNCHRONOUS",
    default: "full",
    description:
      "`full`: every acknowledged message is fsynced (survives power loss); `normal`: survives crashes of Parley, not of the machine.",
    parse: oneOf(["full", "normal"], { caseInsensitive: true }),
  },
  commitWindowMs: {
    env: "PARLEY_COMMIT_WINDOW_MS",
    default: undefined,
    description:
      "Group commit window: a busy server commits at most once per this many ms, more messages per commit (less CPU per message, up to this much more latency); a quiet one commits every send at once. `0`: one commit per event-loop turn. Unset: `0` with SQLite, `5` with PostgreSQL (where each commit is a round trip).",
    parse: int(0, 50),
  },
  databaseUrl: {
    env: "PARLEY_DATABASE_URL",
    default: undefined,
    description:
      "PostgreSQL URL (`postgres://user:pass@host:5432/db`); when set, PostgreSQL is the store instead of SQLite. Required with `PARLEY_REDIS_URL`.",
    parse: matching(/^postgres(ql)?:\/\//, "expected a postgres:// or postgresql:// URL"),
  },
  databaseSchema: {
    env: "PARLEY_DATABASE_SCHEMA",
    default: undefined,
    description:
      "PostgreSQL schema for Parley's tables, created and migrated at start-up (`[a-z_][a-z0-9_]*`); unset: the connection's search_path (usually `public`).",
    parse: matching(/^[a-z_][a-z0-9_]{0,62}$/, (raw) => `use lower-case letters, digits and "_" (not first), got "${raw}"`),
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
    parse: matching(/^rediss?:\/\//, "expected a redis:// or rediss:// URL"),
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
};
