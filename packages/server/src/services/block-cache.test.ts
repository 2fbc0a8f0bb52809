import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BlockCache } from "./block-cache.js";

/** A store whose `blockedBy` answers from a set of "owner→user" pairs, counting reads; `gate` holds reads back. */
function fakeStore() {
  const pairs = new Set<string>();
  let reads = 0;
  let gate: Promise<void> | undefined;
  return {
    pairs,
    get reads() {
      return reads;
    },
    hold() {
      let release!: () => void;
      gate = new Promise((r) => {
        release = r;
      });
      return () => {
        gate = undefined;
        release();
      };
    },
    async blockedBy(userId: string, ownerIds: readonly string[]): Promise<string[]> {
      reads++;
      const answer = ownerIds.filter((o) => pairs.has(`${o}→${userId}`));
      if (gate) await gate;
      return answer;
    },
    async blockPeers(userId: string): Promise<string[]> {
      reads++;
      const answer = new Set<string>();
      for (const pair of pairs) {
        const [owner, user] = pair.split("→") as [string, string];
        if (owner === userId) answer.add(user);
        if (user === userId) answer.add(owner);
      }
      if (gate) await gate;
      return [...answer];
    },
  };
}

describe("BlockCache", () => {
  it("reads the store once per pair, then answers from memory until the pair changes", async () => {
    const store = fakeStore();
    const cache = new BlockCache(store);
    assert.equal(await cache.blocks("owner", "user"), false);
    assert.equal(cache.blocks("owner", "user"), false, "a cached answer is synchronous");
    assert.equal(store.reads, 1);
    store.pairs.add("owner→user");
    assert.equal(cache.blocks("owner", "user"), false, "still cached: nobody said the pair changed");
    cache.invalidate("owner", "user");
    assert.equal(await cache.blocks("owner", "user"), true);
    assert.equal(await cache.blocks("user", "owner"), false, "blocking is one-way");
    assert.equal(store.reads, 3);
  });

  it("shares one read among concurrent callers, and does not cache a read that raced with a change", async () => {
    const store = fakeStore();
    const cache = new BlockCache(store);
    const release = store.hold();
    const first = cache.blocks("o", "u");
    const second = cache.blocks("o", "u");
    assert.equal(store.reads, 1);
    store.pairs.add("o→u");
    cache.invalidate("o", "u");
    release();
    assert.deepEqual(await Promise.all([first, second]), [false, false]);
    assert.equal(await cache.blocks("o", "u"), true, "the stale answer was not kept");
  });

  it("reloads after the maximum age, keeps no failed read, and stays within its capacity", async () => {
    const store = fakeStore();
    const aged = new BlockCache(store, 10, 0);
    await aged.blocks("o", "u");
    await aged.blocks("o", "u");
    assert.equal(store.reads, 2);

    const failing = new BlockCache({
      blockedBy: async () => {
        throw new Error("store down");
      },
      blockPeers: async () => {
        throw new Error("store down");
      },
    });
    await assert.rejects(async () => failing.blocks("o", "u"), /store down/);
    assert.equal(failing.size, 0);

    const small = new BlockCache(store, 3);
    for (let i = 0; i < 10; i++) await small.blocks(`o${i}`, "u");
    assert.equal(small.size, 3);
    small.clear();
    assert.equal(small.size, 0);
  });

  it("caches each user's block peers both ways and drops them when a pair of theirs changes", async () => {
    const store = fakeStore();
    const cache = new BlockCache(store);
    store.pairs.add("a→b");
    store.pairs.add("c→a");
    assert.deepEqual([...(await cache.peers("a"))].sort(), ["b", "c"]);
    assert.deepEqual([...(cache.peers("a") as ReadonlySet<string>)].sort(), ["b", "c"], "a cached answer is synchronous");
    assert.deepEqual([...(await cache.peers("b"))], ["a"]);
    assert.equal(store.reads, 2);
    store.pairs.delete("a→b");
    cache.invalidate("a", "b");
    assert.deepEqual([...(await cache.peers("a"))], ["c"]);
    assert.deepEqual([...(await cache.peers("b"))], []);
    assert.equal(store.reads, 4);

    const release = store.hold();
    const racing = cache.peers("z");
    store.pairs.add("z→y");
    cache.invalidate("z", "y");
    release();
    assert.deepEqual([...(await racing)], []);
    assert.deepEqual([...(await cache.peers("z"))], ["y"], "the stale answer was not kept");
  });
});
