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

/** At most this many terms are kept (the rest of a 256-character query is ignored): bounds the engine's work. */
export const MAX_SEARCH_TERMS = 16;
/** A prefix shorter than this would expand to a large part of the vocabulary; it matches as a whole word instead. */
export const MIN_PREFIX_LENGTH = 2;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;
const MARKS = /\p{M}+/gu;

/** Folds a word like SQLite FTS5's `unicode61 remove_diacritics 2`: lower case, combining marks removed. */
export function foldWord(word: string): string {
  return word.normalize("NFD").replace(MARKS, "").toLowerCase();
}

/** The searchable words of `text`, folded; punctuation and symbols separate words and are never searchable. */
export function searchWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(WORD)) {
    const word = foldWord(match[0]);
    if (word !== "") words.push(word);
  }
  return words;
}

/**
 * Splits `input` into terms. Double quotes delimit a phrase (an unclosed quote runs to the end); everything else is
 * split on whitespace into words. A word (not a phrase) ending in `*` is a prefix. Every other character is data: the
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
    const last = words.at(-1) ?? "";
    terms.push({ text, words, prefix: prefix && last.length >= MIN_PREFIX_LENGTH });
  };
  const parts = input.split('"');
  parts.forEach((part, i) => {
    if (i % 2 === 1) add(part, true);
    else for (const word of part.split(/\s+/)) if (word !== "") add(word, false);
  });
  return terms.slice(0, MAX_SEARCH_TERMS);
}
