// Wire types of message search (`messages.search`): hits carry a plain-text snippet and highlight ranges, never markup.

import type { Message } from "./model.js";

/** A highlighted word in `SearchHit.snippet`: UTF-16 code unit offsets (JavaScript string indices), end exclusive. */
export interface SearchHighlight {
  start: number;
  end: number;
}

export interface SearchHit {
  conversationId: string;
  seq: number;
  /** The whole message (a `text` message; its body is the current body). */
  message: Message;
  /** Plain text: an excerpt of the body around the matches, "…" where it was cut. Render as text, never as HTML. */
  snippet: string;
  /** Ascending, non-overlapping ranges of `snippet` to emphasize. */
  highlights: SearchHighlight[];
}

export interface SearchResult {
  /** Best match first (relevance, then newest). */
  results: SearchHit[];
  /** Pass as `cursor` with the same query and filters for the next page; null on the last page. */
  nextCursor: string | null;
}
