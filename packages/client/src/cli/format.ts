// Pure text formatting for the terminal client: times, names, system events, receipt ticks, conversation rows.
// Server text is interpolated as is: the terminal makes it inert when writing (terminal-text.ts).

import type { Attachment, Conversation, Message, SearchHit, SystemEvent, User } from "@parley/protocol";
import { MENTION_PATTERN } from "@parley/protocol";
import type { MessageReceiptStatus } from "../receipt-book.js";
import { snippetSegments } from "../search.js";
import { sgr } from "./terminal-text.js";

export type NameOf = (userId: string) => string;

export interface Style {
  dim(text: string): string;
  bold(text: string): string;
  accent(text: string): string;
}

export const plain: Style = { dim: (t) => t, bold: (t) => t, accent: (t) => t };

export const ansi: Style = {
  dim: (t) => `${sgr(2)}${t}${sgr(22)}`,
  bold: (t) => `${sgr(1)}${t}${sgr(22)}`,
  accent: (t) => `${sgr(36)}${t}${sgr(39)}`,
};

const pad = (n: number) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** HH:MM for today, "Mon D HH:MM" for older entries (local time). */
export function formatTime(at: number, now: number = Date.now()): string {
  const d = new Date(at);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const today = new Date(now);
  if (d.getFullYear() === today.getFullYear() && d.getMonth() === today.getMonth() && d.getDate() === today.getDate()) return hm;
  return `${MONTHS[d.getMonth()]} ${d.getDate()} ${hm}`;
}

/** ✓ stored, ✓✓ delivered to everyone, ✓✓ read; groups say how many have read it. */
export function formatTicks(status: MessageReceiptStatus): string {
  const { delivered, read, total } = status;
  if (total === 0) return "✓";
  if (read >= total) return "✓✓ read";
  if (read > 0) return `✓✓ read by ${read} of ${total}`;
  if (delivered >= total) return "✓✓";
  if (delivered > 0) return `✓ delivered to ${delivered} of ${total}`;
  return "✓";
}

function list(ids: readonly string[], nameOf: NameOf): string {
  return ids.map(nameOf).join(", ");
}

export function describeEvent(event: SystemEvent, nameOf: NameOf): string {
  const actor = nameOf(event.actorId);
  switch (event.type) {
    case "conversation.created":
      return event.title === null ? `${actor} started the conversation` : `${actor} created the group "${event.title}"`;
    case "member.added":
      if (event.userIds.length === 1 && event.userIds[0] === event.actorId) return `${actor} joined`;
      return `${actor} added ${list(event.userIds, nameOf)}`;
    case "members.removed":
      return `${actor} removed ${list(event.userIds, nameOf)}`;
    case "member.removed":
      return `${actor} removed ${nameOf(event.userId)}`;
    case "member.left":
      return `${actor} left`;
    case "member.role":
      return `${actor} made ${nameOf(event.userId)} ${event.role}`;
    case "conversation.renamed":
      return `${actor} renamed the group to "${event.title}"`;
    case "conversation.disappearing":
      return event.seconds === null
        ? `${actor} turned off disappearing messages`
        : `${actor} set messages to disappear after ${describeDuration(event.seconds)}`;
    case "conversation.retention":
      return event.seconds === null
        ? `${actor} removed the conversation's retention limit`
        : `${actor} set messages to be deleted after ${describeDuration(event.seconds)}`;
    case "mls.commit":
      return `${actor} updated the encryption keys`;
  }
}

/** A retention period or timer in words: "1 hour", "7 days", "90 minutes". */
export function describeDuration(seconds: number): string {
  const units: [number, string][] = [
    [86_400, "day"],
    [3600, "hour"],
    [60, "minute"],
  ];
  for (const [size, name] of units) {
    if (seconds >= size && seconds % size === 0) {
      const n = seconds / size;
      return `${n} ${name}${n === 1 ? "" : "s"}`;
    }
  }
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

/** Longest quote shown in front of a reply. */
const QUOTE_CHARS = 40;

/**
 * One line for a conversation entry; `ticks` is appended for the user's own text messages; `showSeq` puts the
 * message's `#seq` in front, so that the user can refer to it (`/reply 5 …`).
 */
export function formatMessage(
  m: Message,
  options: { me: string | undefined; nameOf: NameOf; ticks?: string; now?: number; style?: Style; showSeq?: boolean },
): string {
  const style = options.style ?? plain;
  const time = style.dim(`[${formatTime(m.createdAt, options.now)}]`);
  const seq = options.showSeq ? `${style.dim(`#${m.seq}`)} ` : "";
  if (m.kind === "system") {
    const text = m.event ? describeEvent(m.event, options.nameOf) : (m.body ?? "");
    return `${seq}${time} ${style.dim(`* ${text}`)}`;
  }
  if (m.kind === "action") return `${seq}${time} ${style.dim(`* ${describeAction(m, options.nameOf)}`)}`;
  const own = m.senderId === options.me;
  const who = own ? "you" : options.nameOf(m.senderId);
  const ticks = own && options.ticks ? ` ${style.accent(options.ticks)}` : "";
  // A tombstone keeps nothing of its content, files included.
  // One entry per line printed: the terminal indents the attachment lines like any continuation line.
  const files = m.deletedAt === undefined && !m.hidden ? m.attachments.map((a) => `\n${formatAttachment(a)}`).join("") : "";
  return `${seq}${time} ${style.bold(who)}: ${formatBody(m, options.nameOf, style)}${ticks}${files}`;
}

/** The text part of a message: quote, body (or tombstone), edited marker and reactions. */
export function formatBody(m: Message, nameOf: NameOf, style: Style = plain): string {
  if (m.hidden) return style.dim("(you deleted this message)");
  if (m.deletedAt !== undefined) return style.dim("(this message was deleted)");
  if (m.withheld) return style.dim("(changed after you left: not available)");
  let text = withNames(m.body ?? "", nameOf);
  if (m.replyTo) {
    const q = m.replyTo;
    const quoted = q.withheld
      ? "message not available"
      : q.preview === null
        ? "deleted message"
        : `${nameOf(q.senderId)}: "${q.preview.length > QUOTE_CHARS ? `${q.preview.slice(0, QUOTE_CHARS - 1)}…` : withNames(q.preview, nameOf)}"`;
    text = `${style.dim(`(re #${q.seq} ${quoted})`)} ${text}`;
  }
  if (m.editedAt !== undefined) text += ` ${style.dim("(edited)")}`;
  if (m.reactions && m.reactions.length > 0) text += ` ${m.reactions.map((r) => `${r.emoji} ${r.count}`).join("  ")}`;
  return text;
}

/** Mention tokens (`<@userId>`, docs/protocol.md §6.6) read as "@<name>". */
function withNames(text: string, nameOf: NameOf): string {
  return text.replace(MENTION_PATTERN, (_, id: string) => `@${nameOf(id)}`);
}

/** What an action entry did, as a sentence. */
export function describeAction(m: Message, nameOf: NameOf): string {
  const actor = nameOf(m.senderId);
  const a = m.action;
  if (!a) return `${actor} changed a message`;
  switch (a.type) {
    case "edit":
      return `${actor} edited #${a.target}`;
    case "delete":
      return `${actor} deleted #${a.target}`;
    case "reaction":
      return a.remove ? `${actor} removed ${a.emoji} from #${a.target}` : `${actor} reacted ${a.emoji} to #${a.target}`;
    case "pin":
      return `${actor} pinned #${a.target}`;
    case "unpin":
      return `${actor} unpinned #${a.target}`;
  }
}

/**
 * `📎 plan.pdf (48.2 KB, application/pdf)`, with the pixel size of images, and a warning when the server's malware
 * scanner gave no verdict on the file (protocol §17.2).
 */
export function formatAttachment(a: Attachment): string {
  const size = a.width !== null && a.height !== null ? `, ${a.width}×${a.height}` : "";
  const unscanned = a.unscanned ? " ⚠ not scanned for malware" : "";
  return `📎 ${a.name} (${formatSize(a.size)}, ${a.mimeType.split(";")[0]}${size})${unscanned}`;
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** The name shown for a conversation: the group title, or the other member of a direct one. */
export function conversationName(
  c: Pick<Conversation, "kind" | "title" | "members">,
  me: string | undefined,
  nameOf: NameOf,
): string {
  if (c.kind === "group") return c.title ?? "(group)";
  const other = c.members.find((m) => m.userId !== me);
  return other ? nameOf(other.userId) : "(just you)";
}

export function userLabel(u: User): string {
  return u.displayName && u.displayName !== u.username ? `${u.username} (${u.displayName})` : u.username;
}

/** Left-aligned columns separated by two spaces, one line per row (line breaks in a cell are shown as ↵). */
export function table(rows: readonly (readonly string[])[]): string[] {
  const cells = rows.map((row) => row.map((cell) => cell.replace(/\s*\n\s*/g, " ↵ ")));
  const widths: number[] = [];
  for (const row of cells) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return cells.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "));
}

/** Visible width of text without ANSI escapes (one column per code point: good enough to count wrapped rows). */
export function visibleWidth(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping ANSI escapes needs the ESC character
  return [...text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "")].length;
}

/** Search highlights: reverse video on a terminal, `*word*` in plain output. */
export const markAnsi = (t: string) => `${sgr(7)}${t}${sgr(27)}`;
export const markPlain = (t: string) => `*${t}*`;

/** One search hit: time, where (when `where` is given), sender and the snippet with its highlights marked. */
export function formatSearchHit(
  hit: SearchHit,
  options: { me: string | undefined; nameOf: NameOf; where?: string; now?: number; style?: Style; mark?: (t: string) => string },
): string {
  const style = options.style ?? plain;
  const mark = options.mark ?? markPlain;
  const time = style.dim(`[${formatTime(hit.message.createdAt, options.now)}]`);
  const who = hit.message.senderId === options.me ? "you" : options.nameOf(hit.message.senderId);
  const text = snippetSegments(hit.snippet, hit.highlights)
    .map((s) => (s.highlighted ? mark(s.text) : s.text))
    .join("");
  const where = options.where ? `${style.accent(options.where)} ` : "";
  return `${time} ${where}${style.bold(who)}: ${text}`;
}
