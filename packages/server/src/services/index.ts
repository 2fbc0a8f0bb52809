// Wires the domain services over the ports; the composition root hands in the adapters.

import { createHmac } from "node:crypto";
import type { Config } from "../config/index.js";
import type { Closers } from "../lifecycle.js";
import type { Logger } from "../logger.js";
import type { BestEffort } from "../observability/best-effort.js";
import type { Metrics } from "../observability/metrics.js";
import type { Tracing } from "../observability/tracing.js";
import type { AdminStore } from "../ports/admin-store.js";
import type { BlobStore } from "../ports/blob-store.js";
import type { Broker } from "../ports/broker.js";
import type { E2eeStore } from "../ports/e2ee-store.js";
import type { LinkPreviewStore } from "../ports/link-preview-store.js";
import type { PresenceStore } from "../ports/presence-store.js";
import type { PushProvider } from "../ports/push-provider.js";
import type { PushStore } from "../ports/push-store.js";
import type { RateLimiter } from "../ports/rate-limiter.js";
import type { ReportStore } from "../ports/report-store.js";
import type { Scanner } from "../ports/scanner.js";
import type { SsoStore } from "../ports/sso-store.js";
import type { Store } from "../ports/store.js";
import type { UploadStore } from "../ports/upload-store.js";
import { AccountService } from "./account-service.js";
import { AdminService } from "./admin-service.js";
import { AuthService } from "./auth-service.js";
import { BlockCache } from "./block-cache.js";
import { ChannelKinds } from "./channel-kinds.js";
import { ChannelService } from "./channel-service.js";
import { ConversationService } from "./conversation-service.js";
import { DataExportService } from "./data-export.js";
import { Delivery } from "./delivery.js";
import { DeliveryStages } from "./delivery-stages.js";
import { E2eeService } from "./e2ee-service.js";
import { FileUrlSigner } from "./file-urls.js";
import { LinkPreviewService } from "./link-previews/link-preview-service.js";
import { ConversationLog } from "./log/conversation-log.js";
import { FanOut } from "./log/fan-out.js";
import { forgetChangedMembers, notifyPush } from "./log/subscribers.js";
import { MediaService } from "./media-service.js";
import { MemberCache } from "./member-cache.js";
import { MessageService } from "./message-service.js";
import { MessageView } from "./message-view.js";
import { ModerationService } from "./moderation-service.js";
import { PresenceService } from "./presence-service.js";
import { PushNotifier } from "./push/push-notifier.js";
import { PushService } from "./push/push-service.js";
import { RateLimits } from "./rate-limits.js";
import { ReceiptService } from "./receipt-service.js";
import { RegistrationPolicy } from "./registration-policy.js";
import { RetentionPolicy } from "./retention-policy.js";
import { RetentionSweeper } from "./retention-sweeper.js";
import { SearchService } from "./search-service.js";
import { SettingsService } from "./settings-service.js";
import { SsoService } from "./sso-service.js";
import { TypingService } from "./typing-service.js";
import { UploadScanning } from "./upload-scan.js";

export interface Services {
  auth: AuthService;
  accounts: AccountService;
  conversations: ConversationService;
  /** Channels: creation, directory, joining, paged members, bulk membership, read counts (docs/channels.md). */
  channels: ChannelService;
  /** Which conversations are channels (their settings never change): the hot paths branch on it. */
  kinds: ChannelKinds;
  messages: MessageService;
  receipts: ReceiptService;
  typing: TypingService;
  presence: PresenceService;
  members: MemberCache;
  /** Who blocks whom, cached for the send path; dropped per pair by `blocks-changed` on the bus. */
  blocks: BlockCache;
  delivery: Delivery;
  limits: RateLimits;
  metrics: Metrics;
  /** Where best-effort work (fan-out, presence, cleanup) records its failures. */
  failures: BestEffort;
  /** OpenTelemetry spans (Tracing.off unless an OTLP endpoint is configured). */
  tracing: Tracing;
  /** The stages after commit on the recipients' node: stored→delivered, delivered→read, deliver and receipt spans. */
  stages: DeliveryStages;
  push: PushService;
  settings: SettingsService;
  /** Absent when push is disabled: the send path then does no presence lookups for notifications. */
  notifier: PushNotifier | undefined;
  media: MediaService;
  /** Malware scanning of uploads (also asked by readiness). */
  scanning: UploadScanning;
  search: SearchService;
  admin: AdminService;
  moderation: ModerationService;
  sso: SsoService;
  e2ee: E2eeService;
  /** `links.preview`: pages fetched by the server, cached in the store (docs/protocol.md §6.16). */
  linkPreviews: LinkPreviewService;
  /** A user's own data as an archive (`GET /v1/me/export`). */
  dataExport: DataExportService;
  /** The server's maximum message age and conversations' limits (docs/protocol.md §6.14). */
  retentionPolicy: RetentionPolicy;
  /** Deletes expired entries; started by the node (app.ts), called directly by tests with their own clock. */
  retention: RetentionSweeper;
}

/**
 * `rateLimiter` holds the limits that must agree across nodes (sign-in, registration, login lockout);
 * `nodeRateLimiter` the per-node ones on the request hot path (see RateLimits). Services that hold timers or pending
 * writes register their closers on `closers` as they are built: those built later close first, so the conversation log
 * drains before the notifier it hands commits to, and receipts, typing and presence stop after them.
 */
export function createServices(
  config: Config & { jwtSecret: string; mediaTmpDir: string },
  ports: {
    store: Store;
    broker: Broker;
    presence: PresenceStore;
    rateLimiter: RateLimiter;
    nodeRateLimiter: RateLimiter;
    push: PushStore;
    /** Empty when push is disabled. */
    pushProviders: readonly PushProvider[];
    vapidPublicKey: string | undefined;
    uploads: UploadStore;
    blobs: BlobStore;
    /** Undefined: uploads are not scanned. */
    scanner: Scanner | undefined;
    /** Administration: roles, settings, invitations, resets, audit (in the store's database). */
    admin: AdminStore;
    /** Moderation reports (in the store's database). */
    reports: ReportStore;
    /** Single sign-on grants and identities (in the store's database). */
    sso: SsoStore;
    /** End-to-end encryption's directories (in the store's database). */
    e2ee: E2eeStore;
    /** The link preview cache and thumbnails (in the store's database). */
    linkPreviews: LinkPreviewStore;
  },
  closers: Closers,
  observability: { metrics: Metrics; failures: BestEffort; log: Pick<Logger, "warn" | "error">; tracing: Tracing },
): Services {
  const { metrics, failures, tracing } = observability;
  const { store, broker } = ports;
  const delivery = new Delivery(broker);
  const members = new MemberCache(store);
  const kinds = new ChannelKinds(store);
  const blocks = new BlockCache(store);
  const limits = new RateLimits(config, ports.rateLimiter, ports.nodeRateLimiter, metrics);
  // Download URLs stay valid across nodes and restarts: the secret is configured or derived from the token secret.
  const fileSecret = config.fileUrlSecret ?? createHmac("sha256", config.jwtSecret).update("parley file urls").digest("hex");
  const scanning = new UploadScanning(ports.scanner, config.scanOnFailure, observability.log, metrics);
  const media = new MediaService(
    ports.uploads,
    ports.blobs,
    new FileUrlSigner(fileSecret, config.fileUrlTtlSeconds),
    config.mediaTmpDir,
    config,
    scanning,
    failures,
    metrics,
  );
  const presence = new PresenceService(ports.presence, store, delivery, config.presenceGraceMs, failures);
  closers.defer("presence service", () => presence.close());
  const typing = new TypingService(members, delivery, blocks, config.typingTimeoutMs, failures, undefined, { kinds, store });
  closers.defer("typing", () => typing.close());
  const receipts = new ReceiptService(store, members, delivery, failures, config.receiptFlushMs);
  closers.defer("receipts", () => receipts.drain());
  const retentionPolicy = new RetentionPolicy(ports.admin, config.maxMessageAgeDefault);
  const pushEnabled = config.pushEnabled && ports.pushProviders.length > 0;
  const push = new PushService(ports.push, store, {
    enabled: pushEnabled,
    vapidPublicKey: ports.vapidPublicKey,
    allowPrivateEndpoints: config.pushAllowPrivateEndpoints,
  });
  const notifier = pushEnabled
    ? new PushNotifier(
        {
          presence: ports.presence,
          store,
          push: ports.push,
          providers: ports.pushProviders,
          metrics,
          failures,
          retention: retentionPolicy,
        },
        {
          graceMs: config.presenceGraceMs,
          coalesceMs: config.pushCoalesceMs,
          ttlSeconds: config.pushTtlSeconds,
          maxAttempts: config.pushMaxAttempts,
          retryBaseMs: config.pushRetryBaseMs,
        },
      )
    : undefined;
  if (notifier) closers.defer("push notifier", () => notifier.close());
  const accounts = new AccountService(store, delivery, failures, blocks, config.groupAddsDefault);
  // In this order: fan-out reads the member lists the first one dropped, push reuses what fan-out loaded.
  const log = new ConversationLog(
    store,
    [
      forgetChangedMembers(members),
      new FanOut(members, delivery, new MessageView(store), tracing, kinds),
      ...(notifier ? [notifyPush(notifier, members, { kinds, store, push: ports.push })] : []),
    ],
    failures,
    metrics,
    tracing,
    config.commitWindowMs,
  );
  closers.defer("conversation log", () => log.drain());
  const messages = new MessageService(store, members, blocks, log, delivery, config, failures, metrics, media, kinds);
  const conversations = new ConversationService(store, members, log, retentionPolicy, config);
  const channels = new ChannelService(store, kinds, conversations, log, config, ports.push, ports.admin);
  const e2ee = new E2eeService(ports.e2ee, store, log, delivery);
  const sessionRevoked = (sessionId: string) => {
    // The session is revoked in the store; telling the nodes to close its sockets, dropping its push subscriptions and
    // announcing its MLS device's departure only follow it.
    failures.detach("session.revoke", delivery.sessionRevoked(sessionId));
    failures.detach("push.session-ended", push.sessionEnded(sessionId));
    failures.detach("e2ee.device-removed", e2ee.deviceEnded(sessionId));
  };
  const registration = new RegistrationPolicy(ports.admin, config.registrationDefault);
  const auth = new AuthService(store, ports.admin, registration, config, sessionRevoked, limits);
  const admin = new AdminService(
    store,
    ports.admin,
    auth,
    registration,
    retentionPolicy,
    delivery,
    (sessionId) => {
      failures.detach("push.session-ended", push.sessionEnded(sessionId));
      failures.detach("e2ee.device-removed", e2ee.deviceEnded(sessionId));
    },
    config,
  );
  const sso = new SsoService(config, ports.sso, store, ports.admin, auth, registration, observability.log);
  const dataExport = new DataExportService(store, ports.uploads, ports.blobs, failures);
  return {
    auth,
    admin,
    moderation: new ModerationService(ports.reports, ports.admin, store, messages),
    sso,
    e2ee,
    linkPreviews: new LinkPreviewService(config, ports.linkPreviews, media.images),
    dataExport,
    accounts,
    conversations,
    channels,
    kinds,
    messages,
    receipts,
    typing,
    presence,
    members,
    blocks,
    delivery,
    limits,
    metrics,
    failures,
    tracing,
    stages: new DeliveryStages(metrics, tracing),
    push,
    settings: new SettingsService(push, accounts),
    notifier,
    media,
    scanning,
    search: new SearchService(store),
    retentionPolicy,
    retention: new RetentionSweeper(store, retentionPolicy, media, members, delivery, observability, kinds, e2ee),
  };
}
