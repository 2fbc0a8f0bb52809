// The membership rules shared by the SQL adapters: who a change admits, the refusals and the system event of each
// change, the watermark floor of re-admission and owner succession. Adapters read and write the rows.

import type { Role, SystemEvent } from "@parley/protocol";
import type { AppendOutcome, MembershipChange } from "../ports/store.js";

type Refusal = Extract<AppendOutcome, { ok: false }>;

/** The refusals of a membership change, checked before anything is written. */
export const membershipRefusal = {
  conversationNotFound: { ok: false, code: "not_found", message: "Conversation not found" },
  actorNotMember: { ok: false, code: "not_member", message: "Actor is not a member of the conversation" },
  userNotMember: { ok: false, code: "not_member", message: "User is not a member of the conversation" },
  allMembers: { ok: false, code: "conflict", message: "Every user is already a member" },
  alreadyMember: { ok: false, code: "conflict", message: "Already a member" },
  groupFull: (maxMembers: number): Refusal => ({
    ok: false,
    code: "group_full",
    message: `A conversation holds at most ${maxMembers} members`,
  }),
} as const satisfies Record<string, Refusal | ((maxMembers: number) => Refusal)>;

/**
 * Who an `add` admits, in request order without repeats: users never in the conversation (`fresh`) and users who
 * left (`past`, re-admitted with their watermarks lifted by `readmittedWatermark`); current members are skipped.
 * `leftSeqOf` answers a user's stored left_seq, null for a current member, undefined when there is no row.
 */
export function admissions(
  userIds: readonly string[],
  leftSeqOf: (userId: string) => number | null | undefined,
): { fresh: string[]; past: string[]; admitted: string[] } {
  const fresh: string[] = [];
  const past: string[] = [];
  const admitted: string[] = [];
  for (const userId of new Set(userIds)) {
    const leftSeq = leftSeqOf(userId);
    if (leftSeq === null) continue;
    (leftSeq === undefined ? fresh : past).push(userId);
    admitted.push(userId);
  }
  return { fresh, past, admitted };
}

/** Whether admitting `admitting` more users to `current` members exceeds the limit. */
export function exceedsMembers(current: number, admitting: number, maxMembers: number): boolean {
  return current + admitting > maxMembers;
}

/**
 * The watermark floor of a member admitted by the entry at `seq`: everything before their (re-)join is invisible to
 * them and must not count as unread.
 */
export function readmittedWatermark(seq: number): number {
  return seq - 1;
}

/**
 * Where the history window of a member admitted by the entry at `seq` starts: at that entry, or at the very start in
 * a channel whose new members read everything (history "full").
 */
export function admissionJoinedSeq(seq: number, fullHistory: boolean | undefined): number {
  return fullHistory === true ? 1 : seq;
}

/** A returning member's watermarks: lifted to the floor, never lowered; `receiptAt` moves only when they moved. */
export function readmission(
  stored: { deliveredSeq: number; readSeq: number; receiptAt: number },
  seq: number,
  at: number,
): { deliveredSeq: number; readSeq: number; receiptAt: number } {
  const floor = readmittedWatermark(seq);
  const lifted = stored.deliveredSeq < floor || stored.readSeq < floor;
  return {
    deliveredSeq: Math.max(stored.deliveredSeq, floor),
    readSeq: Math.max(stored.readSeq, floor),
    receiptAt: lifted ? at : stored.receiptAt,
  };
}

/** The system entry that records a change; `admitted` are the users an `add` admitted (a `removeMany`: removed). */
export function membershipEvent(change: MembershipChange, actorId: string, admitted: readonly string[]): SystemEvent {
  switch (change.type) {
    case "add":
      return { type: "member.added", actorId, userIds: [...admitted] };
    case "join":
      return { type: "member.added", actorId, userIds: [actorId] };
    case "removeMany":
      return { type: "members.removed", actorId, userIds: [...admitted] };
    case "remove":
      return { type: "member.removed", actorId, userId: change.userId };
    case "leave":
      return { type: "member.left", actorId };
    case "role":
      return { type: "member.role", actorId, userId: change.userId, role: change.role };
    case "rename":
      return { type: "conversation.renamed", actorId, title: change.title };
    case "disappear":
      return { type: "conversation.disappearing", actorId, seconds: change.seconds };
    case "retention":
      return { type: "conversation.retention", actorId, seconds: change.seconds };
  }
}

/** What owner succession reads of a current member. */
export interface SuccessionCandidate {
  userId: string;
  role: Role;
  joinedSeq: number;
}

/**
 * A group never stays without an owner while it has members: given the current members after an owner left or was
 * removed, the one to make owner, or undefined when an owner remains (or nobody does). The longest-standing admin,
 * else the longest-standing member (ties by user id, in code unit order) succeeds.
 */
export function ownerSuccessor(members: readonly SuccessionCandidate[]): string | undefined {
  let best: SuccessionCandidate | undefined;
  for (const m of members) {
    if (m.role === "owner") return undefined;
    if (best === undefined || precedes(m, best)) best = m;
  }
  return best?.userId;
}

function precedes(a: SuccessionCandidate, b: SuccessionCandidate): boolean {
  const aAdmin = a.role === "admin";
  if (aAdmin !== (b.role === "admin")) return aAdmin;
  if (a.joinedSeq !== b.joinedSeq) return a.joinedSeq < b.joinedSeq;
  return a.userId < b.userId;
}
