// Decides who gets a push notification for committed messages, coalesces bursts and delivers with retries.

import type { Message } from "@parley/protocol";
import type { Metrics } from "../../observability/metrics.js";
import type { PresenceStore } from "../../ports/presence-store.js";
import type { PushOptions, PushOutcome, PushProvider } from "../../ports/push-provider.js";
import type { PushStore, PushSubscriptionRecord } from "../../ports/push-store.js";
import type { AccountStore, ConversationStore, MessageStore } from "../../ports/store.js";
import { buildPayload, conversationTopic, PREVIEW_CHARS } from "./payload.js";

export interface NotifierConfig {
  /** A member found offline is re-checked after this long (the presence grace period): a quick reconnect gets none. */
  graceMs: number;
  /** Messages for one user and conversation within this window become one notification. */
  coalesceMs: number;
  ttlSeconds: number;
  maxAttempts: number;
  retryBaseMs: number;
}

/** A committed message with the conversation's current members (already resolved by the fan-out). */
export interface CommittedMessage {
  message: Message;
  memberIds: readonly string[];
}

/** Pending notifications held at most; beyond, new ones are dropped (and counted) rather than growing memory. */
const MAX_PENDING = 100_000;
/** Longest wait between two attempts, whatever the backoff or Retry-After says. */
const MAX_RETRY_DELAY_MS = 10 * 60_000;

/** What a pending notification keeps: small and bounded whatever the burst (the text only as far as a preview shows). */
interface Pending {
  userId: string;
  conversationId: string;
  count: number;
  lastSeq: number;
  lastSenderId: string;
  lastBody: string;
  /** Distinct senders, in order of their first message. */
  senderIds: Set<string>;
  timer: NodeJS.Timeout;
}

/**
 * Runs on the node that committed the message (so nodes never push the same message twice); coalescing is per node.
 * The send path only calls `committed`, which returns at once: presence checks, timers, store reads and deliveries
 * happen afterwards, off the acknowledgement path, and cost O(offline members) per message beyond one batched
 * presence lookup.
 */
export class PushNotifier {
  private readonly pending = new Map<string, Pending>();
  /** When the last notification per (user, conversation) went out: the next waits until a window has passed. */
  private readonly lastSent = new Map<string, number>();
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly deps: {
      presence: PresenceStore;
      store: AccountStore & ConversationStore & MessageStore;
      push: PushStore;
      providers: readonly PushProvider[];
      metrics: Metrics;
      onError: (error: unknown, context: string) => void;
    },
    private readonly config: NotifierConfig,
  ) {}

  /** Called after a batch is committed; never throws and never waits. */
  committed(batch: readonly CommittedMessage[]): void {
    if (this.closed) return;
    const texts = batch.filter((c) => c.message.kind === "text");
    if (texts.length === 0) return;
    this.track(this.consider(texts).catch((error) => this.deps.onError(error, "push: presence check")));
  }

  /** Cancels pending notifications and retries, and waits for deliveries under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.resolve();
    }
    await Promise.allSettled([...this.inFlight]);
  }

  /** Notifications waiting for their window (for tests and metrics). */
  get pendingCount(): number {
    return this.pending.size;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async consider(batch: readonly CommittedMessage[]): Promise<void> {
    const candidates = new Set<string>();
    for (const { message, memberIds } of batch) for (const id of memberIds) if (id !== message.senderId) candidates.add(id);
    if (candidates.size === 0) return;
    const online = await this.deps.presence.online([...candidates]);
    for (const { message, memberIds } of batch)
      for (const userId of memberIds) {
        if (userId === message.senderId) continue;
        if (online.has(userId)) continue;
        this.enqueue(userId, message);
      }
  }

  private enqueue(userId: string, message: Message): void {
    if (this.closed) return;
    const key = `${userId} ${message.conversationId}`;
    const existing = this.pending.get(key);
    if (existing) {
      existing.count++;
      if (message.seq > existing.lastSeq) {
        existing.lastSeq = message.seq;
        existing.lastSenderId = message.senderId;
        existing.lastBody = previewSource(message);
      }
      existing.senderIds.add(message.senderId);
      this.deps.metrics.pushCoalesced.inc();
      return;
    }
    if (this.pending.size >= MAX_PENDING) {
      this.deps.metrics.pushSkipped.inc({ reason: "overload" });
      return;
    }
    const now = Date.now();
    const window = Math.max(this.config.graceMs, this.config.coalesceMs);
    const due = Math.max(now + window, (this.lastSent.get(key) ?? 0) + this.config.coalesceMs);
    const timer = setTimeout(() => this.fire(key), due - now);
    timer.unref();
    this.pending.set(key, {
      userId,
      conversationId: message.conversationId,
      count: 1,
      lastSeq: message.seq,
      lastSenderId: message.senderId,
      lastBody: previewSource(message),
      senderIds: new Set([message.senderId]),
      timer,
    });
  }

  private fire(key: string): void {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    const at = Date.now();
    this.lastSent.set(key, at);
    const forget = setTimeout(() => {
      if (this.lastSent.get(key) === at) this.lastSent.delete(key);
    }, this.config.coalesceMs);
    forget.unref();
    this.track(this.notify(p).catch((error) => this.deps.onError(error, "push: notify")));
  }

  private async notify(p: Pending): Promise<void> {
    const { store, push, metrics } = this.deps;
    const skip = (reason: string) => metrics.pushSkipped.inc({ reason });
    // The grace period has passed: a user who came back meanwhile gets the message live, not as a notification.
    if ((await this.deps.presence.online([p.userId])).has(p.userId)) return skip("online");
    const subscriptions = await push.listSubscriptions(p.userId);
    if (subscriptions.length === 0) return skip("no_subscription");
    const now = Date.now();
    const settings = await push.getNotificationSettings(p.userId);
    if (settings.dndUntil !== null && settings.dndUntil > now) return skip("dnd");
    if ((await push.getMute(p.userId, p.conversationId, now)) !== null) return skip("muted");
    const [membership, conversation] = await Promise.all([
      store.getMembership(p.conversationId, p.userId),
      store.getConversation(p.conversationId),
    ]);
    if (!membership || membership.leftSeq !== null || !conversation) return skip("not_member");
    if (membership.readSeq >= p.lastSeq) return skip("read");
    const unread = await store.countUnread(p.conversationId, p.userId, membership.readSeq, p.lastSeq);
    // The newest sender last: the body names them.
    const senderIds = [...p.senderIds].filter((id) => id !== p.lastSenderId).concat(p.lastSenderId);
    const senders = await store.getUsersByIds(senderIds);
    const names = new Map(senders.map((u) => [u.id, u.displayName]));
    const payload = buildPayload({
      conversation,
      senders: senderIds.map((id) => names.get(id) ?? "Someone"),
      lastBody: p.lastBody,
      count: Math.max(p.count, unread),
      seq: p.lastSeq,
      previews: settings.previews,
    });
    const options: PushOptions = {
      ttlSeconds: this.config.ttlSeconds,
      urgency: conversation.kind === "direct" ? "high" : "normal",
      topic: conversationTopic(p.conversationId),
    };
    const json = JSON.stringify(payload);
    await Promise.all(subscriptions.map((s) => this.deliver(s, json, options)));
  }

  /** One device: retries transient failures with exponential backoff and jitter, removes gone subscriptions. */
  private async deliver(s: PushSubscriptionRecord, payload: string, options: PushOptions): Promise<void> {
    const { push, metrics } = this.deps;
    const provider = this.deps.providers.find((p) => p.kind === s.kind);
    if (!provider) {
      metrics.pushFailed.inc();
      return;
    }
    const target = { kind: s.kind, endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } };
    for (let attempt = 1; ; attempt++) {
      let outcome: PushOutcome;
      try {
        outcome = await provider.deliver(target, payload, options);
      } catch (error) {
        outcome = { status: "failed", reason: (error as Error).message };
      }
      switch (outcome.status) {
        case "delivered":
          metrics.pushSent.inc();
          await push.recordDelivery(s.endpoint, true, Date.now());
          return;
        case "gone":
          metrics.pushGone.inc();
          await push.deleteSubscription(s.endpoint);
          return;
        case "failed":
          metrics.pushFailed.inc();
          await push.recordDelivery(s.endpoint, false, Date.now());
          return;
        case "retry": {
          if (attempt >= this.config.maxAttempts || this.closed) {
            metrics.pushFailed.inc();
            await push.recordDelivery(s.endpoint, false, Date.now());
            return;
          }
          metrics.pushRetried.inc();
          await this.sleep(retryDelay(attempt, this.config.retryBaseMs, outcome.afterMs));
          if (this.closed) return;
        }
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      entry.timer.unref();
      this.sleeps.add(entry);
    });
  }
}

/** The start of the text, enough for a preview (whitespace is collapsed later, so keep some spare). */
function previewSource(message: Message): string {
  return (message.body ?? "").slice(0, PREVIEW_CHARS * 4);
}

/** Exponential backoff with ±50% jitter; a push service's Retry-After wins. Capped at 10 minutes. */
export function retryDelay(attempt: number, baseMs: number, retryAfterMs?: number, random = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, MAX_RETRY_DELAY_MS);
  const exp = baseMs * 2 ** (attempt - 1);
  return Math.min(Math.round(exp * (0.5 + random())), MAX_RETRY_DELAY_MS);
}
