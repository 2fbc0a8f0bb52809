// Node-local cache of each conversation's current member ids (and where each one's history window starts), so fan-out
// costs no store round trip per message.

import { setNewest } from "../domain/bounded-map.js";
import type { ConversationStore } from "../ports/store.js";
import { requireCurrentMember } from "./conversation-access.js";

/** The current members: their ids, and each one's joinedSeq. */
export interface Members {
  ids: readonly string[];
  joinedSeq: ReadonlyMap<string, number>;
}

interface Entry extends Members {
  loadedAt: number;
}

export class MemberCache {
  private readonly entries = new Map<string, Entry>();
  /**
   * Loads in flight, one per conversation. An invalidation removes the conversation's load, so a load that raced
   * with a change finds itself replaced and is not cached; nothing is kept per conversation once its load is done.
   */
  private readonly loading = new Map<string, Promise<Members>>();

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
    const members = this.current(conversationId);
    return "ids" in members ? members.ids : members.then((m) => m.ids);
  }

  /** The current members with each one's joinedSeq (where their history window starts), cached as `get`. */
  current(conversationId: string): Members | Promise<Members> {
    const hit = this.entries.get(conversationId);
    if (hit && Date.now() - hit.loadedAt < this.maxAgeMs) {
      // Refresh recency: Map iteration order is insertion order, the oldest is evicted first.
      this.entries.delete(conversationId);
      this.entries.set(conversationId, hit);
      return hit;
    }
    let pending = this.loading.get(conversationId);
    if (!pending) {
      const load: Promise<Members> = this.store.getMembers(conversationId).then(
        (rows) => {
          const members: Members = {
            ids: rows.map((m) => m.userId),
            joinedSeq: new Map(rows.map((m) => [m.userId, m.joinedSeq])),
          };
          if (this.loading.get(conversationId) === load) {
            this.loading.delete(conversationId);
            this.put(conversationId, members);
          }
          return members;
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

  /**
   * Passes for a current member, from the cache; anyone else is refused by the access rule (conversation-access.ts),
   * which needs the store to tell a former member from an outsider. Only refusals pay that read.
   */
  async requireMember(conversationId: string, userId: string): Promise<void> {
    if (await this.isMember(conversationId, userId)) return;
    requireCurrentMember(await this.store.getMembership(conversationId, userId));
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

  private put(conversationId: string, members: Members): void {
    setNewest(this.entries, conversationId, { ...members, loadedAt: Date.now() }, this.capacity);
  }
}
