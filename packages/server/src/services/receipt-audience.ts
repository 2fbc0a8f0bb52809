// Who receives which watermark changes of a group (protocol §10.5): the member's own devices, and the authors of the
// text messages the change newly covers, so that every sender's ticks move exactly when their messages are
// delivered or read, without sending every member's watermarks to every device of a large group.

import type { ReceiptState } from "@parley/protocol";

/** One member's watermarks after a flush, and before it. */
export interface ReceiptChange {
  state: ReceiptState;
  previous: { deliveredSeq: number; readSeq: number };
}

/** Entries with after < seq ≤ max. */
export type Range = readonly [after: number, max: number];

/**
 * The seqs a change newly covers: (previous.readSeq, readSeq] (now read) and (previous.deliveredSeq, deliveredSeq]
 * (now delivered), as at most two disjoint ranges.
 */
export function coveredRanges(change: ReceiptChange): Range[] {
  const ranges: [number, number][] = [];
  if (change.state.readSeq > change.previous.readSeq) ranges.push([change.previous.readSeq, change.state.readSeq]);
  if (change.state.deliveredSeq > change.previous.deliveredSeq) {
    const range: [number, number] = [change.previous.deliveredSeq, change.state.deliveredSeq];
    const read = ranges[0];
    // read ≤ delivered on both sides, so the read range starts first; merge when they touch.
    if (read && read[1] >= range[0]) read[1] = Math.max(read[1], range[1]);
    else ranges.push(range);
  }
  return ranges;
}

/** How many seqs the ranges span. */
export function coveredLength(ranges: readonly Range[]): number {
  let n = 0;
  for (const [after, max] of ranges) n += max - after;
  return n;
}

/** Sorted, disjoint ranges covering the same seqs (touching ranges are joined). */
export function mergeRanges(ranges: readonly Range[]): Range[] {
  const sorted = [...ranges].sort((x, y) => x[0] - y[0]);
  const out: [number, number][] = [];
  for (const [after, max] of sorted) {
    const last = out[out.length - 1];
    if (last && after <= last[1]) last[1] = Math.max(last[1], max);
    else out.push([after, max]);
  }
  return out;
}

/** Text-message authors of one conversation by seq, from the store's answer for the merged ranges. */
export class AuthorIndex {
  private readonly seqs: number[] = [];
  private readonly senders: string[] = [];

  /** Entries must be added in ascending seq order. */
  add(seq: number, senderId: string): void {
    this.seqs.push(seq);
    this.senders.push(senderId);
  }

  /** Adds to `into` the authors of the known entries with after < seq ≤ max. */
  authorsIn(after: number, max: number, into: Set<string>): void {
    // First index with seq > after (binary search), then walk the range.
    let lo = 0;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.seqs[mid]! <= after) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo; i < this.seqs.length && this.seqs[i]! <= max; i++) into.add(this.senders[i]!);
  }
}

/** One `receipts` event of a flush and the users who receive it. */
export interface ReceiptDispatch {
  userIds: string[];
  receipts: ReceiptState[];
}

/**
 * Splits a group's changes by recipient. A change goes to its member and to the authors (other than the member) of
 * the entries it newly covers; a change in `toEveryone` goes to every current member instead (its covered range was
 * too long to look up, or the lookup failed). Only current members receive anything. Recipients with the same list
 * of states share one event, so it is serialized once.
 */
export function groupAudience(
  changes: readonly ReceiptChange[],
  members: readonly string[],
  authors: AuthorIndex | undefined,
  toEveryone: ReadonlySet<number>,
): ReceiptDispatch[] {
  const current = new Set(members);
  /** Recipient → indices of the changes they receive, ascending. */
  const perUser = new Map<string, number[]>();
  const give = (userId: string, index: number) => {
    if (!current.has(userId)) return;
    const list = perUser.get(userId);
    if (list === undefined) perUser.set(userId, [index]);
    else if (list[list.length - 1] !== index) list.push(index);
  };
  changes.forEach((change, i) => {
    if (toEveryone.has(i) || authors === undefined) {
      for (const userId of members) give(userId, i);
      return;
    }
    give(change.state.userId, i);
    const found = new Set<string>();
    for (const [after, max] of coveredRanges(change)) authors.authorsIn(after, max, found);
    found.delete(change.state.userId);
    for (const userId of found) give(userId, i);
  });
  const bySignature = new Map<string, ReceiptDispatch>();
  for (const [userId, indices] of perUser) {
    const signature = indices.join(",");
    const dispatch = bySignature.get(signature);
    if (dispatch) dispatch.userIds.push(userId);
    else bySignature.set(signature, { userIds: [userId], receipts: indices.map((i) => changes[i]!.state) });
  }
  return [...bySignature.values()];
}
