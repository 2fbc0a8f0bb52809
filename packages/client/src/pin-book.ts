// The pinned messages of the conversations a UI asked about (`messages.pins`), kept current by the action entries that
// change them: a `pin` puts its target first, an `unpin` or a delete for everyone takes it out, and a changed target
// (edit, reaction) replaces its copy. Conversations nobody asked about are not tracked.

import type { Message, PinnedMessage } from "@parley/protocol";

export class PinBook {
  readonly #pins = new Map<string, PinnedMessage[]>();

  /** The list as last fetched and updated since; undefined when it was never fetched. */
  get(conversationId: string): readonly PinnedMessage[] | undefined {
    return this.#pins.get(conversationId);
  }

  set(conversationId: string, pins: readonly PinnedMessage[]): void {
    this.#pins.set(conversationId, [...pins]);
  }

  /** Applies an entry (or an `updated` target); true when the tracked list of its conversation changed. */
  apply(m: Message): boolean {
    const list = this.#pins.get(m.conversationId);
    if (list === undefined) return false;
    const a = m.action;
    if (m.kind !== "action" || a === undefined) {
      const i = list.findIndex((p) => p.seq === m.seq);
      if (i < 0 || list[i]!.message === m) return false;
      list[i] = { ...list[i]!, message: m };
      return true;
    }
    const at = list.findIndex((p) => p.seq === a.target);
    // An entry older than the fetched list changes nothing (the list already reflects it).
    if (at >= 0 && list[at]!.entrySeq >= m.seq) return false;
    switch (a.type) {
      case "pin": {
        if (m.updated === undefined) return false;
        if (at >= 0) list.splice(at, 1);
        list.unshift({ seq: a.target, pinnedBy: m.senderId, pinnedAt: m.createdAt, entrySeq: m.seq, message: m.updated });
        return true;
      }
      case "unpin":
      case "delete":
        if (at < 0) return false;
        list.splice(at, 1);
        return true;
      default:
        return m.updated !== undefined && this.apply(m.updated);
    }
  }

  clear(): void {
    this.#pins.clear();
  }
}
