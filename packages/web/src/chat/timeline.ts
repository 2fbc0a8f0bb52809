// Turns a conversation's entries into what the message list renders: day separators, runs of messages by one sender,
// system notes, the unread marker, and this device's not-yet-stored sends at the end.

import type { Attachment, Message } from "@parley/client";

export interface PendingLike {
  clientId: string;
  body: string;
  /** When the user pressed send (client clock). */
  createdAt: number;
  /** Why the server refused it, if it did. */
  error?: string | undefined;
  /** The seq of the message it replies to. */
  replyTo?: number | undefined;
  attachments?: Attachment[] | undefined;
}

export interface TimelineEntry {
  /** Stable across pending → stored (keyed by clientId when there is one), so the bubble is not re-created. */
  key: string;
  seq: number | null;
  clientId: string | null;
  senderId: string;
  body: string;
  createdAt: number;
  status: "stored" | "pending" | "failed";
  error?: string | undefined;
  /** The stored message (quote, edited, deleted, reactions); absent while pending. */
  message?: Message | undefined;
  /** A pending reply: the seq it quotes. */
  replyTo?: number | undefined;
  /** Files shared with the message (empty for none). */
  attachments: Attachment[];
}

export type TimelineItem =
  | { type: "day"; key: string; at: number }
  | { type: "unread"; key: string; count: number }
  | { type: "system"; key: string; message: Message }
  | { type: "group"; key: string; senderId: string; own: boolean; entries: TimelineEntry[] };

export interface TimelineOptions {
  /** The signed-in user. */
  me: string | undefined;
  /** Messages from others with a seq above this are new to the reader (marker before the first); null: no marker. */
  unreadAfter: number | null;
  /** Calendar day of a timestamp (e.g. `dayKey` in the user's zone). */
  dayOf: (ts: number) => string;
  /** Messages of one sender further apart than this start a new run. */
  groupWindowMs?: number;
}

export function entryKey(senderId: string, clientId: string | null, seq: number | null): string {
  return clientId ? `c:${senderId}:${clientId}` : `s:${seq}`;
}

export function buildTimeline(
  messages: readonly Message[],
  pending: readonly PendingLike[],
  options: TimelineOptions,
): TimelineItem[] {
  const windowMs = options.groupWindowMs ?? 5 * 60_000;
  const me = options.me ?? "";
  const items: TimelineItem[] = [];
  let day: string | undefined;
  let group: Extract<TimelineItem, { type: "group" }> | undefined;
  let lastAt = 0;
  let marked = options.unreadAfter === null;
  const unreadCount =
    options.unreadAfter === null
      ? 0
      : messages.filter((m) => m.kind === "text" && m.senderId !== me && m.seq > (options.unreadAfter ?? 0)).length;

  const startDay = (at: number) => {
    const d = options.dayOf(at);
    if (d === day) return;
    day = d;
    group = undefined;
    items.push({ type: "day", key: `day:${d}`, at });
  };

  const add = (entry: TimelineEntry) => {
    startDay(entry.createdAt);
    if (group && group.senderId === entry.senderId && entry.createdAt - lastAt <= windowMs) {
      group.entries.push(entry);
    } else {
      group = { type: "group", key: `g:${entry.key}`, senderId: entry.senderId, own: entry.senderId === me, entries: [entry] };
      items.push(group);
    }
    lastAt = entry.createdAt;
  };

  for (const m of messages) {
    if (!marked && m.kind === "text" && m.senderId !== me && m.seq > (options.unreadAfter ?? 0)) {
      startDay(m.createdAt);
      items.push({ type: "unread", key: "unread", count: unreadCount });
      group = undefined;
      marked = true;
    }
    // Action entries (edits, deletes, reactions) are applied to their targets, not shown.
    if (m.kind === "action") continue;
    // MLS commits of encrypted conversations (key changes) are not shown.
    if (m.event?.type === "mls.commit") continue;
    if (m.kind !== "text") {
      startDay(m.createdAt);
      items.push({ type: "system", key: entryKey(m.senderId, null, m.seq), message: m });
      group = undefined;
      continue;
    }
    add({
      key: entryKey(m.senderId, m.clientId, m.seq),
      seq: m.seq,
      clientId: m.clientId,
      senderId: m.senderId,
      body: m.body ?? "",
      createdAt: m.createdAt,
      status: "stored",
      message: m,
      attachments: m.attachments ?? [],
    });
  }
  const stored = new Set(messages.map((m) => (m.senderId === me ? m.clientId : null)));
  for (const p of pending) {
    // Stored already (its ack is still on the way): shown once, as stored.
    if (stored.has(p.clientId)) continue;
    add({
      key: entryKey(me, p.clientId, null),
      seq: null,
      clientId: p.clientId,
      senderId: me,
      body: p.body,
      createdAt: p.createdAt,
      status: p.error === undefined ? "pending" : "failed",
      error: p.error,
      replyTo: p.replyTo,
      attachments: p.attachments ?? [],
    });
  }
  return items;
}
