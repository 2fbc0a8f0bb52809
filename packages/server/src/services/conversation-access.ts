// The one rule for a caller's access to a conversation (docs/protocol.md §6.1, "access errors"), applied by every service.

import { AppError } from "../domain/app-error.js";
import type { MemberRecord } from "../ports/store.js";

/**
 * The answer for a conversation that does not exist, and for one the caller was never a member of: the same, so
 * conversation ids cannot be probed. Only a former member learns that the conversation exists (they have seen it).
 */
export function noSuchConversation(): AppError {
  return new AppError("not_found", "Conversation not found");
}

/** The caller's membership, current or past (reading: history, summaries); never a member → `not_found`. */
export function requireReader(membership: MemberRecord | undefined): MemberRecord {
  if (!membership) throw noSuchConversation();
  return membership;
}

/** The caller's current membership (acting); never a member → `not_found`, a former member → `not_member`. */
export function requireCurrentMember(membership: MemberRecord | undefined): MemberRecord {
  const m = requireReader(membership);
  if (m.leftSeq !== null) throw new AppError("not_member", "You are no longer a member of this conversation");
  return m;
}
