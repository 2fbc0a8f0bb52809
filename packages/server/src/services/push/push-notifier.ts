// Decides who gets a push notification for committed messages, coalesces bursts and delivers with retries.

import type { Message } from "@parley/protocol";
import { formattedAsPlainText, mentionedUserIds } from "@parley/protocol";
import type { BestEffort } from "../../observability/best-effort.js";
import type { Metrics } from "../../observability/metrics.js";
import type { PresenceStore } from "../../ports/presence-store.js";
import type { PushOptions, PushOutcome, PushProvider } from "../../ports/push-provider.js";
import type { PushStore, PushSubscriptionRecord } from "../../ports/push-store.js";
import type { AccountStore, ConversationRecord, ConversationStore, MessageStore } from "../../ports/store.js";
import { type RetentionPolicy, shortestAge } from "../retention-policy.js";
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
  /** A channel's message: `memberIds` are only those to notify, coalesced per user and channel to one a minute. */
  channel?: true;
}

/** A channel notifies each user at most once per this window (docs/channels.md, decision 5). */
export const CHANNEL_PUSH_WINDOW_MS = 60_000;

/** Recipients waiting in windows, all conversations together; beyond, new ones are dropped (and counted). */
const MAX_PENDING = 100_000;
/** Longest wait between two attempts, whatever the backoff or Retry-After says. */
const MAX_RETRY_DELAY_MS = 10 * 60_000;

/** One message as a pending notification remembers it: small whatever the text (only as much as a preview shows). */
interface Summary {
  seq: number;
  senderId: string;
  body: string;
  /** When the entry was created: retention deletes it, and its notification with it, at createdAt + max age. */
  createdAt: number;
}

/** A recipient's share of a window: how many messages, the newest entry, and who added them to the group if someone did. */
interface Recipient {
  count: number;
  last: Summary;
  addedBy?: string;
  /** A message of the window mentions the recipient: it may notify in a muted conversation (their choice). */
  mentioned?: true;
}

/** A conversation's open coalescing window on this node: who is waiting for a notification, fired by one timer. */
interface Window {
  conversationId: string;
  recipients: Map<string, Recipient>;
  /** Senders of the window's messages (for "n new messages from X" versus "n new messages"). */
  senders: Set<string>;
  /** Who added members in this window (their names are shown). */
  actors: Set<string>;
  timer: NodeJS.Timeout;
  /** How long after this window fires the next one of the conversation waits at least. */
  coalesceMs: number;
}

/**
 * Runs on the node that committed the message (so nodes never push the same message twice); coalescing is per node.
 * The send path only calls `committed`, which returns at once. Per batch: one presence lookup over its members; per
 * message and offline member: one map update. Per conversation and window: one timer, one presence re-check and one
 * subscription lookup for everyone waiting; store reads per recipient only for those with a subscription.
 */
export class PushNotifier {
  private readonly windows = new Map<string, Window>();
  private pendingRecipients = 0;
  /** When each conversation's last window fired: the next one waits until a window has passed. */
  private readonly lastFired = new Map<string, number>();
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly deps: {
      presence: PresenceStore;
      store: AccountStore & ConversationStore & MessageStore;
      push: PushStore;
      /** The server's maximum message age, which bounds how long a notification may wait (§6.14). */
      retention: Pick<RetentionPolicy, "maxMessageAge">;
      providers: readonly PushProvider[];
      metrics: Metrics;
      failures: BestEffort;
    },
    private readonly config: NotifierConfig,
  ) {}

  /** Called after a batch is committed; never throws and never waits. */
  committed(batch: readonly CommittedMessage[]): void {
    if (this.closed) return;
    const relevant = batch.filter((c) => c.message.kind === "text" || addedUserIds(c.message) !== undefined);
    if (relevant.length === 0) return;
    this.track(this.deps.failures.attempt("push.presence-check", this.consider(relevant)));
  }

  /** Cancels pending notifications and retries, and waits for deliveries under way. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.windows.values()) clearTimeout(w.timer);
    this.windows.clear();
    this.pendingRecipients = 0;
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.resolve();
    }
    await Promise.allSettled([...this.inFlight]);
  }

  /** Recipients waiting in open windows. */
  get pendingCount(): number {
    return this.pendingRecipients;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async consider(batch: readonly CommittedMessage[]): Promise<void> {
    // One presence lookup for the whole batch; a conversation's member list is the same object for all its messages.
    const lists = new Set<readonly string[]>();
    for (const c of batch) lists.add(c.memberIds);
    let candidates: readonly string[];
    if (lists.size === 1) candidates = batch[0]!.memberIds;
    else {
      const union = new Set<string>();
      for (const list of lists) for (const id of list) union.add(id);
      candidates = [...union];
    }
    if (candidates.length === 0) return;
    const online = await this.deps.presence.online(candidates);
    if (this.closed) return;
    let coalesced = 0;
    for (const { message, memberIds, channel } of batch) {
      const added = channel ? undefined : addedUserIds(message);
      if (added) {
        this.addedToGroup(message, added, online);
        continue;
      }
      const summary: Summary = {
        seq: message.seq,
        senderId: message.senderId,
        body: (message.body ?? "").slice(0, PREVIEW_CHARS * 4),
        createdAt: message.createdAt,
      };
      const mentioned = new Set(mentionedUserIds(message.body ?? ""));
      let window: Window | undefined;
      for (const userId of memberIds) {
        if (userId === message.senderId || online.has(userId)) continue;
        window ??= this.window(message.conversationId, channel === true);
        const r = window.recipients.get(userId);
        if (r) {
          r.count++;
          if (summary.seq > r.last.seq) r.last = summary;
          if (mentioned.has(userId)) r.mentioned = true;
          coalesced++;
        } else if (this.pendingRecipients < MAX_PENDING) {
          window.recipients.set(userId, { count: 1, last: summary, ...(mentioned.has(userId) ? { mentioned: true } : {}) });
          this.pendingRecipients++;
        } else {
          this.deps.metrics.pushSkipped.inc({ reason: "overload" });
        }
      }
      window?.senders.add(message.senderId);
    }
    if (coalesced > 0) this.deps.metrics.pushCoalesced.inc(coalesced);
  }

  /** Users added to a group (or to a new group) who are offline are told who added them, unless a message follows. */
  private addedToGroup(message: Message, userIds: readonly string[], online: ReadonlySet<string>): void {
    const actorId = message.event!.actorId;
    const summary: Summary = { seq: message.seq, senderId: actorId, body: "", createdAt: message.createdAt };
    let window: Window | undefined;
    for (const userId of userIds) {
      if (userId === actorId || online.has(userId)) continue;
      window ??= this.window(message.conversationId);
      const r = window.recipients.get(userId);
      if (r) {
        r.addedBy = actorId;
        if (summary.seq > r.last.seq && r.count === 0) r.last = summary;
      } else if (this.pendingRecipients < MAX_PENDING) {
        window.recipients.set(userId, { count: 0, last: summary, addedBy: actorId });
        this.pendingRecipients++;
      }
    }
    window?.actors.add(actorId);
  }

  /**
   * The conversation's open window, opened now if there is none. A channel's windows are a minute at least, so each
   * user gets at most one notification per channel and minute (summing the messages, mentions kept).
   */
  private window(conversationId: string, channel = false): Window {
    const open = this.windows.get(conversationId);
    if (open) return open;
    const now = Date.now();
    const coalesceMs = channel ? Math.max(this.config.coalesceMs, CHANNEL_PUSH_WINDOW_MS) : this.config.coalesceMs;
    const wait = Math.max(this.config.graceMs, this.config.coalesceMs);
    const due = Math.max(now + wait, (this.lastFired.get(conversationId) ?? 0) + coalesceMs);
    const timer = setTimeout(() => this.fire(conversationId), due - now);
    timer.unref();
    const window: Window = {
      conversationId,
      recipients: new Map(),
      senders: new Set(),
      actors: new Set(),
      timer,
      coalesceMs,
    };
    this.windows.set(conversationId, window);
    return window;
  }

  private fire(conversationId: string): void {
    const w = this.windows.get(conversationId);
    if (!w) return;
    this.windows.delete(conversationId);
    this.pendingRecipients -= w.recipients.size;
    const at = Date.now();
    this.lastFired.set(conversationId, at);
    const forget = setTimeout(() => {
      if (this.lastFired.get(conversationId) === at) this.lastFired.delete(conversationId);
    }, w.coalesceMs);
    forget.unref();
    this.track(this.deps.failures.attempt("push.notify", this.notifyWindow(w)));
  }

  private async notifyWindow(w: Window): Promise<void> {
    const { store, push, metrics } = this.deps;
    const skip = (reason: string, n = 1) => {
      if (n > 0) metrics.pushSkipped.inc({ reason }, n);
    };
    let userIds = [...w.recipients.keys()];
    // The grace period has passed: users who came back meanwhile get the messages live, not as a notification.
    const online = await this.deps.presence.online(userIds);
    skip("online", online.size);
    userIds = userIds.filter((id) => !online.has(id));
    if (userIds.length === 0) return;
    const byUser = new Map<string, PushSubscriptionRecord[]>();
    for (const s of await push.listSubscriptions(userIds)) {
      const list = byUser.get(s.userId);
      if (list) list.push(s);
      else byUser.set(s.userId, [s]);
    }
    skip("no_subscription", userIds.length - byUser.size);
    if (byUser.size === 0) return;
    const conversation = await store.getConversation(w.conversationId);
    if (!conversation) return;
    const maxAge = shortestAge(
      conversation.retentionSeconds,
      conversation.disappearSeconds,
      await this.deps.retention.maxMessageAge(),
    );
    // The people a preview mentions are named in it as well.
    const named = new Set([...w.senders, ...w.actors]);
    for (const userId of byUser.keys()) for (const id of mentionedUserIds(w.recipients.get(userId)!.last.body)) named.add(id);
    const names = new Map((await store.getUsersByIds([...named])).map((u) => [u.id, u.displayName]));
    await Promise.all(
      [...byUser].map(([userId, subscriptions]) =>
        this.notifyUser(conversation, maxAge, userId, w.recipients.get(userId)!, w.senders, names, subscriptions),
      ),
    );
  }

  private async notifyUser(
    conversation: ConversationRecord,
    /** The conversation's age limit in seconds (null: none). */
    maxAge: number | null,
    userId: string,
    r: Recipient,
    senders: ReadonlySet<string>,
    names: ReadonlyMap<string, string>,
    subscriptions: readonly PushSubscriptionRecord[],
  ): Promise<void> {
    const { store, push, metrics } = this.deps;
    const skip = (reason: string) => metrics.pushSkipped.inc({ reason });
    const now = Date.now();
    // A notification never outlives its message: none once it expired, and the push service drops a queued one then.
    const expiresAt = maxAge === null ? Number.POSITIVE_INFINITY : r.last.createdAt + maxAge * 1000;
    if (expiresAt <= now) return skip("expired");
    const [settings, mute, membership] = await Promise.all([
      push.getNotificationSettings(userId),
      push.getMute(userId, conversation.id, now),
      store.getMembership(conversation.id, userId),
    ]);
    if (settings.dndUntil !== null && settings.dndUntil > now) return skip("dnd");
    if (mute !== null && !(r.mentioned && settings.mentionsInMuted)) return skip("muted");
    if (!membership || membership.leftSeq !== null) return skip("not_member");
    if (membership.readSeq >= r.last.seq) return skip("read");
    const unread = r.count === 0 ? 0 : await store.countUnread(conversation.id, userId, membership.readSeq, r.last.seq);
    // The newest sender last: the body names them.
    const others = [...senders].filter((id) => id !== userId && id !== r.last.senderId);
    const payload = buildPayload({
      conversation,
      senders: [...others, r.last.senderId].map((id) => names.get(id) ?? "Someone"),
      // What the reader would see, without formatting markers (docs/protocol.md §7.5, "Formatting").
      lastBody: formattedAsPlainText(r.last.body, (id) => names.get(id) ?? "someone"),
      count: Math.max(r.count, unread),
      seq: r.last.seq,
      previews: settings.previews,
      ...(r.addedBy === undefined ? {} : { addedBy: names.get(r.addedBy) ?? "Someone" }),
    });
    const options: PushOptions = {
      ttlSeconds: Math.max(0, Math.min(this.config.ttlSeconds, Math.floor((expiresAt - Date.now()) / 1000))),
      urgency: conversation.kind === "direct" ? "high" : "normal",
      topic: conversationTopic(conversation.id),
    };
    const json = JSON.stringify(payload);
    await Promise.all(subscriptions.map((s) => this.deliver(s, json, options, expiresAt)));
  }

  /** One device: retries transient failures with exponential backoff and jitter, removes gone subscriptions. */
  private async deliver(s: PushSubscriptionRecord, payload: string, options: PushOptions, expiresAt: number): Promise<void> {
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
          // The message expired while this retry waited: its payload is dropped, not delivered.
          if (Date.now() >= expiresAt) {
            metrics.pushSkipped.inc({ reason: "expired" });
            return;
          }
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

/** The users a system entry adds to a group (created with them, members added); undefined for other entries. */
function addedUserIds(message: Message): readonly string[] | undefined {
  const e = message.event;
  if (message.kind !== "system" || !e) return undefined;
  if (e.type === "member.added") return e.userIds;
  // A direct conversation's creation (title null) is no news: its first message notifies.
  if (e.type === "conversation.created" && e.title !== null) return e.userIds;
  return undefined;
}

/** Exponential backoff with ±50% jitter; a push service's Retry-After wins. Capped at 10 minutes. */
export function retryDelay(attempt: number, baseMs: number, retryAfterMs?: number, random = Math.random): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, MAX_RETRY_DELAY_MS);
  const exp = baseMs * 2 ** (attempt - 1);
  return Math.min(Math.round(exp * (0.5 + random())), MAX_RETRY_DELAY_MS);
}
