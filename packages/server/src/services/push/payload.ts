// What a push notification says: title, body (a preview only when the user allows it), count, and where it leads.

import { createHash } from "node:crypto";
import type { ConversationKind, PushPayload } from "@parley/protocol";

/** Preview text is cut here: a notification shows two or three lines, and Web Push payloads are limited to ~4 KB. */
export const PREVIEW_CHARS = 160;

export interface NotificationFacts {
  /** `encrypted`: an end-to-end encrypted conversation (its text is unknown to the server: never a preview). */
  conversation: { id: string; kind: ConversationKind; title: string | null; encrypted?: boolean };
  /** Display names of the senders this notification stands for, newest last. */
  senders: readonly string[];
  /** Text of the newest message. */
  lastBody: string;
  count: number;
  seq: number;
  previews: boolean;
  /** Display name of who added the user to the group in this window, if someone did. */
  addedBy?: string;
}

export function buildPayload(f: NotificationFacts): PushPayload {
  const sender = f.senders.at(-1) ?? "Someone";
  const group = f.conversation.kind === "group";
  const title = group ? (f.conversation.title ?? "Group") : sender;
  const url = `/c/${encodeURIComponent(f.conversation.id)}`;
  // Added to a group and no message since: say who added them.
  if (f.count === 0 && f.addedBy !== undefined) {
    return { type: "added", conversationId: f.conversation.id, title, body: `${f.addedBy} added you`, count: 0, seq: f.seq, url };
  }
  const encrypted = f.conversation.encrypted === true;
  let body: string;
  if (f.previews && !encrypted) {
    body = truncate(group ? `${sender}: ${f.lastBody}` : f.lastBody);
  } else if (f.count > 1) {
    const distinct = new Set(f.senders);
    body = distinct.size === 1 ? `${f.count} new messages from ${sender}` : `${f.count} new messages`;
  } else {
    body = `New message from ${sender}`;
  }
  return {
    type: "message",
    conversationId: f.conversation.id,
    title,
    body,
    count: f.count,
    seq: f.seq,
    url,
    ...(encrypted ? { encrypted: true as const } : {}),
  };
}

function truncate(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  const chars = [...flat];
  return chars.length <= PREVIEW_CHARS ? flat : `${chars.slice(0, PREVIEW_CHARS - 1).join("")}…`;
}

/** The Web Push `Topic` of a conversation (≤ 32 base64url characters): a newer notification replaces an undelivered one. */
export function conversationTopic(conversationId: string): string {
  return createHash("sha256").update(conversationId).digest("base64url").slice(0, 22);
}
