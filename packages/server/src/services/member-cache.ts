// Node-local cache of each conversation's current member ids, so fan-out costs no store round trip per message.

import { setNewest } from "../domain/bounded-map.js";
import type { ConversationStore } from "../ports/store.js";

interface Entry {
  ids: readonly string[];
  loadedAt: number;
}

export class MemberCache {
  private readonly entries = new Map<string, Entry>();
  /**
   * Loads in flight, one per conversation. An invalidation removes the conversation's load, so a load that raced
   * with a change finds itself replaced and is not cached; nothing is kept per conversation once its load is done.
   */
  private readonly loading = new Map<string, Promise<readonly string[]>>();

  constructor(
    private readonly store: ConversationStore,
    private readonly capacity = 50_000,
    /**
     * Entries older than this are reloaded: in a cluster an invalidation can be lost with a bus message, and this
     * bounds how long a node may fan out to a stale member list.
     */
    private readonly maxAgeMs = 60_000,
  ) {}

  /** Current member ids; undefined in the cache is loaded once even under concurrent callers. */
  get(conversationId: string): readonly string[] | Promise<readonly string[]> {
    const hit = this.entries.get(conversationId);
    if (hit && Date.now() - hit.loadedAt < this.maxAgeMs) {
      // Refresh recency: Map iteration order is insertion order, the oldest is evicted first.
      this.entries.delete(conversationId);
      this.entries.set(conversationId, hit);
      return hit.ids;
    }
    let pending = this.loading.get(conversationId);
    if (!pending) {
      const load: Promise<readonly string[]> = this.store.getMembers(conversationId).then(
        (members) => {
          const ids = members.map((m) => m.userId);
          if (this.loading.get(conversationId) === load) {
            this.loading.delete(conversationId);
            this.put(conversationId, ids);
          }
          return ids;
        },
        (error: unknown) => {
          if (this.loading.get(conversationId) === load) this.loading.delete(conversationId);
          throw error;
        },
      );
      pending = load;
      this.loading.set(conversationId, load);
    }
    return pending;
  }

  async isMember(conversationId: string, userId: string): Promise<boolean> {
    return (await this.get(conversationId)).includes(userId);
  }

  invalidate(conversationId: string): void {
    this.entries.delete(conversationId);
    this.loading.delete(conversationId);
  }

  /** Conversations the cache holds anything for (loaded lists and loads in flight); tests check the bound. */
  get size(): number {
    return this.entries.size + this.loading.size;
  }

  /** Drops everything (the bus reconnected: invalidations may have been missed). */
  clear(): void {
    for (const id of new Set([...this.entries.keys(), ...this.loading.keys()])) this.invalidate(id);
  }

  private put(conversationId: string, ids: readonly string[]): void {
    setNewest(this.entries, conversationId, { ids, loadedAt: Date.now() }, this.capacity);
  }
}
