// How the PostgreSQL adapter reads sequence entries: the columns of adapters/message-row.ts's StoredMessage and the
// join they need. Every read of whole messages (history, last message, by seq, dedup, search) selects these, so each
// maps through the shared `toMessage` and none can miss a field (replyTo, edits, deletes, actions).

import { REPLY_PREVIEW_CHARS } from "../message-row.js";

// Entries are read as `m`, joined with the message they quote (`r`) for the reply preview.
export const MESSAGE_COLUMNS =
  'm.id, m.conversation_id AS "conversationId", m.seq, m.sender_id AS "senderId", m.client_id AS "clientId", m.kind, ' +
  'm.body, m.event, m.created_at AS "createdAt", m.reply_to AS "replyTo", r.sender_id AS "replySenderId", ' +
  `left(r.body, ${REPLY_PREVIEW_CHARS}) AS "replyPreview", r.deleted_at AS "replyDeletedAt", m.edited_at AS "editedAt", ` +
  'm.deleted_at AS "deletedAt", m.action, m.attachments, m.forwarded, m.mls_epoch AS "mlsEpoch", ' +
  'm.mls_device AS "mlsDevice", m.mls_data AS "mlsData"';

/** The quoted message of `m`, for MESSAGE_COLUMNS' reply fields (all NULL when `m` quotes nothing). */
export const REPLY_JOIN = "LEFT JOIN messages AS r ON r.conversation_id = m.conversation_id AND r.seq = m.reply_to";

export const MESSAGE_FROM = `messages AS m ${REPLY_JOIN}`;
