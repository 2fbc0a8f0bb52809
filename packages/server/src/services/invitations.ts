// Invitations (docs/protocol.md §6.14 and §6.17): one model for joining the server (administrators' invitations to
// register) and for joining a private channel (its admins' invitation links): a secret token, an expiry, an optional
// number of uses and revocation. This module makes them, shows them, and checks and counts a presented one.

import type { Invite } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { newSecretToken, parseSecretToken, sameHex } from "../domain/secret-token.js";
import { type InviteRecord, type InviteStore, inviteRefusal } from "../ports/admin-store.js";

/** An invitation's lifetime when its creator gives none. */
export const DEFAULT_INVITE_TTL_SECONDS = 7 * 86_400;

export interface InviteTerms {
  maxUses?: number;
  expiresInSeconds?: number;
  note?: string;
}

/** A new invitation's stored fields (without its scope) and the token to hand out, which is not stored. */
export function newInvite(
  createdBy: string,
  terms: InviteTerms,
  now: number,
): { record: Omit<InviteRecord, "uses" | "revokedAt" | "conversationId">; token: string } {
  const secret = newSecretToken();
  return {
    record: {
      id: secret.id,
      secretHash: secret.hash,
      note: terms.note?.trim() || null,
      createdBy,
      createdAt: now,
      expiresAt: now + (terms.expiresInSeconds ?? DEFAULT_INVITE_TTL_SECONDS) * 1000,
      maxUses: terms.maxUses ?? null,
    },
    token: secret.token,
  };
}

/** What callers see of an invitation; the token only in the answer that created it. */
export function toInvite(record: InviteRecord, token?: string): Invite {
  return {
    id: record.id,
    ...(token === undefined ? {} : { token }),
    note: record.note,
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    expiresAt: record.expiresAt,
    maxUses: record.maxUses,
    uses: record.uses,
    revokedAt: record.revokedAt,
  };
}

function refuse(reason: string, field: string): AppError {
  return new AppError("invalid_invite", `The invitation cannot be used (${reason.replace("_", " ")})`, { field, reason });
}

/**
 * The invitation a presented token names if it is of `kind` (the server's, to register, or a channel's) and usable at
 * `now`; refuses with `invalid_invite` (`details.reason`: unknown, expired, revoked, used_up). A token of the other
 * kind is unknown. Nothing is counted: `spendInvitation` does.
 */
export async function checkInvitation(
  store: Pick<InviteStore, "getInvite">,
  token: string,
  kind: "server" | "channel",
  now: number,
  field: string,
): Promise<InviteRecord> {
  const presented = parseSecretToken(token);
  const record = presented && (await store.getInvite(presented.id));
  if (
    !presented ||
    !record ||
    (record.conversationId === null) !== (kind === "server") ||
    !sameHex(record.secretHash, presented.hash)
  ) {
    throw refuse("unknown", field);
  }
  const refusal = inviteRefusal(record, now);
  if (refusal) throw refuse(refusal, field);
  return record;
}

/**
 * Counts one use of a checked invitation. Another use may have taken the last one since the check: the conditional
 * update decides (`used_up`). Give the use back with `InviteStore.releaseInvite` when what it admitted fails after all.
 */
export async function spendInvitation(
  store: Pick<InviteStore, "useInvite">,
  record: InviteRecord,
  now: number,
  field: string,
): Promise<void> {
  if (!(await store.useInvite(record.id, now))) throw refuse("used_up", field);
}
