// How stored entries are shown to a reader: reactions aggregated per message, "delete for me" applied, and each
// action entry carrying its target in the target's current state.

import type { Message, Reaction } from "@parley/protocol";
import type { MessageStore } from "../ports/store.js";

export class MessageView {
  constructor(private readonly store: MessageStore) {}

  /**
   * Completes entries of one conversation for `viewerId` (undefined: a view for every member, as fanned out live,
   * where clients apply their own "delete for me"). Costs one reactions query, one hidden query for a viewer, and
   * one more read when action entries point outside the page.
   */
  async present(conversationId: string, messages: readonly Message[], viewerId?: string): Promise<Message[]> {
    if (messages.length === 0) return [];
    const bySeq = new Map<number, Message>();
    for (const m of messages) bySeq.set(m.seq, m);
    const missing = new Set<number>();
    for (const m of messages) if (m.action !== undefined && !bySeq.has(m.action.target)) missing.add(m.action.target);
    if (missing.size > 0) {
      for (const m of await this.store.getMessagesBySeq(conversationId, [...missing])) bySeq.set(m.seq, m);
    }
    const texts: number[] = [];
    const live: number[] = [];
    for (const m of bySeq.values()) {
      if (m.kind !== "text") continue;
      texts.push(m.seq);
      if (m.deletedAt === undefined) live.push(m.seq);
    }
    const [reactionRows, hiddenSeqs] = await Promise.all([
      this.store.getReactions(conversationId, live),
      viewerId === undefined ? Promise.resolve([]) : this.store.getHiddenSeqs(viewerId, conversationId, texts),
    ]);
    const reactions = groupReactions(reactionRows);
    const hidden = new Set(hiddenSeqs);
    const shape = (m: Message): Message => {
      if (m.kind !== "text") return m;
      if (hidden.has(m.seq)) return hiddenForMe(m);
      const r = reactions.get(m.seq);
      return r === undefined ? m : { ...m, reactions: r };
    };
    return messages.map((m) => {
      if (m.action === undefined) return shape(m);
      const target = bySeq.get(m.action.target);
      return target === undefined ? m : { ...m, updated: shape(target) };
    });
  }

  /**
   * `present` for entries of several conversations (search hits), in their order: one view query per conversation.
   */
  async presentAcross(messages: readonly Message[], viewerId: string): Promise<Message[]> {
    const byConversation = new Map<string, number[]>();
    messages.forEach((m, i) => {
      const indexes = byConversation.get(m.conversationId);
      if (indexes === undefined) byConversation.set(m.conversationId, [i]);
      else indexes.push(i);
    });
    const out = [...messages];
    await Promise.all(
      [...byConversation].map(async ([conversationId, indexes]) => {
        const shown = await this.present(
          conversationId,
          indexes.map((i) => messages[i]!),
          viewerId,
        );
        indexes.forEach((i, k) => {
          out[i] = shown[k]!;
        });
      }),
    );
    return out;
  }
}

/** A message the reader deleted for themself: its place in the order, nothing of its content. */
export function hiddenForMe(m: Message): Message {
  const { replyTo: _r, reactions: _x, editedAt: _e, ...rest } = m;
  return { ...rest, body: null, hidden: true };
}

function groupReactions(rows: readonly { seq: number; emoji: string; userId: string }[]): Map<number, Reaction[]> {
  const bySeq = new Map<number, Map<string, string[]>>();
  for (const row of rows) {
    let emojis = bySeq.get(row.seq);
    if (emojis === undefined) {
      emojis = new Map();
      bySeq.set(row.seq, emojis);
    }
    const users = emojis.get(row.emoji);
    if (users === undefined) emojis.set(row.emoji, [row.userId]);
    else users.push(row.userId);
  }
  const result = new Map<number, Reaction[]>();
  for (const [seq, emojis] of bySeq) {
    result.set(
      seq,
      [...emojis].map(([emoji, userIds]) => ({ emoji, count: userIds.length, userIds })),
    );
  }
  return result;
}
