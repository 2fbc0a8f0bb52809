// Composition root: reads the configuration, picks the adapters, wires services and transports, and owns shutdown.

import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { join, resolve } from "node:path";
import type { FastifyInstance } from "fastify";
import { prepareDataDir } from "./adapters/local/data-dir.js";
import { MemoryRateLimiter } from "./adapters/memory/memory-rate-limiter.js";
import { selectAdapters } from "./adapters/select.js";
import { resolveVapidKeys } from "./adapters/webpush/vapid-keys.js";
import { WebPushProvider } from "./adapters/webpush/web-push-provider.js";
import { type Config, loadConfig } from "./config/index.js";
import { withTimeout } from "./domain/with-timeout.js";
import { Lifecycle } from "./lifecycle.js";
import { createLogger, type DestinationStream, type Logger } from "./logger.js";
import { BestEffort } from "./observability/best-effort.js";
import { instrument, Metrics } from "./observability/metrics.js";
import { Tracing } from "./observability/tracing.js";
import type { AdminStore } from "./ports/admin-store.js";
import type { BlobStore } from "./ports/blob-store.js";
import type { Broker } from "./ports/broker.js";
import type { E2eeStore } from "./ports/e2ee-store.js";
import type { LinkPreviewStore } from "./ports/link-preview-store.js";
import type { PresenceStore } from "./ports/presence-store.js";
import type { PushProvider } from "./ports/push-provider.js";
import type { PushStore } from "./ports/push-store.js";
import type { RateLimiter } from "./ports/rate-limiter.js";
import type { ReportStore } from "./ports/report-store.js";
import type { Scanner } from "./ports/scanner.js";
import type { SsoStore } from "./ports/sso-store.js";
import type { Store } from "./ports/store.js";
import type { UploadStore } from "./ports/upload-store.js";
import { createServices, type Services } from "./services/index.js";
import { AddressSlots } from "./transport/address-slots.js";
import { registerAdminRoutes } from "./transport/admin-routes.js";
import { SessionDispatcher } from "./transport/dispatch.js";
import { registerExportRoutes } from "./transport/export-routes.js";
import { createHttpApi } from "./transport/http.js";
import { HttpConnections } from "./transport/http-connections.js";
import { LongPollGateway } from "./transport/long-poll.js";
import { registerMediaRoutes } from "./transport/media-routes.js";
import { registerSsoRoutes } from "./transport/sso-routes.js";
import { mountWebApp } from "./transport/static.js";
import { WebSocketGateway, WS_PATH } from "./transport/websocket.js";

export interface ParleyServer {
  /** Base HTTP URL, e.g. http://127.0.0.1:8080 */
  url: string;
  /** WebSocket endpoint, e.g. ws://127.0.0.1:8080/v1/ws */
  wsUrl: string;
  config: Config;
  services: Services;
  log: Logger;
  /** This node's metrics registry (also served at /metrics). */
  metrics: Metrics;
  /** Open client sessions on this node (WebSocket and long polling). */
  connections(): number;
  /**
   * Stops accepting, closes sockets with 1001, drains pending writes, closes the store: everything the start opened,
   * last opened first (lifecycle.ts). Every closer runs; rejects afterwards if any failed (each is logged).
   */
  close(): Promise<void>;
}

export interface Adapters {
  store: Store;
  broker: Broker;
  presence: PresenceStore;
  /** Limits shared by the nodes of a deployment (sign-in, registration, login lockout). */
  rateLimiter: RateLimiter;
  push: PushStore;
  uploads: UploadStore;
  admin: AdminStore;
  reports: ReportStore;
  sso: SsoStore;
  e2ee: E2eeStore;
  linkPreviews: LinkPreviewStore;
  blobs: BlobStore;
  /** Undefined: uploads are not scanned. */
  scanner: Scanner | undefined;
}

/** The steps of a start, in order ("push" only when push is enabled); see `StartOptions.beforeStep`. */
export const START_STEPS = [
  "adapters",
  "push",
  "services",
  "media",
  "transports",
  "routes",
  "dispatcher",
  "presence",
  "attach",
  "listen",
  "listening",
] as const;
export type StartStep = (typeof START_STEPS)[number];

export interface StartOptions {
  /** Where JSON log lines go (default: stdout). */
  logDestination?: DestinationStream;
  /** Directory of the built web app served at `/` (default: packages/web/dist). */
  webRoot?: string;
  /**
   * Test seam, not a setting: called before each start-up step. A throw fails the start at that step as the step's own
   * failure would, so tests can check that a failed start leaves no socket, connection or timer open.
   */
  beforeStep?: (step: StartStep) => void | Promise<void>;
}

/** Starts a node. `overrides` win over environment variables (tests pass port 0 and a temporary data dir). */
export async function startParley(
  overrides: Partial<Config> = {},
  env: NodeJS.ProcessEnv = process.env,
  options: StartOptions = {},
): Promise<ParleyServer> {
  const config = loadConfig(env, overrides);
  const log = createLogger(config, options.logDestination);
  // Whatever the start opens registers its closer here; a failed start and close() unwind the same stack.
  const lifecycle = new Lifecycle(log);
  try {
    return await openNode(config, log, lifecycle, options);
  } catch (error) {
    await lifecycle.unwind();
    throw error;
  }
}

async function openNode(config: Config, log: Logger, lifecycle: Lifecycle, options: StartOptions): Promise<ParleyServer> {
  const step = options.beforeStep ?? (() => {});
  const metrics = new Metrics();
  const failures = new BestEffort(log, metrics);
  const dataDir = resolve(config.dataDir);
  const dataDirMode = prepareDataDir(dataDir);
  if (dataDirMode.kind === "tightened") {
    log.warn({ dataDir, from: octal(dataDirMode.from), to: "700" }, "data directory was open to other users: made private");
  } else if (dataDirMode.kind === "open") {
    log.warn(
      { dataDir, mode: octal(dataDirMode.mode), reason: dataDirMode.reason },
      "data directory is open to other users and could not be made private (chmod 700 it)",
    );
  }
  const jwtSecret = config.jwtSecret ?? loadOrCreateSecret(join(dataDir, "jwt-secret"));
  // Embedded (SQLite, in-process bus) unless PARLEY_DATABASE_URL / PARLEY_REDIS_URL select the cluster adapters.
  await step("adapters");
  const selected = await selectAdapters(config, { dataDir, log, closers: lifecycle, failures });
  // Closed after everything that makes spans (the lifecycle closes last opened first): its last batch is exported.
  const tracing = Tracing.start(config, selected.nodeId);
  if (tracing.enabled) {
    log.info({ endpoint: config.otlpTracesEndpoint, ratio: config.traceSampleRatio }, "tracing enabled");
    lifecycle.defer("tracing", () => tracing.close());
  }
  const adapters: Adapters = {
    store: selected.store,
    uploads: selected.uploads,
    admin: selected.admin,
    reports: selected.reports,
    sso: selected.sso,
    e2ee: selected.e2ee,
    linkPreviews: selected.linkPreviews,
    blobs: selected.blobs,
    scanner: selected.scanner,
    broker: selected.broker,
    presence: selected.presence,
    rateLimiter: selected.rateLimiter,
    push: selected.push,
  };
  // Web Push signs with one VAPID pair per deployment: configured, shared through the store, or kept in the data dir.
  const pushProviders: PushProvider[] = [];
  let vapidPublicKey: string | undefined;
  if (config.pushEnabled) {
    await step("push");
    const vapid = await resolveVapidKeys(
      { publicKey: config.vapidPublicKey, privateKey: config.vapidPrivateKey },
      dataDir,
      adapters.push,
    );
    vapidPublicKey = vapid.keys.publicKey;
    log.info({ source: vapid.source }, "web push enabled");
    pushProviders.push(
      new WebPushProvider({
        vapid: vapid.keys,
        subject: config.vapidSubject,
        allowPrivate: config.pushAllowPrivateEndpoints,
      }),
    );
  }
  // Store and bus calls are timed for the metrics; the per-node rate limits never leave the process.
  const nodeRateLimiter = new MemoryRateLimiter();
  lifecycle.defer("node rate limiter", () => nodeRateLimiter.close());
  const ports = {
    ...adapters,
    store: instrument(adapters.store, metrics.storeSeconds, ["close"]),
    push: instrument(adapters.push, metrics.storeSeconds, []),
    admin: instrument(adapters.admin, metrics.storeSeconds, []),
    reports: instrument(adapters.reports, metrics.storeSeconds, []),
    sso: instrument(adapters.sso, metrics.storeSeconds, []),
    e2ee: instrument(adapters.e2ee, metrics.storeSeconds, []),
    linkPreviews: instrument(adapters.linkPreviews, metrics.storeSeconds, []),
    pushProviders,
    vapidPublicKey,
    broker: instrument(adapters.broker, metrics.busSeconds, ["onReconnect", "ping", "close"]),
    nodeRateLimiter,
  };
  // Uploads are spooled next to the local blobs (same file system: the final move is a rename).
  const mediaTmpDir = join(dataDir, "media", "tmp");
  mkdirSync(mediaTmpDir, { recursive: true });
  await step("services");
  const services = createServices({ ...config, jwtSecret, mediaTmpDir }, ports, lifecycle, { metrics, failures, log, tracing });
  await step("media");
  await services.media.clearTemporaryFiles();
  const stopSweeper = services.media.startSweeper(config.uploadSweepIntervalMs);
  lifecycle.defer("media sweeper", stopSweeper);
  const stopRetention = services.retention.start(config.retentionSweepIntervalMs);
  lifecycle.defer("retention sweeper", stopRetention);
  // Both live transports feed one dispatcher and one registry of client sessions (transport/session.ts).
  await step("transports");
  const dispatcher = new SessionDispatcher(config, services, adapters.broker, log);
  let closing: Promise<void> | undefined;
  // One count per client address for HTTP requests and WebSockets alike.
  const slots = new AddressSlots(config.maxConnectionsPerAddress, () => metrics.rateLimited.labels("connections").inc());
  const http = createHttpApi(
    config,
    services,
    log,
    {
      async ready() {
        // Out of rotation as soon as shutdown starts, before its sockets are closed and clients come back looking.
        if (closing) return { ok: false, checks: { shutdown: "in progress" } };
        const checks: Record<string, string> = {};
        const probe = async (name: string, fn: () => Promise<void>) => {
          try {
            await fn();
            checks[name] = "ok";
          } catch (error) {
            checks[name] = (error as Error).message;
          }
        };
        const [, scanner] = await Promise.all([
          Promise.all([
            probe("store", () => withTimeout(adapters.store.ping(), READY_PROBE_TIMEOUT_MS)),
            probe("bus", () => withTimeout(adapters.broker.ping(), READY_PROBE_TIMEOUT_MS)),
            probe("presence", () => withTimeout(adapters.presence.ping(), READY_PROBE_TIMEOUT_MS)),
          ]),
          services.scanning.readiness(READY_PROBE_TIMEOUT_MS),
        ]);
        const ok = Object.values(checks).every((v) => v === "ok");
        // Reported, but not a reason to leave rotation: without the scanner only uploads are affected, as configured.
        if (scanner !== undefined) checks["scanner"] = scanner;
        return { ok, checks };
      },
    },
    slots,
  );
  // Stops listening and waits for the requests in flight, after both live transports told their sessions to go away.
  const connections = new HttpConnections(http.server);
  lifecycle.defer("http", () => closeHttp(http, connections));
  const longPoll = new LongPollGateway(config, dispatcher, log);
  lifecycle.defer("long polling", () => longPoll.close());
  const gateway = new WebSocketGateway(config, dispatcher, log);
  lifecycle.defer("websocket", () => gateway.close());
  await step("routes");
  longPoll.register(http);
  await registerMediaRoutes(http, services);
  registerAdminRoutes(http, services);
  registerSsoRoutes(http, services, config);
  registerExportRoutes(http, services);
  mountWebApp(http, log, { root: options.webRoot });
  await http.ready();
  // Its subscriptions end with the bus, which closes after everything that publishes on it.
  await step("dispatcher");
  await dispatcher.start();
  // Refreshes this node's devices in the presence store and announces the users of nodes that died; stopped by the
  // presence service's closer (registered with the service).
  await step("presence");
  services.presence.start(Math.max(100, Math.floor(config.presenceTtlMs / 3)));
  // After a bus outage this node missed events and invalidations: forget cached member lists and blocks, and tell
  // every session to catch up (`resync`): connections stay open, clients sync from their cursors and re-subscribe.
  adapters.broker.onReconnect(() => {
    log.warn({ sessions: dispatcher.registry.size }, "bus reconnected: events may have been missed; asking clients to resync");
    services.members.clear();
    services.blocks.clear();
    dispatcher.resync();
  });
  await step("attach");
  await gateway.attach(http.server, slots);
  await step("listen");
  // A reconnect storm opens thousands of sockets at once; Node's default backlog (511) drops SYNs and costs clients
  // seconds of retransmit back-off.
  await http.listen({ host: config.host, port: config.port, backlog: 8192 });
  await step("listening");
  const address = http.server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const shown = host === "0.0.0.0" || host === "[::]" ? "127.0.0.1" : host;
  const secure = config.tlsCert !== undefined;
  const url = `${secure ? "https" : "http"}://${shown}:${address.port}`;
  log.info({ url, dataDir, mode: selected.mode, nodeId: selected.nodeId }, "parley listening");

  return {
    url,
    wsUrl: `${secure ? "wss" : "ws"}://${shown}:${address.port}${WS_PATH}`,
    config,
    services,
    log,
    metrics,
    connections: () => dispatcher.registry.size,
    close() {
      closing ??= lifecycle.unwind().then((failures) => {
        if (failures.length > 0) throw new AggregateError(failures, `${failures.length} resources failed to close`);
        log.info("parley stopped");
      });
      return closing;
    },
  };
}

/** Answers the requests in flight; connections with none are closed as they become free, not at their idle timeout. */
async function closeHttp(http: FastifyInstance, connections: HttpConnections): Promise<void> {
  const sweep = setInterval(() => connections.closeUnused(), UNUSED_SWEEP_MS);
  connections.closeUnused();
  try {
    await http.close();
  } finally {
    clearInterval(sweep);
  }
}

const UNUSED_SWEEP_MS = 50;

/** A readiness probe that hangs counts as failed rather than stalling the load balancer's health check. */
const READY_PROBE_TIMEOUT_MS = 2000;

function octal(mode: number): string {
  return mode.toString(8).padStart(3, "0");
}

function loadOrCreateSecret(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    const secret = randomBytes(48).toString("base64url");
    writeFileSync(path, secret, { mode: 0o600 });
    return secret;
  }
}
