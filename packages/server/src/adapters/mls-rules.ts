// The MLS rules of the conversation log (docs/e2ee.md), shared by both SQL adapters: which drafts an encrypted (or a
// plain) conversation accepts, and the compare-and-set of commits on the conversation's epoch.

import type { AppendOutcome, CommitDraft, MessageDraft, MlsRefusal } from "../ports/store.js";

/** A conversation's MLS state as the append transaction reads it. */
export interface MlsConversationRow {
  encrypted: boolean;
  /** The epoch the next commit must name. */
  epoch: number;
}

type Refused = Extract<AppendOutcome, { ok: false }>;

const MESSAGES: Record<MlsRefusal, string> = {
  stale_epoch: "Not the conversation's current MLS epoch",
  encryption_required: "The conversation is end-to-end encrypted: send an MLS message",
  not_encrypted: "The conversation is not end-to-end encrypted",
  device_not_registered: "A Welcome recipient is not a registered device of a current member",
};

export function mlsRefusal(code: MlsRefusal, details?: Refused["details"]): Refused {
  return details === undefined
    ? { ok: false, code, message: MESSAGES[code] }
    : { ok: false, code, message: MESSAGES[code], details };
}

/**
 * A text or action draft: an encrypted conversation takes only MLS application messages (of an epoch up to the
 * current one), a plain one none.
 */
export function refuseMessage(conversation: MlsConversationRow, d: MessageDraft): Refused | null {
  if (conversation.encrypted !== (d.mls !== undefined)) {
    return mlsRefusal(conversation.encrypted ? "encryption_required" : "not_encrypted");
  }
  if (d.mls !== undefined && d.mls.epoch > conversation.epoch) {
    return mlsRefusal("stale_epoch", { epoch: conversation.epoch });
  }
  return null;
}

/** A commit: only in an encrypted conversation, and only for its current epoch (the first commit for it wins). */
export function refuseCommit(conversation: MlsConversationRow, d: CommitDraft): Refused | null {
  if (!conversation.encrypted) return mlsRefusal("not_encrypted");
  if (d.mls.epoch !== conversation.epoch) return mlsRefusal("stale_epoch", { epoch: conversation.epoch });
  return null;
}

/** The system event a commit is recorded with. */
export function commitEvent(d: CommitDraft) {
  return { type: "mls.commit" as const, actorId: d.senderId, epoch: d.mls.epoch };
}
