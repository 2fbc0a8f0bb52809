// The (conversation, seq) pairs the user deleted for themself, as far as this client has learned: later updates of
// them stay hidden.

export class HiddenMessages {
  readonly #keys = new Set<string>();

  has(conversationId: string, seq: number): boolean {
    return this.#keys.has(key(conversationId, seq));
  }

  /** Remembers the pair; true when it was not known yet. */
  add(conversationId: string, seq: number): boolean {
    const k = key(conversationId, seq);
    if (this.#keys.has(k)) return false;
    this.#keys.add(k);
    return true;
  }

  /** Forgets the conversation's pairs with seq ≤ `seq` (their entries expired). */
  forgetThrough(conversationId: string, seq: number): void {
    const prefix = key(conversationId, 0).slice(0, -1);
    for (const k of this.#keys) {
      if (k.startsWith(prefix) && Number(k.slice(prefix.length)) <= seq) this.#keys.delete(k);
    }
  }

  clear(): void {
    this.#keys.clear();
  }
}

function key(conversationId: string, seq: number): string {
  return `${conversationId}\u0000${seq}`;
}
