// Online/offline presence with last seen: devices counted in the presence store, offline announced after a grace period.

import type { Presence } from "@parley/protocol";
import type { PresenceStore } from "../ports/presence-store.js";
import type { AccountStore } from "../ports/store.js";
import { type Delivery, encodeEvent } from "./delivery.js";

/** Users claimed per sweep of expired devices (the sweep repeats on the next tick if more are waiting). */
const EXPIRED_BATCH = 200;

export class PresenceService {
  /** Users whose last device left less than `graceMs` ago: still reported online, so a quick reconnect does not flap. */
  private readonly leaving = new Map<string, NodeJS.Timeout>();
  /** This node's connected devices (connectionId → userId), refreshed in the presence store by `tick`. */
  private readonly local = new Map<string, string>();
  private ticker: NodeJS.Timeout | undefined;
  private ticking = false;

  constructor(
    private readonly presence: PresenceStore,
    private readonly accounts: AccountStore,
    private readonly delivery: Delivery,
    private readonly graceMs: number,
  ) {}

  async connected(userId: string, connectionId: string): Promise<void> {
    this.local.set(connectionId, userId);
    const first = await this.presence.connect(userId, connectionId);
    const pending = this.leaving.get(userId);
    if (pending) {
      clearTimeout(pending);
      this.leaving.delete(userId);
      return;
    }
    if (first) await this.announce({ userId, online: true, lastSeenAt: Date.now() });
  }

  async disconnected(userId: string, connectionId: string): Promise<void> {
    this.local.delete(connectionId);
    const last = await this.presence.disconnect(userId, connectionId);
    if (!last || this.leaving.has(userId)) return;
    const timer = setTimeout(() => {
      this.leaving.delete(userId);
      void this.wentOffline(userId).catch(() => {});
    }, this.graceMs);
    timer.unref();
    this.leaving.set(userId, timer);
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
  start(intervalMs: number, onError: (error: unknown) => void = () => {}): void {
    if (this.ticker) return;
    this.ticker = setInterval(() => {
      if (this.ticking) return;
      this.ticking = true;
      this.tick()
        .catch(onError)
        .finally(() => {
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
    for (const userId of await this.presence.expired(EXPIRED_BATCH)) {
      if (this.leaving.has(userId)) continue;
      await this.wentOffline(userId);
    }
  }

  close(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    for (const t of this.leaving.values()) clearTimeout(t);
    this.leaving.clear();
  }

  private async wentOffline(userId: string): Promise<void> {
    // Another node may have connected a device during the grace period.
    if ((await this.presence.online([userId])).has(userId)) return;
    const at = Date.now();
    await this.accounts.setLastSeen(userId, at);
    await this.announce({ userId, online: false, lastSeenAt: at });
  }

  private announce(presence: Presence): Promise<void> {
    return this.delivery.toPresenceWatchers(presence.userId, encodeEvent("presence", presence));
  }
}
