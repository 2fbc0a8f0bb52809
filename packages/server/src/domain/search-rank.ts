// Relevance of one message for a query, computed from that message alone: no statistic of other people's messages
// (a corpus-wide word frequency, as bm25 uses) may shape a caller's ranking, its cost or the score in a cursor.

import { type SearchTerm, searchWords } from "./search-query.js";

/** BM25's term-frequency saturation and length normalization (the usual constants). */
const K1 = 1.2;
const B = 0.75;
/** The message length (in words) that counts as average: a fixed value, not one measured over everyone's messages. */
const TYPICAL_WORDS = 16;

/** How often `term` occurs in `words` (a phrase: its words in a row; a prefix term: its last word as a prefix). */
export function occurrences(words: readonly string[], term: SearchTerm): number {
  const n = term.words.length;
  let count = 0;
  for (let i = 0; i + n <= words.length; i++) {
    let all = true;
    for (let k = 0; k < n && all; k++) {
      const word = words[i + k]!;
      const want = term.words[k]!;
      all = term.prefix && k === n - 1 ? word.startsWith(want) : word === want;
    }
    if (all) count++;
  }
  return count;
}

/**
 * The score of `body` for `terms` (lower is better, like SQLite's bm25 and the negated ts_rank_cd of PostgreSQL), or
 * undefined when some term does not occur. Each term adds BM25's saturated term frequency, without the inverse
 * document frequency: every hit contains every term, and a frequency over all messages would reveal other people's.
 * `trusted` terms were already matched by the index: when the word split here disagrees with the engine's, they still
 * count once rather than drop a hit the index found.
 */
export function scoreMessage(
  body: string,
  terms: readonly SearchTerm[],
  trusted: (term: SearchTerm) => boolean = () => false,
): number | undefined {
  const words = searchWords(body);
  const norm = K1 * (1 - B + (B * words.length) / TYPICAL_WORDS);
  let score = 0;
  for (const term of terms) {
    let tf = occurrences(words, term);
    if (tf === 0) {
      if (!trusted(term)) return undefined;
      tf = 1;
    }
    score -= (tf * (K1 + 1)) / (tf + norm);
  }
  return score;
}
