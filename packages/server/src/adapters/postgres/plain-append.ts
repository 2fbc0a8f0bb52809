// The cluster log's common case in one round trip: a batch of plain text drafts (no reply, action, file or MLS data)
// appended by one call of the database function `append_plain` (migration 26) outside an explicit transaction,
// instead of the five round trips of the general append (BEGIN, lock, check, write, COMMIT). docs/scaling.md, "One
// round trip per batch", has the measurements.

import type { Message } from "@parley/protocol";
import { type AppendOutcome, type EntryDraft, isCommitDraft, isMembershipDraft, type MessageDraft } from "../../ports/store.js";
import { draftMessage, type StoredMessage, storedToMessage as toMessage } from "../message-row.js";
import { refuseMessage } from "../mls-rules.js";
import { MESSAGE_COLUMNS, MESSAGE_FROM } from "./message-select.js";
import { type PostgresHandle, pair } from "./postgres-handle.js";

/** A draft this statement can append: a text with nothing that needs the rules of the general append. */
export function isPlainDraft(d: EntryDraft): d is MessageDraft {
  return (
    !isMembershipDraft(d) &&
    !isCommitDraft(d) &&
    d.action === undefined &&
    d.replyTo === undefined &&
    d.mls === undefined &&
    (d.attachments === undefined || d.attachments.length === 0)
  );
}

/** The call of migration 26's `append_plain`: lock, check and write in one round trip (the rules are in its comment). */
const PLAIN_APPEND = {
  name: "parley_append_plain",
  text: "SELECT draft, verdict, seq, epoch FROM append_plain($1, $2, $3, $4, $5, $6, $7)",
};

/** The stored messages of (sender, clientId) keys that append_plain found already stored. */
const STORED = {
  text: `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
         WHERE (m.sender_id, m.client_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND m.client_id IS NOT NULL`,
};

interface VerdictRow {
  /** 1-based position in the call's drafts. */
  draft: number;
  verdict: "duplicate" | "not_found" | "not_member" | "encrypted" | "stored";
  /** The seq taken by a stored draft. */
  seq: number | null;
  /** The conversation's MLS epoch (for an encrypted conversation's refusal). */
  epoch: number | null;
}

/**
 * Appends plain drafts (`isPlainDraft`) in one round trip. A repeat of a (sender, clientId) within the batch is sent
 * once and answered as a duplicate of it; a draft already stored costs a second query for its stored message.
 */
export async function appendPlain(db: PostgresHandle, drafts: readonly MessageDraft[]): Promise<AppendOutcome[]> {
  const firstOf = new Map<string, number>();
  const sent: MessageDraft[] = [];
  const position = drafts.map((d) => {
    const key = pair(d.senderId, d.clientId);
    const first = firstOf.get(key);
    if (first !== undefined) return first;
    firstOf.set(key, sent.length);
    sent.push(d);
    return sent.length - 1;
  });
  const { rows } = await db.atomic<VerdictRow>({
    ...PLAIN_APPEND,
    values: [
      sent.map((d) => d.conversationId),
      sent.map((d) => d.id),
      sent.map((d) => d.senderId),
      sent.map((d) => d.clientId),
      sent.map((d) => d.body),
      sent.map((d) => d.createdAt),
      sent.map((d) => d.forwarded === true),
    ],
  });
  const stored = await storedOf(
    db,
    sent.filter((_, i) => rows[i]!.verdict === "duplicate"),
  );
  const outcomes = sent.map((d, i) => outcomeOf(d, rows[i]!, stored));
  return drafts.map((_, i) => {
    const at = position[i]!;
    const outcome = outcomes[at]!;
    if (at === i || !outcome.ok) return outcome;
    return { ok: true, message: outcome.message, duplicate: true };
  });
}

/** One draft's outcome from its verdict (`stored`: the messages already stored under duplicates' keys). */
function outcomeOf(d: MessageDraft, row: VerdictRow, stored: Map<string, Message>): AppendOutcome {
  if (row.verdict === "stored") return { ok: true, message: draftMessage(d, row.seq!, null), duplicate: false };
  if (row.verdict === "duplicate") return { ok: true, message: stored.get(pair(d.senderId, d.clientId))!, duplicate: true };
  if (row.verdict === "not_found") return { ok: false, code: "not_found", message: "Conversation not found" };
  if (row.verdict === "not_member")
    return { ok: false, code: "not_member", message: "Sender is not a member of the conversation" };
  return refuseMessage({ encrypted: true, epoch: row.epoch ?? 0 }, d)!;
}

/** The stored messages of these drafts' (sender, clientId) keys. */
async function storedOf(db: PostgresHandle, drafts: readonly MessageDraft[]): Promise<Map<string, Message>> {
  if (drafts.length === 0) return new Map();
  const { rows } = await db.pool.query<StoredMessage>({
    ...STORED,
    values: [drafts.map((d) => d.senderId), drafts.map((d) => d.clientId)],
  });
  return new Map(rows.map((r) => [pair(r.senderId, r.clientId ?? ""), toMessage(r)]));
}
