// Wires the domain services over the ports; the composition root hands in the adapters.

import type { Config } from "../config.js";
import type { Broker } from "../ports/broker.js";
import type { PresenceStore } from "../ports/presence-store.js";
import type { Store } from "../ports/store.js";
import { AccountService } from "./account-service.js";
import { AuthService } from "./auth-service.js";
import { ConversationService } from "./conversation-service.js";
import { Delivery } from "./delivery.js";
import { MemberCache } from "./member-cache.js";
import { MessageService } from "./message-service.js";
import { PresenceService } from "./presence-service.js";
import { ReceiptService } from "./receipt-service.js";
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
}

export function createServices(
  config: Config & { jwtSecret: string },
  ports: { store: Store; broker: Broker; presence: PresenceStore },
): Services {
  const { store, broker } = ports;
  const delivery = new Delivery(broker);
  const members = new MemberCache(store);
  return {
    auth: new AuthService(store, config, (sessionId) => void delivery.sessionRevoked(sessionId).catch(() => {})),
    accounts: new AccountService(store),
    conversations: new ConversationService(store, members, delivery, config.maxGroupMembers),
    messages: new MessageService(store, members, delivery, config),
    receipts: new ReceiptService(store, members, delivery, config.receiptFlushMs),
    typing: new TypingService(members, delivery, config.typingTimeoutMs),
    presence: new PresenceService(ports.presence, store, delivery, config.presenceGraceMs),
    members,
    delivery,
  };
}
