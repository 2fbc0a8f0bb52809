// The drafts the conversation log accepts: one builder per kind of entry, each draft travelling with its origin.

import type { Attachment } from "@parley/protocol";
import { newId } from "../../domain/ids.js";
import type { SpanContext } from "../../observability/tracing.js";
import type { ActionDraft, MembershipChange, MembershipDraft, MessageDraft } from "../../ports/store.js";

/**
 * Where a draft came from: the connection, so that fan-out skips it (it gets the answer instead), and when the request
 * arrived (`preciseNow()`), carried with the event so that recipients' nodes can measure send→deliver latency.
 */
export interface Origin {
  connectionId?: string;
  receivedAt?: number;
  /** The span of the request behind the draft, when it is traced: the entry's store and bus spans become its children. */
  trace?: SpanContext;
  /** When the log accepted a traced draft (set by the log itself): the start of its store span. */
  queuedAt?: number;
}

/** A text message by `senderId`, idempotent by (senderId, clientId); `forwarded`: a copy made by `messages.forward`. */
export function textDraft(
  senderId: string,
  input: { conversationId: string; clientId: string; body: string; replyTo?: number },
  attachments: readonly Attachment[],
  forwarded = false,
): MessageDraft {
  return {
    ...newEntry(senderId, input),
    body: input.body,
    ...(attachments.length > 0 ? { attachments } : {}),
    ...(input.replyTo === undefined ? {} : { replyTo: input.replyTo }),
    ...(forwarded ? { forwarded: true } : {}),
  };
}

/** An edit, delete, reaction, pin or unpin entry on a text message, idempotent by (senderId, clientId) as sends are. */
export function actionDraft(
  senderId: string,
  input: { conversationId: string; clientId: string },
  action: ActionDraft,
): MessageDraft {
  return { ...newEntry(senderId, input), body: "", action };
}

/** What every message draft has: a fresh id, its author's idempotency key, and the time it was made. */
function newEntry(senderId: string, input: { conversationId: string; clientId: string }) {
  return { id: newId(), conversationId: input.conversationId, senderId, clientId: input.clientId, createdAt: Date.now() };
}

/** A membership change (add, remove, leave, role, rename) by `actorId`, recorded as a system entry. */
export function membershipDraft(actorId: string, conversationId: string, change: MembershipChange): MembershipDraft {
  return { id: newId(), conversationId, senderId: actorId, createdAt: Date.now(), change };
}
