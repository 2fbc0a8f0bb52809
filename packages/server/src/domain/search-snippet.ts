// Cuts the excerpt shown for a search hit and finds the query's words in it, as plain text plus ranges (never markup).

import type { SearchHighlight } from "@parley/protocol";
import { foldWord, type SearchTerm } from "./search-query.js";

/** Snippets are at most this many UTF-16 code units of the body, plus an ellipsis at each cut end. */
export const SNIPPET_LENGTH = 160;
const ELLIPSIS = "…";
const WORD = /[\p{L}\p{N}\p{M}]+/gu;

interface WordMatch {
  start: number;
  end: number;
}

function matcher(terms: readonly SearchTerm[]): (folded: string) => boolean {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  for (const term of terms) {
    term.words.forEach((word, i) => {
      if (term.prefix && i === term.words.length - 1) prefixes.push(word);
      else exact.add(word);
    });
  }
  return (folded) => exact.has(folded) || prefixes.some((p) => folded.startsWith(p));
}

/** Where the words of `terms` occur in `text` (every occurrence of every word, phrases word by word). */
export function findMatches(text: string, terms: readonly SearchTerm[]): WordMatch[] {
  const matches = matcher(terms);
  const found: WordMatch[] = [];
  for (const m of text.matchAll(WORD)) {
    if (matches(foldWord(m[0]))) found.push({ start: m.index, end: m.index + m[0].length });
  }
  return found;
}

/** Moves `index` off the second half of a surrogate pair, so a cut never splits a character. */
function safeIndex(text: string, index: number): number {
  const code = text.charCodeAt(index);
  return code >= 0xdc00 && code <= 0xdfff ? index + 1 : index;
}

/**
 * The excerpt of `body` around its densest cluster of matches (the whole body when it is short) and the highlight
 * ranges inside it, as UTF-16 offsets into the returned text. Cuts fall on whitespace when there is some nearby and
 * are marked with "…".
 */
export function buildSnippet(
  body: string,
  terms: readonly SearchTerm[],
  length = SNIPPET_LENGTH,
): { snippet: string; highlights: SearchHighlight[] } {
  const matches = findMatches(body, terms);
  if (body.length <= length) return { snippet: body, highlights: matches.map(({ start, end }) => ({ start, end })) };

  // The window that starts a little before some match and holds the most matches.
  let best = 0;
  let bestCount = 0;
  for (let i = 0; i < matches.length; i++) {
    let count = 0;
    for (let j = i; j < matches.length && matches[j]!.end <= matches[i]!.start + length; j++) count++;
    if (count > bestCount) {
      bestCount = count;
      best = i;
    }
  }
  let start = matches.length === 0 ? 0 : Math.max(0, matches[best]!.start - Math.floor(length / 4));
  if (start > 0) {
    const space = body.slice(start, matches[best]?.start ?? start).search(/\s/);
    start = space === -1 ? start : start + space + 1;
  }
  start = Math.min(safeIndex(body, start), body.length);
  let end = Math.min(body.length, start + length);
  if (end < body.length) {
    const lastSpace = body.slice(start, end).search(/\s\S*$/);
    if (lastSpace > length / 2) end = start + lastSpace;
    end = safeIndex(body, end);
  }
  const lead = start > 0 ? ELLIPSIS : "";
  const trail = end < body.length ? ELLIPSIS : "";
  const snippet = lead + body.slice(start, end).trim() + trail;
  const shift = lead.length - start - (body.slice(start, end).length - body.slice(start, end).trimStart().length);
  const highlights = matches
    .filter((m) => m.start >= start && m.end <= end)
    .map((m) => ({ start: m.start + shift, end: m.end + shift }));
  return { snippet, highlights };
}
