// How the embedded store reads a sequence entry: the selected columns, the reply join, and the row's protocol form.
// One definition for every read that returns messages (history, sync, search hits), so they all carry the same fields.

import type { Attachment, Message, MessageAction, SystemEvent } from "@parley/protocol";
import { REPLY_PREVIEW_CHARS, type StoredMessageColumns, toMessage as toStoredMessage } from "../message-row.js";

export interface MessageRow extends StoredMessageColumns {
  eventJson: string | null;
  actionJson: string | null;
  attachmentsJson: string | null;
}

// Entries are read as `m`, joined with the message they quote (`r`) for the reply preview.
export const MESSAGE_COLUMNS =
  "m.id, m.conversation_id AS conversationId, m.seq, m.sender_id AS senderId, m.client_id AS clientId, m.kind, m.body, " +
  "m.event_json AS eventJson, m.created_at AS createdAt, m.reply_to AS replyTo, r.sender_id AS replySenderId, " +
  `substr(r.body, 1, ${REPLY_PREVIEW_CHARS}) AS replyPreview, r.deleted_at AS replyDeletedAt, m.edited_at AS editedAt, ` +
  "m.deleted_at AS deletedAt, m.action_json AS actionJson, m.attachments_json AS attachmentsJson, m.forwarded, " +
  "m.mls_epoch AS mlsEpoch, m.mls_device AS mlsDevice, m.mls_data AS mlsData";
/** The quoted message's join; a query naming `messages AS m` otherwise adds it after that table. */
export const REPLY_JOIN = "LEFT JOIN messages AS r ON r.conversation_id = m.conversation_id AND r.seq = m.reply_to";
export const MESSAGE_FROM = `messages AS m ${REPLY_JOIN}`;

export function toMessage(row: MessageRow): Message {
  // Only system and action entries and messages with files carry JSON, so plain text never pays for a parse.
  return toStoredMessage(
    row,
    row.eventJson === null ? null : (JSON.parse(row.eventJson) as SystemEvent),
    row.actionJson === null ? null : (JSON.parse(row.actionJson) as MessageAction),
    row.attachmentsJson === null ? null : (JSON.parse(row.attachmentsJson) as Attachment[]),
  );
}
