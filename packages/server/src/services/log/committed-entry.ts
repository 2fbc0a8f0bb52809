// What the conversation log emits: each entry as committed with its seq, and the origin of the draft it came from.

import type { Message } from "@parley/protocol";
import type { BestEffortSite } from "../../observability/best-effort.js";
import type { Origin } from "./entry-drafts.js";

export interface CommittedEntry {
  /** The entry as stored: text, action, or system (conversation created, membership changes, rename). */
  message: Message;
  origin: Origin;
}

/**
 * Told of every batch of newly committed entries, in commit order (per conversation: seq order), before the writers'
 * calls resolve. Subscribers run one after the other in the order the log was given them; a failing one does not stop
 * the others (the entries are durable, and clients repair missed events by sync).
 */
export interface LogSubscriber {
  /** Where a failure of this subscriber is recorded (observability/best-effort.ts). */
  readonly where: BestEffortSite;
  /**
   * It is what delivers messages live: when it fails, the batch's messages count as undelivered (`fanout_failed` in
   * parley_messages_undelivered_total; clients recover them with `sync`).
   */
  readonly delivers?: true;
  /**
   * Resolves when whatever must keep commit order is done. A subscriber whose work then still runs (the bus has the
   * batch's frames, in order, but has not confirmed them) resolves to `InFlight`: the writers' calls resolve without
   * waiting for it, and its failure is recorded like a failure of `committed`.
   */
  committed(entries: readonly CommittedEntry[]): void | Promise<void | InFlight>;
}

/** Work a subscriber started for a batch and has not finished when `committed` resolves. */
export interface InFlight {
  readonly confirmed: Promise<void>;
}

/** The users a system entry ends the membership of: they still receive it (their left_seq is its seq). */
export function departedBy(message: Message): string[] {
  const event = message.event;
  if (event?.type === "member.removed") return [event.userId];
  if (event?.type === "member.left") return [event.actorId];
  if (event?.type === "members.removed") return [...event.userIds];
  return [];
}
