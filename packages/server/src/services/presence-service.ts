// Online/offline presence with last seen: devices counted in the presence store, offline announced after a grace period.

import type { Presence } from "@parley/protocol";
import type { BestEffort } from "../observability/best-effort.js";
import type { PresenceStore } from "../ports/presence-store.js";
import type { AccountStore, LastSeen } from "../ports/store.js";
import { type Delivery, encodeEvent } from "./delivery.js";

/** Users claimed per sweep of expired devices (the sweep repeats on the next tick if more are waiting). */
const EXPIRED_BATCH = 200;
/**
 * Users whose grace period runs out within this window of the first go offline together. Small against the grace
 * period (the announcement is this much later at most), long enough to gather a burst of disconnects.
 */
const OFFLINE_BATCH_MS = 100;

export class PresenceService {
  /**
   * Users whose last device left less than `graceMs` ago: still reported online, so a quick reconnect does not flap.
   * `since` is when that device left: the last-seen time recorded if the grace runs out (§7.6: when they went offline).
   */
  private readonly leaving = new Map<string, { timer: NodeJS.Timeout; since: number }>();
  /** This node's connected devices (connectionId → userId), refreshed in the presence store by `tick`. */
  private readonly local = new Map<string, string>();
  private ticker: NodeJS.Timeout | undefined;
  private ticking = false;
  /**
   * Users whose grace period ran out in the last OFFLINE_BATCH_MS. Grace timers of a burst of disconnects (a network
   * failure, a restarting proxy: the start of a reconnect storm) run out together; they go offline in one batch, with
   * one presence lookup and one last-seen write for all, instead of one fsync'd write per user blocking the loop.
   */
  private readonly expiring = new Map<string, number>();
  private expiringFlush: Promise<void> | undefined;

  constructor(
    private readonly presence: PresenceStore,
    private readonly accounts: AccountStore,
    private readonly delivery: Delivery,
    private readonly graceMs: number,
    private readonly failures: BestEffort,
  ) {}

  async connected(userId: string, connectionId: string): Promise<void> {
    this.local.set(connectionId, userId);
    const first = await this.presence.connect(userId, connectionId);
    const pending = this.leaving.get(userId);
    if (pending) {
      clearTimeout(pending.timer);
      this.leaving.delete(userId);
      return;
    }
    if (first) await this.announce({ userId, online: true, lastSeenAt: Date.now() });
  }

  async disconnected(userId: string, connectionId: string): Promise<void> {
    this.local.delete(connectionId);
    const last = await this.presence.disconnect(userId, connectionId);
    if (!last || this.leaving.has(userId)) return;
    const since = Date.now();
    const timer = setTimeout(() => {
      this.leaving.delete(userId);
      this.expire(userId, since);
    }, this.graceMs);
    timer.unref();
    this.leaving.set(userId, { timer, since });
  }

  /** Presence of the users among `userIds` that `viewerId` may see (sharing a conversation, or listed as their contact). */
  async query(viewerId: string, userIds: readonly string[]): Promise<Presence[]> {
    const visible = await this.accounts.filterPresenceVisible(viewerId, userIds);
    if (visible.length === 0) return [];
    const [online, users] = await Promise.all([this.presence.online(visible), this.accounts.getUsersByIds(visible)]);
    const now = Date.now();
    return users.map((u) => {
      const isOnline = online.has(u.id) || this.leaving.has(u.id);
      return { userId: u.id, online: isOnline, lastSeenAt: isOnline ? now : u.lastSeenAt };
    });
  }

  /** Which of `userIds` the viewer may watch. */
  visible(viewerId: string, userIds: readonly string[]): Promise<string[]> {
    return this.accounts.filterPresenceVisible(viewerId, userIds);
  }

  /**
   * Every `intervalMs`: refreshes this node's devices in the presence store (so they outlive its TTL only while this
   * node lives), announces users whose devices the store had lost, and announces offline the users whose devices
   * expired because their node died (each such user is claimed by one node only).
   */
  start(intervalMs: number): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => {
      if (this.ticking) return;
      this.ticking = true;
      this.failures.attempt("presence.heartbeat", this.tick()).finally(() => {
        this.ticking = false;
      });
    }, intervalMs);
    this.ticker.unref();
  }

  /** One heartbeat and sweep (exposed for tests). */
  async tick(): Promise<void> {
    const devices = [...this.local].map(([connectionId, userId]) => ({ userId, connectionId }));
    const revived = await this.presence.heartbeat(devices);
    const now = Date.now();
    for (const userId of revived) await this.announce({ userId, online: true, lastSeenAt: now });
    // Their node died without saying when they left: the time this node noticed is the best known.
    const expired = await this.presence.expired(EXPIRED_BATCH);
    await this.wentOffline(expired.filter((userId) => !this.leaving.has(userId)).map((userId) => ({ userId, at: now })));
  }

  close(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    for (const { timer } of this.leaving.values()) clearTimeout(timer);
    this.leaving.clear();
    this.expiring.clear();
  }

  /** Queues a user whose grace period ran out; the users queued within OFFLINE_BATCH_MS go offline together. */
  private expire(userId: string, since: number): void {
    this.expiring.set(userId, since);
    this.expiringFlush ??= new Promise<void>((resolve) => setTimeout(resolve, OFFLINE_BATCH_MS).unref())
      .then(() => {
        const batch = [...this.expiring].map(([id, at]) => ({ userId: id, at }));
        this.expiring.clear();
        this.expiringFlush = undefined;
        return this.wentOffline(batch);
      })
      .catch((error: unknown) => this.failures.failed("presence.offline", error));
  }

  /**
   * Records the last-seen time of those still offline (one write) and announces them offline with it: the time they
   * went offline, not the end of the grace period.
   */
  private async wentOffline(seen: readonly LastSeen[]): Promise<void> {
    if (seen.length === 0) return;
    // Another node (or this one, since the timer ran out) may have connected a device meanwhile.
    const online = await this.presence.online(seen.map((s) => s.userId));
    const gone = seen.filter((s) => !online.has(s.userId));
    if (gone.length === 0) return;
    await this.accounts.setLastSeenMany(gone);
    await Promise.all(gone.map(({ userId, at }) => this.announce({ userId, online: false, lastSeenAt: at })));
  }

  private announce(presence: Presence): Promise<void> {
    return this.delivery.toPresenceWatchers(presence.userId, encodeEvent("presence", presence));
  }
}
