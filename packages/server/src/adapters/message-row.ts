// The stored shape of a sequence entry both SQL adapters read (JSON payloads already parsed), and its protocol form.

import type { Message, MessageAction, SystemEvent } from "@parley/protocol";

/** Longest quote preview carried in `replyTo.preview`, in characters. */
export const REPLY_PREVIEW_CHARS = 200;

export interface StoredMessage {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientId: string | null;
  /** Action entries are stored with kind `system` and a non-null `action`: the kind column predates them. */
  kind: "text" | "system";
  body: string | null;
  event: SystemEvent | null;
  createdAt: number;
  replyTo: number | null;
  /** The quoted row (LEFT JOIN): null sender when it is missing. */
  replySenderId: string | null;
  replyPreview: string | null;
  replyDeletedAt: number | null;
  editedAt: number | null;
  deletedAt: number | null;
  action: MessageAction | null;
}

export function toMessage(row: StoredMessage): Message {
  const message: Message = {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    senderId: row.senderId,
    clientId: row.clientId,
    kind: row.action === null ? row.kind : "action",
    body: row.body,
    event: row.event,
    createdAt: row.createdAt,
  };
  if (row.action !== null) message.action = row.action;
  if (row.editedAt !== null) message.editedAt = row.editedAt;
  if (row.deletedAt !== null) message.deletedAt = row.deletedAt;
  if (row.replyTo !== null && row.deletedAt === null) {
    message.replyTo =
      row.replyDeletedAt !== null || row.replySenderId === null
        ? { seq: row.replyTo, senderId: row.replySenderId ?? "", preview: null, deleted: true }
        : { seq: row.replyTo, senderId: row.replySenderId, preview: row.replyPreview };
  }
  return message;
}
