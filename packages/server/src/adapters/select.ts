// Picks the adapters from the configuration: embedded (SQLite, in-process bus and presence) unless PostgreSQL and
// Redis URLs are given; refuses combinations that would split a deployment's data or tokens.

import { randomBytes } from "node:crypto";
import { statSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { type Config, ConfigError } from "../config/index.js";
import type { Closers } from "../lifecycle.js";
import type { Logger } from "../logger.js";
import type { BestEffort } from "../observability/best-effort.js";
import type { AdminStore } from "../ports/admin-store.js";
import type { BlobStore } from "../ports/blob-store.js";
import type { Broker } from "../ports/broker.js";
import type { E2eeStore } from "../ports/e2ee-store.js";
import { BackendUnavailableError, isBackendUnavailable } from "../ports/errors.js";
import type { LinkPreviewStore } from "../ports/link-preview-store.js";
import type { PresenceStore } from "../ports/presence-store.js";
import type { PushStore } from "../ports/push-store.js";
import type { RateLimiter } from "../ports/rate-limiter.js";
import type { ReportStore } from "../ports/report-store.js";
import type { Scanner } from "../ports/scanner.js";
import type { SsoStore } from "../ports/sso-store.js";
import type { Store } from "../ports/store.js";
import type { UploadStore } from "../ports/upload-store.js";
import { type AtRestKey, loadKey } from "./at-rest/at-rest-key.js";
import { checkNotInterrupted, DATABASE_FILE, MEDIA_DIR } from "./at-rest/data-dir-encryption.js";
import { ClamdScanner } from "./clamav/clamd-scanner.js";
import { LocalBlobStore } from "./local/local-blob-store.js";
import { MemoryBroker } from "./memory/memory-broker.js";
import { MemoryPresenceStore } from "./memory/memory-presence-store.js";
import { MemoryRateLimiter } from "./memory/memory-rate-limiter.js";
import { PostgresAdminStore } from "./postgres/postgres-admin-store.js";
import { PostgresE2eeStore } from "./postgres/postgres-e2ee-store.js";
import { PostgresLinkPreviewStore } from "./postgres/postgres-link-preview-store.js";
import { PostgresPushStore } from "./postgres/postgres-push-store.js";
import { PostgresReportStore } from "./postgres/postgres-report-store.js";
import { PostgresSsoStore } from "./postgres/postgres-sso-store.js";
import { PostgresStore } from "./postgres/postgres-store.js";
import { PostgresUploadStore } from "./postgres/postgres-upload-store.js";
import { RedisBroker } from "./redis/redis-broker.js";
import { redactUrl } from "./redis/redis-connection.js";
import { RedisPresenceStore } from "./redis/redis-presence-store.js";
import { RedisRateLimiter } from "./redis/redis-rate-limiter.js";
import { S3BlobStore } from "./s3/s3-blob-store.js";
import { SqliteAdminStore } from "./sqlite/sqlite-admin-store.js";
import { SqliteE2eeStore } from "./sqlite/sqlite-e2ee-store.js";
import { SqliteLinkPreviewStore } from "./sqlite/sqlite-link-preview-store.js";
import { SqlitePushStore } from "./sqlite/sqlite-push-store.js";
import { SqliteReportStore } from "./sqlite/sqlite-report-store.js";
import { SqliteSsoStore } from "./sqlite/sqlite-sso-store.js";
import { SqliteStore } from "./sqlite/sqlite-store.js";
import { SqliteUploadStore } from "./sqlite/sqlite-upload-store.js";

export interface SelectedAdapters {
  store: Store;
  broker: Broker;
  presence: PresenceStore;
  /** Limits that must agree across nodes (sign-in, registration, lockouts). */
  rateLimiter: RateLimiter;
  /** Push subscriptions, notification settings and mutes: in the store's database, through its connection. */
  push: PushStore;
  /** Upload metadata, in the store's database. */
  uploads: UploadStore;
  /** Administration (roles, settings, invitations, resets, audit log): in the store's database. */
  admin: AdminStore;
  /** Moderation reports: in the store's database. */
  reports: ReportStore;
  /** Single sign-on grants and linked identities: in the store's database. */
  sso: SsoStore;
  /** End-to-end encryption's device and KeyPackage directories (docs/e2ee.md): in the store's database. */
  e2ee: E2eeStore;
  /** The link preview cache: in the store's database. */
  linkPreviews: LinkPreviewStore;
  /** Media bytes: `<dataDir>/media` unless PARLEY_S3_BUCKET is set. */
  blobs: BlobStore;
  /** Malware scanning of uploads: clamd when PARLEY_CLAMD_ADDRESS is set, otherwise none. */
  scanner: Scanner | undefined;
  /** "embedded": one node, nothing shared; "cluster": shared store and bus, any number of nodes. */
  mode: "embedded" | "cluster";
  nodeId: string;
}

/**
 * Throws ConfigError for deployments that cannot work:
 * - Redis without PostgreSQL: several nodes would each keep their own SQLite file, and a user's messages would live on
 *   whichever node took the request. Cluster mode needs one shared store.
 * - Redis without PARLEY_JWT_SECRET: each node would generate its own signing secret into its data directory, and a
 *   client reconnecting through the load balancer would be refused by every other node.
 * - An at-rest key with PostgreSQL or S3: it encrypts the embedded store and media directory only, and would give a
 *   false sense of protection there (those services have their own encryption at rest).
 * PostgreSQL without Redis is allowed: one node on a shared database (no second node would receive live events).
 */
export function validateDeployment(config: Config): void {
  if (config.encryptionKey !== undefined || config.encryptionKeyFile !== undefined) {
    const external =
      config.databaseUrl !== undefined ? "PARLEY_DATABASE_URL" : config.s3Bucket !== undefined ? "PARLEY_S3_BUCKET" : "";
    if (external) {
      throw new ConfigError(
        config.encryptionKey !== undefined ? "PARLEY_ENCRYPTION_KEY" : "PARLEY_ENCRYPTION_KEY_FILE",
        `encryption at rest covers the embedded store and media directory only; with ${external} use the encryption at rest of PostgreSQL or the object store instead`,
      );
    }
  }
  if (config.redisUrl === undefined) return;
  if (config.databaseUrl === undefined) {
    throw new ConfigError(
      "PARLEY_REDIS_URL",
      "cluster mode needs a shared store: set PARLEY_DATABASE_URL as well (nodes on private SQLite files would split the data)",
    );
  }
  if (config.jwtSecret === undefined) {
    throw new ConfigError(
      "PARLEY_JWT_SECRET",
      "cluster mode needs the same token secret on every node: set PARLEY_JWT_SECRET (≥ 32 characters) on all of them",
    );
  }
}

/** `<hostname>-<random>`, short and safe in Redis keys. */
export function randomNodeId(): string {
  const host = hostname()
    .replace(/[^A-Za-z0-9_.-]/g, "")
    .slice(0, 40);
  return `${host || "node"}-${randomBytes(4).toString("hex")}`;
}

/**
 * Opens the adapters, each registering its closer on `closers` as soon as it is open (a later failure closes it).
 * Opened in reverse of the order a shutdown closes them: the store first and last, the bus last and first.
 */
export async function selectAdapters(
  config: Config,
  options: { dataDir: string; log: Logger; closers: Closers; failures: BestEffort },
): Promise<SelectedAdapters> {
  validateDeployment(config);
  const { log, closers } = options;
  const nodeId = config.nodeId ?? randomNodeId();
  // Read (and checked) before anything is opened: a bad key file fails the start with nothing to unwind.
  let atRest: AtRestKey | undefined;
  if (config.databaseUrl === undefined) {
    checkNotInterrupted(options.dataDir);
    atRest = loadKey({ key: config.encryptionKey, keyFile: config.encryptionKeyFile });
    if (atRest) log.info({ key: atRest.label }, "encryption at rest on");
    if (config.encryptionKeyFile !== undefined && (statSync(config.encryptionKeyFile).mode & 0o077) !== 0) {
      log.warn({ file: config.encryptionKeyFile }, "the encryption key file is readable by other users: chmod 600 it");
    }
  }
  const open = async <T extends { close(): Promise<void> }>(name: string, adapter: Promise<T> | T): Promise<T> => {
    const a = await adapter;
    closers.defer(name, () => a.close());
    return a;
  };
  const store: Store =
    config.databaseUrl === undefined
      ? await open(
          "store",
          SqliteStore.open(join(options.dataDir, DATABASE_FILE), {
            synchronous: config.sqliteSynchronous,
            ...(atRest ? { encryptionKey: atRest.sqliteKey } : {}),
            onSearchIndexError: (err) => log.warn({ err }, "search indexing failed; the messages stay pending and are retried"),
          }),
        )
      : await open(
          "store",
          PostgresStore.connect(config.databaseUrl, {
            poolSize: config.databasePoolSize,
            ...(config.databaseSchema === undefined ? {} : { schema: config.databaseSchema }),
            onError: (err) => log.warn({ err }, "postgres connection lost"),
          }).catch((error: unknown) => {
            if (!isBackendUnavailable(error)) throw error;
            const url = redactUrl(config.databaseUrl!);
            throw new BackendUnavailableError("store", `cannot reach PostgreSQL at ${url}: ${(error as Error).message}`, {
              cause: error,
            });
          }),
        );
  // Roles over the store's own handle: one connection (SQLite) or pool (PostgreSQL) for the whole database.
  const role = <T>(sqlite: new (handle: SqliteStore["handle"]) => T, postgres: new (handle: PostgresStore["handle"]) => T): T =>
    store instanceof SqliteStore ? new sqlite(store.handle) : new postgres((store as PostgresStore).handle);
  const push = role<PushStore>(SqlitePushStore, PostgresPushStore);
  const uploads = role<UploadStore>(SqliteUploadStore, PostgresUploadStore);
  const admin = role<AdminStore>(SqliteAdminStore, PostgresAdminStore);
  const reports = role<ReportStore>(SqliteReportStore, PostgresReportStore);
  const sso = role<SsoStore>(SqliteSsoStore, PostgresSsoStore);
  const e2ee = role<E2eeStore>(SqliteE2eeStore, PostgresE2eeStore);
  const linkPreviews = role<LinkPreviewStore>(SqliteLinkPreviewStore, PostgresLinkPreviewStore);
  const blobs: BlobStore = await open<BlobStore>(
    "blobs",
    config.s3Bucket === undefined
      ? LocalBlobStore.open(join(options.dataDir, MEDIA_DIR), atRest ? { key: atRest } : {})
      : S3BlobStore.connect({
          bucket: config.s3Bucket,
          region: config.s3Region,
          forcePathStyle: config.s3ForcePathStyle,
          ...(config.s3Endpoint === undefined ? {} : { endpoint: config.s3Endpoint }),
          ...(config.s3AccessKeyId && config.s3SecretAccessKey
            ? { credentials: { accessKeyId: config.s3AccessKeyId, secretAccessKey: config.s3SecretAccessKey } }
            : {}),
        }),
  );
  // Not probed here: a scanner that is down at start is reported by readiness and handled by PARLEY_SCAN_ON_FAILURE.
  const scanner =
    config.clamdAddress === undefined
      ? undefined
      : await open("scanner", new ClamdScanner(config.clamdAddress, { timeoutMs: config.scanTimeoutMs }));
  if (scanner) log.info({ clamd: config.clamdAddress, onFailure: config.scanOnFailure }, "uploads are scanned for malware");
  if (config.redisUrl !== undefined && config.s3Bucket === undefined) {
    log.warn("cluster mode without PARLEY_S3_BUCKET: each node keeps media in its own directory; set a bucket");
  }
  const redis = { prefix: config.clusterPrefix, log };
  const embedded = config.redisUrl === undefined;
  const rateLimiter = await open<RateLimiter>(
    "rate limiter",
    embedded ? new MemoryRateLimiter() : RedisRateLimiter.connect(config.redisUrl!, redis),
  );
  const presence = await open<PresenceStore>(
    "presence",
    embedded
      ? new MemoryPresenceStore()
      : RedisPresenceStore.connect(config.redisUrl!, { ...redis, nodeId, ttlMs: config.presenceTtlMs }),
  );
  const broker = await open<Broker>(
    "bus",
    embedded ? new MemoryBroker() : RedisBroker.connect(config.redisUrl!, { ...redis, failures: options.failures }),
  );
  return {
    store,
    push,
    uploads,
    admin,
    reports,
    sso,
    e2ee,
    linkPreviews,
    blobs,
    scanner,
    broker,
    presence,
    rateLimiter,
    mode: embedded ? "embedded" : "cluster",
    nodeId,
  };
}
