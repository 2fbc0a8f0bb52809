// Applying replies, edits, deletes and reactions to a client's copy of a conversation (docs/protocol.md §6.8).

import type { Message } from "@parley/protocol";

/** A text or system entry: what a timeline shows. Action entries only change earlier messages. */
export function isShown(message: Message): boolean {
  return message.kind !== "action";
}

/** The message as its reader sees it after deleting it for themself: its place in the order, nothing else. */
export function hiddenForMe(message: Message): Message {
  const { replyTo: _r, reactions: _x, editedAt: _e, ...rest } = message;
  return { ...rest, body: null, hidden: true };
}

/** Longest reply preview, as the server cuts it. */
export const PREVIEW_CHARS = 200;

/**
 * Replaces the message with `updated.seq` in an ascending list (a timeline) with `updated`, and refreshes the quote
 * of every reply to it (new text, or "deleted"), as the server shows them; returns the same list when nothing
 * changed. A message the reader hid stays hidden.
 */
export function applyUpdate(messages: readonly Message[], updated: Message): readonly Message[] {
  let copy: Message[] | undefined;
  const index = findSeq(messages, updated.seq);
  if (index >= 0) {
    copy = messages.slice();
    copy[index] = messages[index]!.hidden ? hiddenForMe(updated) : updated;
  }
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    if (m.replyTo?.seq !== updated.seq) continue;
    copy ??= messages.slice();
    copy[i] = { ...m, replyTo: quoteOf(updated) };
  }
  return copy ?? messages;
}

/** The `replyTo` of a reply quoting `quoted` in its current state. */
export function quoteOf(quoted: Message): NonNullable<Message["replyTo"]> {
  if (quoted.deletedAt !== undefined || quoted.body === null) {
    return { seq: quoted.seq, senderId: quoted.senderId, preview: null, deleted: true };
  }
  return { seq: quoted.seq, senderId: quoted.senderId, preview: quoted.body.slice(0, PREVIEW_CHARS) };
}

/** Marks the message with `seq` hidden for the reader ("delete for me"); the same list when it is not there. */
export function applyHidden(messages: readonly Message[], seq: number): readonly Message[] {
  const index = findSeq(messages, seq);
  if (index < 0 || messages[index]!.hidden) return messages;
  const copy = messages.slice();
  copy[index] = hiddenForMe(copy[index]!);
  return copy;
}

/** Whether `userId` reacted with `emoji` to the message. */
export function hasReacted(message: Message, emoji: string, userId: string): boolean {
  return message.reactions?.some((r) => r.emoji === emoji && r.userIds.includes(userId)) ?? false;
}

function findSeq(messages: readonly Message[], seq: number): number {
  let lo = 0;
  let hi = messages.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const at = messages[mid]!.seq;
    if (at === seq) return mid;
    if (at < seq) lo = mid + 1;
    else hi = mid - 1;
  }
  // Not sorted (or absent): fall back to a scan.
  return messages.findIndex((m) => m.seq === seq);
}
