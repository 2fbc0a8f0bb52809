// Node-local cache of "does this user block that one", so that a send in a direct conversation costs no store read, and
// of each user's block peers (either way), so that a typing indicator in a group costs none either.
// Blocks change rarely; each change drops the pair's entry on every node (the `blocks-changed` bus message), and an
// entry is reloaded after `maxAgeMs` anyway, which bounds how long a lost bus message can leave a node wrong.

import { setNewest } from "../domain/bounded-map.js";
import type { AccountStore } from "../ports/store.js";

interface Entry {
  blocks: boolean;
  loadedAt: number;
}

interface PeersEntry {
  peers: ReadonlySet<string>;
  loadedAt: number;
}

const key = (ownerId: string, userId: string) => `${ownerId}\n${userId}`;

export class BlockCache {
  private readonly entries = new Map<string, Entry>();
  /** Loads in flight; an invalidation removes the pair's load, so a load that raced with a change is not cached. */
  private readonly loading = new Map<string, Promise<boolean>>();
  /** Per user: the users a block stands between with them, either way; loads in flight beside them as above. */
  private readonly peerEntries = new Map<string, PeersEntry>();
  private readonly peerLoading = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(
    private readonly store: Pick<AccountStore, "blockedBy" | "blockPeers">,
    private readonly capacity = 100_000,
    private readonly maxAgeMs = 60_000,
  ) {}

  /** Whether `ownerId` blocks `userId`: from the cache when known, else one store read shared by concurrent callers. */
  blocks(ownerId: string, userId: string): boolean | Promise<boolean> {
    const k = key(ownerId, userId);
    const hit = this.entries.get(k);
    if (hit && Date.now() - hit.loadedAt < this.maxAgeMs) return hit.blocks;
    let pending = this.loading.get(k);
    if (!pending) {
      const load: Promise<boolean> = this.store.blockedBy(userId, [ownerId]).then(
        (owners) => {
          const blocks = owners.length > 0;
          if (this.loading.get(k) === load) {
            this.loading.delete(k);
            setNewest(this.entries, k, { blocks, loadedAt: Date.now() }, this.capacity);
          }
          return blocks;
        },
        (error: unknown) => {
          if (this.loading.get(k) === load) this.loading.delete(k);
          throw error;
        },
      );
      pending = load;
      this.loading.set(k, load);
    }
    return pending;
  }

  /**
   * The users a block stands between with `userId`, either way (they blocked `userId`, or `userId` blocked them): from
   * the cache when known, else one store read shared by concurrent callers.
   */
  peers(userId: string): ReadonlySet<string> | Promise<ReadonlySet<string>> {
    const hit = this.peerEntries.get(userId);
    if (hit && Date.now() - hit.loadedAt < this.maxAgeMs) return hit.peers;
    let pending = this.peerLoading.get(userId);
    if (!pending) {
      const load: Promise<ReadonlySet<string>> = this.store.blockPeers(userId).then(
        (ids) => {
          const peers = new Set(ids);
          if (this.peerLoading.get(userId) === load) {
            this.peerLoading.delete(userId);
            setNewest(this.peerEntries, userId, { peers, loadedAt: Date.now() }, this.capacity);
          }
          return peers;
        },
        (error: unknown) => {
          if (this.peerLoading.get(userId) === load) this.peerLoading.delete(userId);
          throw error;
        },
      );
      pending = load;
      this.peerLoading.set(userId, load);
    }
    return pending;
  }

  /** `ownerId` blocked or unblocked `userId`. */
  invalidate(ownerId: string, userId: string): void {
    const k = key(ownerId, userId);
    this.entries.delete(k);
    this.loading.delete(k);
    for (const id of [ownerId, userId]) {
      this.peerEntries.delete(id);
      this.peerLoading.delete(id);
    }
  }

  /** Drops everything (the bus reconnected: invalidations may have been missed). */
  clear(): void {
    this.entries.clear();
    this.loading.clear();
    this.peerEntries.clear();
    this.peerLoading.clear();
  }

  /** Pairs and users the cache holds anything for; tests check the bound. */
  get size(): number {
    return this.entries.size + this.loading.size + this.peerEntries.size + this.peerLoading.size;
  }
}
