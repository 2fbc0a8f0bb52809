// The one rule for what a reader may see of an entry's targets (an action's target, a reply's quoted message) given
// the reader's membership window: nothing from before they joined, and no change made after they left.

import type { Message, ReplyRef } from "@parley/protocol";

/**
 * Clocks of nodes drift a little: an edit or delete stamped up to this long before the reader's leave entry counts as
 * made after it (withholding a change the reader did see is safe, showing one they did not is not).
 */
export const LEAVE_CLOCK_SLACK_MS = 5000;

/** A reader's history window: the entries joinedSeq ≤ seq ≤ leftSeq (no upper end while a member). */
export interface MembershipWindow {
  joinedSeq: number;
  leftSeq: number | null;
  /** When the leave entry (at leftSeq) was stored; null while a member, or when unknown (then every change counts). */
  leftAt: number | null;
}

/** True when seq lies in the window. */
export function covers(window: MembershipWindow, seq: number): boolean {
  return seq >= window.joinedSeq && (window.leftSeq === null || seq <= window.leftSeq);
}

/**
 * True when a former member must not see the text message's current state: it was edited or deleted after they left.
 * The store keeps only the current body, so what they saw cannot be shown instead.
 */
export function changedSinceLeaving(window: MembershipWindow, m: Pick<Message, "editedAt" | "deletedAt">): boolean {
  if (window.leftSeq === null) return false;
  if (window.leftAt === null) return true;
  const since = window.leftAt - LEAVE_CLOCK_SLACK_MS;
  return (m.editedAt !== undefined && m.editedAt >= since) || (m.deletedAt !== undefined && m.deletedAt >= since);
}

/**
 * The seqs of other messages whose content `entry` shows besides its own: an action's target and that target's quoted
 * message, or a reply's quoted message. Two readers for whom `covers` answers the same for each of these see the same
 * entry (fan-out groups live recipients by it).
 */
export function referencedSeqs(entry: Message): number[] {
  const seqs: number[] = [];
  if (entry.updated !== undefined) {
    seqs.push(entry.updated.seq);
    if (entry.updated.replyTo !== undefined) seqs.push(entry.updated.replyTo.seq);
  }
  if (entry.replyTo !== undefined) seqs.push(entry.replyTo.seq);
  return seqs;
}

/**
 * `entry` (an entry of the reader's window, presented with its targets in their current state) as the reader with
 * `window` may see it:
 * - a text message a former member saw but that changed after they left is withheld (`withheldMessage`);
 * - a reply whose quoted message is outside the window, or changed after a former member left, quotes nothing
 *   (`withheldQuote`);
 * - an action whose target is outside the window carries no `updated`; a target inside it follows the rules above.
 * `quoted`: the quoted messages by seq, needed for former members only (one missing counts as changed).
 */
export function limitToWindow(entry: Message, window: MembershipWindow, quoted: ReadonlyMap<number, Message>): Message {
  if (entry.kind === "text") {
    if (changedSinceLeaving(window, entry)) return withheldMessage(entry);
    const ref = entry.replyTo;
    if (ref === undefined || ref.withheld || quoteVisible(ref, window, quoted)) return entry;
    return { ...entry, replyTo: withheldQuote(ref) };
  }
  if (entry.updated === undefined) return entry;
  if (!covers(window, entry.updated.seq)) {
    const { updated: _u, ...rest } = entry;
    return rest;
  }
  const updated = limitToWindow(entry.updated, window, quoted);
  return updated === entry.updated ? entry : { ...entry, updated };
}

function quoteVisible(ref: ReplyRef, window: MembershipWindow, quoted: ReadonlyMap<number, Message>): boolean {
  if (!covers(window, ref.seq)) return false;
  if (window.leftSeq === null) return true;
  const q = quoted.get(ref.seq);
  return q !== undefined && !changedSinceLeaving(window, q);
}

/** A message whose content the reader may not see: its place in the order and its sender, nothing of what it says. */
export function withheldMessage(m: Message): Message {
  const { replyTo: _r, reactions: _x, editedAt: _e, deletedAt: _d, body: _b, attachments: _a, ...rest } = m;
  return { ...rest, body: null, attachments: [], withheld: true };
}

/** A quote of a message the reader may not see: its seq only. */
export function withheldQuote(ref: ReplyRef): ReplyRef {
  return { seq: ref.seq, senderId: "", preview: null, withheld: true };
}

/** One frame's worth of a live fan-out: the recipients and the entry as all of them may see it. */
export interface Audience {
  userIds: readonly string[];
  entry: Message;
}

/**
 * Splits current members by what they may see of `entry` (presented in its current state): one audience per
 * combination of covered targets, so a fan-out encodes one frame per audience (at most three), not per recipient.
 * `joinedSeq`: each recipient's; a recipient without one is treated as covering nothing.
 */
export function audiencesOf(entry: Message, recipients: readonly string[], joinedSeq: ReadonlyMap<string, number>): Audience[] {
  const refs = referencedSeqs(entry);
  if (refs.length === 0) return [{ userIds: recipients, entry }];
  const groups = new Map<string, { joinedSeq: number; userIds: string[] }>();
  for (const userId of recipients) {
    const joined = joinedSeq.get(userId) ?? Number.POSITIVE_INFINITY;
    let key = "";
    for (const seq of refs) key += seq >= joined ? "1" : "0";
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { joinedSeq: joined, userIds: [userId] });
    else group.userIds.push(userId);
  }
  const none: ReadonlyMap<number, Message> = new Map();
  return [...groups.values()].map((g) => ({
    userIds: g.userIds,
    entry: limitToWindow(entry, { joinedSeq: g.joinedSeq, leftSeq: null, leftAt: null }, none),
  }));
}

/** One audience of a channel's topic: the members whose window starts in [joinedFrom, joinedBelow) (absent: open). */
export interface JoinedRange {
  joinedFrom?: number;
  joinedBelow?: number;
  entry: Message;
}

/**
 * The audiences of `entry` in a channel, where fan-out cannot name its recipients (one publish on the channel's topic
 * per audience): ranges of where a member's window starts, split at the seqs the entry shows besides its own, each
 * with the entry as `limitToWindow` gives it to those members. One range when the entry shows nothing else.
 */
export function joinedRanges(entry: Message): JoinedRange[] {
  const bounds = [...new Set(referencedSeqs(entry).map((seq) => seq + 1))].sort((a, b) => a - b);
  if (bounds.length === 0) return [{ entry }];
  const none: ReadonlyMap<number, Message> = new Map();
  const ranges: JoinedRange[] = [{ joinedBelow: bounds[0]!, entry }];
  for (const [i, from] of bounds.entries()) {
    const below = bounds[i + 1];
    const shown = limitToWindow(entry, { joinedSeq: from, leftSeq: null, leftAt: null }, none);
    ranges.push(
      below === undefined ? { joinedFrom: from, entry: shown } : { joinedFrom: from, joinedBelow: below, entry: shown },
    );
  }
  return ranges;
}
