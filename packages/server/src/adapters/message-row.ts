// The stored shape of a sequence entry both SQL adapters read (JSON payloads already parsed), and its protocol form.

import type { Attachment, Message, MessageAction, SystemEvent } from "@parley/protocol";
import type { CommitDraft, MessageDraft } from "../ports/store.js";
import { commitEvent } from "./mls-rules.js";

/** Longest quote preview carried in `replyTo.preview`, in characters. */
export const REPLY_PREVIEW_CHARS = 200;

/** The columns of a stored entry apart from its JSON payloads (parsed differently by each engine). */
export interface StoredMessageColumns {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientId: string | null;
  /** Action entries are stored with kind `system` and a non-null `action`: the kind column predates them. */
  kind: "text" | "system";
  body: string | null;
  createdAt: number;
  replyTo: number | null;
  /** The quoted row (LEFT JOIN): null sender when it is missing. */
  replySenderId: string | null;
  replyPreview: string | null;
  replyDeletedAt: number | null;
  editedAt: number | null;
  deletedAt: number | null;
  /** 1/true for a copy made by `messages.forward` (SQLite reads an integer, PostgreSQL a boolean). */
  forwarded: number | boolean;
  /** Encrypted conversations: the entry's MLS message (all three NULL elsewhere). */
  mlsEpoch: number | null;
  mlsDevice: string | null;
  mlsData: Uint8Array | null;
}

export interface StoredMessage extends StoredMessageColumns {
  event: SystemEvent | null;
  action: MessageAction | null;
  /** NULL for entries without attachments. */
  attachments: Attachment[] | null;
}

/** The protocol form of a row (history pages map every row through here: no copies, no spreads). */
export function toMessage(
  row: StoredMessageColumns,
  event: SystemEvent | null,
  action: MessageAction | null,
  attachments: Attachment[] | null,
): Message {
  const message: Message = {
    id: row.id,
    conversationId: row.conversationId,
    seq: row.seq,
    senderId: row.senderId,
    clientId: row.clientId,
    kind: action === null ? row.kind : "action",
    body: row.body,
    event,
    createdAt: row.createdAt,
    // A tombstone keeps nothing of its content, files included.
    attachments: attachments === null || row.deletedAt !== null ? [] : attachments,
  };
  if (action !== null) message.action = action;
  if (row.mlsData !== null) message.mls = mlsPayload(row.mlsEpoch ?? 0, row.mlsDevice ?? "", row.mlsData);
  if (row.editedAt !== null) message.editedAt = row.editedAt;
  if (row.deletedAt !== null) message.deletedAt = row.deletedAt;
  if (row.replyTo !== null && row.deletedAt === null) {
    message.replyTo =
      row.replyDeletedAt !== null || row.replySenderId === null
        ? { seq: row.replyTo, senderId: row.replySenderId ?? "", preview: null, deleted: true }
        : { seq: row.replyTo, senderId: row.replySenderId, preview: row.replyPreview };
  }
  if (row.forwarded && row.deletedAt === null) message.forwarded = true;
  return message;
}

/** For engines whose driver parses the JSON columns already. */
export function storedToMessage(row: StoredMessage): Message {
  return toMessage(row, row.event, row.action, row.attachments);
}

/** A system event entry as an adapter just stored it (no client id, no body, no files); fields in toMessage's order. */
export function systemMessage(entry: {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  event: SystemEvent;
  createdAt: number;
}): Message {
  return {
    id: entry.id,
    conversationId: entry.conversationId,
    seq: entry.seq,
    senderId: entry.senderId,
    clientId: null,
    kind: "system",
    body: null,
    event: entry.event,
    createdAt: entry.createdAt,
    attachments: [],
  };
}

/**
 * A text or action draft as an adapter just stored it at `seq` (`action`: the action entry's payload, null for a
 * text); fields in toMessage's order. An action carries no files; a reply's `replyTo` is the adapter's to add.
 */
export function draftMessage(d: MessageDraft, seq: number, action: MessageAction | null): Message {
  const message: Message = {
    id: d.id,
    conversationId: d.conversationId,
    seq,
    senderId: d.senderId,
    clientId: d.clientId,
    kind: action === null ? "text" : "action",
    body: action === null ? d.body : null,
    event: null,
    createdAt: d.createdAt,
    attachments: action === null && d.attachments !== undefined ? [...d.attachments] : [],
  };
  if (action !== null) message.action = action;
  if (action === null && d.forwarded === true) message.forwarded = true;
  if (d.mls !== undefined) message.mls = mlsPayload(d.mls.epoch, d.mls.deviceId, d.mls.data);
  return message;
}

/** A commit draft as an adapter just stored it at `seq`: an `mls.commit` system entry with its MLS message. */
export function commitMessage(d: CommitDraft, seq: number): Message {
  const message = systemMessage({ ...d, seq, event: commitEvent(d) });
  message.mls = mlsPayload(d.mls.epoch, d.mls.deviceId, d.mls.data);
  return message;
}

function mlsPayload(epoch: number, deviceId: string, data: Uint8Array): NonNullable<Message["mls"]> {
  return { epoch, deviceId, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64url") };
}
