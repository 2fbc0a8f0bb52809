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

  clear(): void {
    this.#keys.clear();
  }
}

function key(conversationId: string, seq: number): string {
  return `${conversationId}\u0000${seq}`;
}
