// Bounded caches on a plain Map: Map iteration follows insertion order, so re-inserting an entry on every write (or
// use) keeps the least recently written one first, and that one makes room when the map is full.

/** Sets `key` as the newest entry of `map`, then drops the oldest entries beyond `capacity`. */
export function setNewest<K, V>(map: Map<K, V>, key: K, value: V, capacity: number): void {
  map.delete(key);
  map.set(key, value);
  while (map.size > capacity) {
    const oldest = map.keys().next();
    if (oldest.done) return;
    map.delete(oldest.value);
  }
}
