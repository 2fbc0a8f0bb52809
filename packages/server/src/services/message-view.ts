// How stored entries are shown to a reader: reactions aggregated per message, "delete for me" applied, each action
// entry carrying its target in the target's current state, all limited to the reader's membership window.

import type { Message, Reaction } from "@parley/protocol";
import { limitToWindow, type MembershipWindow } from "../domain/membership-window.js";
import type { MessageStore } from "../ports/store.js";

/** Who reads: a user and their membership row of the conversation (current or past). */
export interface Reader {
  userId: string;
  joinedSeq: number;
  leftSeq: number | null;
}

export class MessageView {
  constructor(private readonly store: MessageStore) {}

  /**
   * Completes entries of one conversation, all inside `reader`'s window, for that reader (undefined: the current state
   * for every member, as fanned out live, where clients apply their own "delete for me" and the fan-out applies
   * `limitToWindow` per group of recipients). Costs one reactions query, one hidden query for a reader, one more read
   * when action entries point outside the page, and for a former member one read of the quoted messages.
   */
  async present(conversationId: string, messages: readonly Message[], reader?: Reader): Promise<Message[]> {
    if (messages.length === 0) return [];
    const bySeq = new Map<number, Message>();
    for (const m of messages) bySeq.set(m.seq, m);
    const former = reader !== undefined && reader.leftSeq !== null;
    const missing = new Set<number>();
    for (const m of messages) if (m.action !== undefined && !bySeq.has(m.action.target)) missing.add(m.action.target);
    // A former member's leave entry says when they left: changes after that are withheld from them.
    if (former && !bySeq.has(reader.leftSeq!)) missing.add(reader.leftSeq!);
    await this.fetchInto(conversationId, missing, bySeq);
    if (former) {
      const quotes = new Set<number>();
      for (const m of bySeq.values()) if (m.replyTo !== undefined && !bySeq.has(m.replyTo.seq)) quotes.add(m.replyTo.seq);
      await this.fetchInto(conversationId, quotes, bySeq);
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
      reader === undefined ? Promise.resolve([]) : this.store.getHiddenSeqs(reader.userId, conversationId, texts),
    ]);
    // A former member sees the reactions added while they were a member (those removed since cannot be restored).
    const reactions = groupReactions(former ? reactionRows.filter((r) => r.entrySeq <= reader.leftSeq!) : reactionRows);
    const hidden = new Set(hiddenSeqs);
    const shape = (m: Message): Message => {
      if (m.kind !== "text") return m;
      if (hidden.has(m.seq)) return hiddenForMe(m);
      const r = reactions.get(m.seq);
      return r === undefined ? m : { ...m, reactions: r };
    };
    const shown = messages.map((m) => {
      if (m.action === undefined) return shape(m);
      const target = bySeq.get(m.action.target);
      return target === undefined ? m : { ...m, updated: shape(target) };
    });
    if (reader === undefined) return shown;
    const window: MembershipWindow = {
      joinedSeq: reader.joinedSeq,
      leftSeq: reader.leftSeq,
      leftAt: former ? (bySeq.get(reader.leftSeq!)?.createdAt ?? null) : null,
    };
    return shown.map((m) => limitToWindow(m, window, bySeq));
  }

  /**
   * `present` for entries of several conversations (search hits), in their order: one view query per conversation.
   * `readers`: the reader's membership row per conversation.
   */
  async presentAcross(messages: readonly Message[], readers: ReadonlyMap<string, Reader>): Promise<Message[]> {
    const byConversation = new Map<string, number[]>();
    messages.forEach((m, i) => {
      const indexes = byConversation.get(m.conversationId);
      if (indexes === undefined) byConversation.set(m.conversationId, [i]);
      else indexes.push(i);
    });
    const out = [...messages];
    await Promise.all(
      [...byConversation].map(async ([conversationId, indexes]) => {
        const reader = readers.get(conversationId);
        if (reader === undefined) throw new Error(`presentAcross: no reader for conversation ${conversationId}`);
        const shown = await this.present(
          conversationId,
          indexes.map((i) => messages[i]!),
          reader,
        );
        indexes.forEach((i, k) => {
          out[i] = shown[k]!;
        });
      }),
    );
    return out;
  }

  private async fetchInto(conversationId: string, seqs: ReadonlySet<number>, bySeq: Map<number, Message>): Promise<void> {
    if (seqs.size === 0) return;
    for (const m of await this.store.getMessagesBySeq(conversationId, [...seqs])) bySeq.set(m.seq, m);
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
