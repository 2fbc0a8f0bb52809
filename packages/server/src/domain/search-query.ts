// Turns what a user typed into a search box into engine-neutral terms: plain words and "quoted phrases", never syntax.

/** One unit of a query: every term must match (AND). */
export interface SearchTerm {
  /** The unit as typed (without quotes or a trailing `*`): PostgreSQL parses it with its own parser. */
  readonly text: string;
  /** Its words, normalized by `searchWords` (what SQLite's unicode61 tokenizer would produce). */
  readonly words: readonly string[];
  /** A single word written as `word*`: matches words that start with it. */
  readonly prefix: boolean;
}

/** A query may have at most this many terms (security.md, "Search cost"): each one is a seek per history window. */
export const MAX_SEARCH_TERMS = 8;
/**
 * A prefix needs at least this many characters: a shorter one matches a large part of the vocabulary. The SQLite
 * index keeps prefixes of exactly this length (migration 9), so every prefix term is one index lookup.
 */
export const MIN_PREFIX_LENGTH = 3;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const MARKS = /\p{M}+/gu;

/** Folds a word like SQLite FTS5's `unicode61 remove_diacritics 2`: lower case, combining marks removed. */
export function foldWord(word: string): string {
  return word.normalize("NFD").replace(MARKS, "").toLowerCase();
}

/** The searchable words of `text`, folded; punctuation and symbols separate words and are never searchable. */
export function searchWords(text: string): string[] {
  // Folding the whole text at once is the same as folding word by word (marks only ever join words) and half the cost:
  // search ranks every candidate by its words.
  return foldWord(text).match(WORD) ?? [];
}

/**
 * Splits `input` into terms. Double quotes delimit a phrase (an unclosed quote runs to the end); everything else is
 * split on whitespace into words. A word (not a phrase) ending in `*` is a prefix (searchQueryProblem checks the
 * limits on terms and prefixes). Every other character is data: the
 * adapters quote each term for their engine, so `NEAR(`, `OR`, `-`, `:` or `^` are never operators. Terms without a
 * searchable word are dropped.
 */
export function parseSearchQuery(input: string): SearchTerm[] {
  const terms: SearchTerm[] = [];
  const add = (raw: string, phrase: boolean) => {
    let text = raw.trim();
    let prefix = false;
    if (!phrase && text.endsWith("*")) {
      text = text.replace(/\*+$/, "");
      prefix = true;
    }
    const words = searchWords(text);
    if (words.length === 0) return;
    // A prefix applies to one word; `foo-bar*` becomes the phrase "foo bar" with a prefix on "bar".
    terms.push({ text, words, prefix });
  };
  const parts = input.split('"');
  parts.forEach((part, i) => {
    if (i % 2 === 1) add(part, true);
    else for (const word of part.split(/\s+/)) if (word !== "") add(word, false);
  });
  return terms;
}

/** Characters (code points, as SQLite counts them in a prefix index) of the word a prefix term ends with. */
export function prefixLength(term: SearchTerm): number {
  return [...(term.words.at(-1) ?? "")].length;
}

/**
 * Why `terms` may not be searched (too many terms, a prefix too short), as a message for the caller; undefined when
 * they may. The limits bound what one search costs, so they are refused, never silently cut.
 */
export function searchQueryProblem(terms: readonly SearchTerm[]): string | undefined {
  if (terms.length > MAX_SEARCH_TERMS) {
    return `The query has ${terms.length} terms; at most ${MAX_SEARCH_TERMS} are allowed`;
  }
  const short = terms.find((t) => t.prefix && prefixLength(t) < MIN_PREFIX_LENGTH);
  if (short !== undefined) {
    return `A prefix needs at least ${MIN_PREFIX_LENGTH} characters before the *, got "${short.words.at(-1)}*"`;
  }
  return undefined;
}
