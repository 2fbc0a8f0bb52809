// Wires the domain services over the ports; the composition root hands in the adapters.

import type { Config } from "../config.js";
import { Metrics } from "../observability/metrics.js";
import type { Broker } from "../ports/broker.js";
import type { PresenceStore } from "../ports/presence-store.js";
import type { RateLimiter } from "../ports/rate-limiter.js";
import type { Store } from "../ports/store.js";
import { AccountService } from "./account-service.js";
import { AuthService } from "./auth-service.js";
import { ConversationService } from "./conversation-service.js";
import { Delivery } from "./delivery.js";
import { MemberCache } from "./member-cache.js";
import { MessageService } from "./message-service.js";
import { PresenceService } from "./presence-service.js";
import { RateLimits } from "./rate-limits.js";
import { ReceiptService } from "./receipt-service.js";
import { SearchService } from "./search-service.js";
import { TypingService } from "./typing-service.js";

export interface Services {
  auth: AuthService;
  accounts: AccountService;
  conversations: ConversationService;
  messages: MessageService;
  receipts: ReceiptService;
  typing: TypingService;
  presence: PresenceService;
  members: MemberCache;
  delivery: Delivery;
  limits: RateLimits;
  metrics: Metrics;
  search: SearchService;
}

/**
 * `rateLimiter` holds the limits that must agree across nodes (sign-in, registration, login lockout);
 * `nodeRateLimiter` the per-node ones on the request hot path (see RateLimits).
 */
export function createServices(
  config: Config & { jwtSecret: string },
  ports: { store: Store; broker: Broker; presence: PresenceStore; rateLimiter: RateLimiter; nodeRateLimiter: RateLimiter },
  metrics: Metrics = new Metrics(false),
): Services {
  const { store, broker } = ports;
  const delivery = new Delivery(broker);
  const members = new MemberCache(store);
  const limits = new RateLimits(config, ports.rateLimiter, ports.nodeRateLimiter, metrics);
  return {
    auth: new AuthService(store, config, (sessionId) => void delivery.sessionRevoked(sessionId).catch(() => {}), limits),
    accounts: new AccountService(store),
    conversations: new ConversationService(store, members, delivery, config.maxGroupMembers),
    messages: new MessageService(store, members, delivery, config, metrics),
    receipts: new ReceiptService(store, members, delivery, config.receiptFlushMs),
    typing: new TypingService(members, delivery, config.typingTimeoutMs),
    presence: new PresenceService(ports.presence, store, delivery, config.presenceGraceMs),
    members,
    delivery,
    limits,
    metrics,
    search: new SearchService(store),
  };
}
