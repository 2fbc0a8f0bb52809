// In-process presence for the single-node deployment: the set of connected devices per user.

import type { PresenceStore } from "../../ports/presence-store.js";

export class MemoryPresenceStore implements PresenceStore {
  private readonly devices = new Map<string, Set<string>>();

  async connect(userId: string, connectionId: string): Promise<boolean> {
    let set = this.devices.get(userId);
    if (!set) {
      set = new Set();
      this.devices.set(userId, set);
    }
    set.add(connectionId);
    return set.size === 1;
  }

  async disconnect(userId: string, connectionId: string): Promise<boolean> {
    const set = this.devices.get(userId);
    if (!set) return true;
    set.delete(connectionId);
    if (set.size > 0) return false;
    this.devices.delete(userId);
    return true;
  }

  /** Devices live as long as this process: nothing expires, nothing is lost. */
  async heartbeat(): Promise<string[]> {
    return [];
  }

  async expired(): Promise<string[]> {
    return [];
  }

  async ping(): Promise<void> {}

  async online(userIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (const id of userIds) if (this.devices.has(id)) out.add(id);
    return out;
  }

  async close(): Promise<void> {
    this.devices.clear();
  }
}
