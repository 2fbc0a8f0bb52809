// Mentions as the web app shows and writes them: `<@userId>` tokens in a stored body (docs/protocol.md §6.6) become
// "@Name" for reading; in the composer "@Name" labels of picked members become tokens again when the message is sent.

import { formattedAsPlainText, MENTION_PATTERN, mentionToken } from "@parley/protocol";

export type MentionPart = { type: "text"; text: string } | { type: "mention"; userId: string; label: string; self: boolean };

/** A member picked in the composer: the text shows `label` ("@Ann Lee"), the message carries the token. */
export interface PickedMention {
  userId: string;
  label: string;
}

/** The body split into text and mentions, each mention labelled "@<name>" and marked when it names `me`. */
export function mentionParts(body: string, nameOf: (userId: string) => string, me: string | undefined): MentionPart[] {
  const parts: MentionPart[] = [];
  let at = 0;
  for (const match of body.matchAll(MENTION_PATTERN)) {
    if (match.index > at) parts.push({ type: "text", text: body.slice(at, match.index) });
    const userId = match[1]!;
    parts.push({ type: "mention", userId, label: `@${nameOf(userId)}`, self: userId === me });
    at = match.index + match[0].length;
  }
  if (at < body.length) parts.push({ type: "text", text: body.slice(at) });
  return parts;
}

/**
 * The body as plain text: formatting markers dropped, each token read as "@<name>" (list previews, notifications,
 * quotes; docs/protocol.md §7.5, "Formatting").
 */
export function bodyAsText(body: string, nameOf: (userId: string) => string): string {
  return formattedAsPlainText(body, nameOf);
}

/**
 * Composer text back to a body: each picked label still in the text, as a whole word, becomes its token (longest
 * labels first, so "@Bob Ross" wins over "@Bob"; "@Bobby" stays text).
 */
export function encodeMentions(text: string, picked: readonly PickedMention[]): string {
  let body = text;
  for (const p of [...picked].sort((a, b) => b.label.length - a.label.length)) {
    const label = new RegExp(`${p.label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(?![\\p{L}\\p{N}_])`, "gu");
    body = body.replace(label, mentionToken(p.userId));
  }
  return body;
}

/** A stored body (an edit, a saved draft) as composer text with its mentions picked. */
export function decodeMentions(body: string, nameOf: (userId: string) => string): { text: string; picked: PickedMention[] } {
  const picked = new Map<string, PickedMention>();
  const text = body.replace(MENTION_PATTERN, (_, userId: string) => {
    const label = `@${nameOf(userId)}`;
    picked.set(userId, { userId, label });
    return label;
  });
  return { text, picked: [...picked.values()] };
}

/** The "@query" being typed just before the caret: where its "@" is and what follows it; null when none. */
export function mentionQuery(text: string, caret: number): { start: number; query: string } | null {
  const before = text.slice(0, caret);
  const start = before.lastIndexOf("@");
  if (start < 0) return null;
  // "@" starts a word (not an e-mail address); the query is one line, and a name has at most a few words.
  if (start > 0 && !/\s/.test(before[start - 1]!)) return null;
  const query = before.slice(start + 1);
  if (/[\n\r]/.test(query) || query.startsWith(" ") || query.length > 40 || query.split(" ").length > 3) return null;
  return { start, query };
}

export interface MentionCandidate {
  userId: string;
  displayName: string;
  username: string;
}

/** Candidates whose name (any word of it) or username starts with the query, names first; at most `limit`. */
export function matchCandidates(query: string, candidates: readonly MentionCandidate[], limit = 8): MentionCandidate[] {
  const q = query.toLowerCase();
  const rank = (c: MentionCandidate): number => {
    const name = c.displayName.toLowerCase();
    if (name.startsWith(q)) return 0;
    if (c.username.toLowerCase().startsWith(q)) return 1;
    if (name.split(/\s+/).some((w) => w.startsWith(q))) return 2;
    return -1;
  };
  return candidates
    .map((c) => ({ c, r: rank(c) }))
    .filter((x) => x.r >= 0)
    .sort((a, b) => a.r - b.r || a.c.displayName.localeCompare(b.c.displayName))
    .slice(0, limit)
    .map((x) => x.c);
}

/** Replaces the "@query" at `start` (up to `caret`) with the label and a space; returns the text and the new caret. */
export function insertMention(text: string, start: number, caret: number, label: string): { text: string; caret: number } {
  const inserted = `${label} `;
  return { text: text.slice(0, start) + inserted + text.slice(caret), caret: start + inserted.length };
}
