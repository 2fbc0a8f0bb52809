// What an application message of an encrypted conversation carries (protocol §6.15 "Encrypted content"): a small
// versioned JSON object encrypted whole, and how a device turns a stream of them into the messages, edits, deletes and
// reactions the application sees. The server stores only routing data; everything below is resolved by the clients.

import type { Attachment, Message, MessageAction, Reaction, ReplyRef } from "@parley/protocol";
import { ParleyError } from "../errors.js";
import { PREVIEW_CHARS, quoteOf } from "../message-state.js";

/** An encrypted file (protocol §6.15): the opaque upload and what is needed to read it. */
export interface EncryptedFile {
  /** The upload holding the encrypted bytes. */
  uploadId: string;
  name: string;
  mimeType: string;
  /** Plaintext size in bytes. */
  size: number;
  /** SHA-256 of the plaintext, base64url. */
  sha256: string;
  /** The AES-256-GCM key (raw, base64url) and the 12-byte nonce (base64url). */
  key: string;
  iv: string;
  width?: number;
  height?: number;
  /** A thumbnail made by the sender, encrypted the same way with its own key. */
  thumbnail?: Omit<EncryptedFile, "name" | "thumbnail">;
}

/** The encrypted content of one application message, version 1. */
export type Content =
  | {
      v: 1;
      type: "text";
      body: string;
      replyTo?: { seq: number; senderId: string; preview: string | null };
      files?: EncryptedFile[];
    }
  | { v: 1; type: "edit"; target: number; body: string }
  | { v: 1; type: "delete"; target: number }
  | { v: 1; type: "reaction"; target: number; emoji: string; remove: boolean };

/** What the application asks for; the quote of a reply is filled in from what this device knows. */
export type ContentDraft =
  | { type: "text"; body: string; replyTo?: number; files?: EncryptedFile[] }
  | { type: "edit"; target: number; body: string }
  | { type: "delete"; target: number }
  | { type: "reaction"; target: number; emoji: string; remove: boolean };

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isText = (v: unknown, max: number): v is string => typeof v === "string" && v.length <= max;
const isB64 = (v: unknown) => typeof v === "string" && /^[A-Za-z0-9_-]{1,200}$/.test(v);

function isFilePart(f: unknown): boolean {
  if (typeof f !== "object" || f === null) return false;
  const o = f as Record<string, unknown>;
  return (
    isText(o.uploadId, 64) &&
    isText(o.mimeType, 255) &&
    Number.isSafeInteger(o.size) &&
    (o.size as number) >= 0 &&
    isB64(o.sha256) &&
    isB64(o.key) &&
    isB64(o.iv) &&
    (o.width === undefined || Number.isSafeInteger(o.width)) &&
    (o.height === undefined || Number.isSafeInteger(o.height))
  );
}

/** The content of decrypted bytes, checked; anything else is `bad_response` (reported as a decrypt failure). */
export function parseContent(bytes: Uint8Array): Content {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new ParleyError("bad_response", "An encrypted message that is not JSON");
  }
  const c = value as Record<string, unknown>;
  const bad = () => new ParleyError("bad_response", "An encrypted message of a kind this client does not know");
  if (typeof value !== "object" || value === null || c.v !== 1) throw bad();
  switch (c.type) {
    case "text": {
      if (!isText(c.body, 100_000)) throw bad();
      const r = c.replyTo as Record<string, unknown> | undefined;
      if (
        r !== undefined &&
        !(isSeq(r?.seq) && isText(r.senderId, 64) && (r.preview === null || isText(r.preview, PREVIEW_CHARS)))
      ) {
        throw bad();
      }
      const files = c.files;
      if (files !== undefined) {
        if (!Array.isArray(files) || files.length > 10) throw bad();
        for (const f of files) {
          const o = f as Record<string, unknown>;
          if (!isFilePart(f) || !isText(o.name, 255) || (o.thumbnail !== undefined && !isFilePart(o.thumbnail))) throw bad();
        }
      }
      return value as Content;
    }
    case "edit":
      if (!isSeq(c.target) || !isText(c.body, 100_000)) throw bad();
      return value as Content;
    case "delete":
      if (!isSeq(c.target)) throw bad();
      return value as Content;
    case "reaction":
      if (!isSeq(c.target) || !isText(c.emoji, 64) || c.emoji === "" || typeof c.remove !== "boolean") throw bad();
      return value as Content;
    default:
      throw bad();
  }
}

/** The attachment the application sees for an encrypted file (its plaintext name, type and size). */
export function attachmentOf(file: EncryptedFile): Attachment {
  return {
    id: file.uploadId,
    name: file.name,
    size: file.size,
    mimeType: file.mimeType,
    width: file.width ?? null,
    height: file.height ?? null,
    hasThumbnail: file.thumbnail !== undefined,
  };
}

/**
 * The message an entry shows once its content is known. A text is a `text` message; an edit, delete or reaction is an
 * `action` entry (as in plain conversations) whose target the caller updates with `applyAction`.
 */
export function messageOf(entry: Message, content: Content, quoted: Message | undefined): Message {
  const base: Message = { ...entry, attachments: [] };
  if (content.type === "text") {
    const files = content.files ?? [];
    const replyTo: ReplyRef | undefined =
      content.replyTo === undefined ? undefined : quoted !== undefined ? quoteOf(quoted) : { ...content.replyTo };
    return { ...base, kind: "text", body: content.body, attachments: files.map(attachmentOf), ...(replyTo ? { replyTo } : {}) };
  }
  const action: MessageAction =
    content.type === "reaction"
      ? { type: "reaction", target: content.target, emoji: content.emoji, remove: content.remove }
      : { type: content.type, target: content.target };
  return { ...base, kind: "action", body: content.type === "edit" ? content.body : null, action };
}

/**
 * The target of an action after it: edits and deletes count only from the target's own sender, on a message not
 * deleted; reactions from any member. Returns undefined when the action changes nothing (refused or a repeat).
 */
export function applyAction(target: Message, action: Message): Message | undefined {
  const a = action.action!;
  if (target.kind !== "text" || target.deletedAt !== undefined) return undefined;
  switch (a.type) {
    case "edit":
      if (action.senderId !== target.senderId) return undefined;
      return { ...target, body: action.body ?? "", editedAt: action.createdAt };
    case "delete": {
      if (action.senderId !== target.senderId) return undefined;
      const { replyTo: _r, reactions: _x, editedAt: _e, ...rest } = target;
      return { ...rest, body: null, attachments: [], deletedAt: action.createdAt };
    }
    case "reaction": {
      const { reactions, ...rest } = target;
      return { ...rest, ...reactionsAfter(reactions ?? [], a.emoji, action.senderId, a.remove) };
    }
    default:
      return undefined;
  }
}

function reactionsAfter(
  reactions: readonly Reaction[],
  emoji: string,
  userId: string,
  remove: boolean,
): { reactions?: Reaction[] } {
  const next: Reaction[] = [];
  let found = false;
  for (const r of reactions) {
    if (r.emoji !== emoji) {
      next.push(r);
      continue;
    }
    found = true;
    const userIds = remove
      ? r.userIds.filter((u) => u !== userId)
      : r.userIds.includes(userId)
        ? r.userIds
        : [...r.userIds, userId];
    if (userIds.length > 0) next.push({ emoji, count: userIds.length, userIds });
  }
  if (!found && !remove) next.push({ emoji, count: 1, userIds: [userId] });
  return next.length === 0 ? {} : { reactions: next };
}
