// Message search for SDK users: typed pages that know how to fetch the next one, and safe highlight segments.

import type { OpArgs, SearchHighlight, SearchHit, SearchResult } from "@parley/protocol";

export interface SearchFilters {
  /** Only this conversation. */
  conversationId?: string;
  /** Only messages from this user. */
  senderId?: string;
  /** Only messages created after this time (ms, exclusive). */
  after?: number;
  /** Only messages created before this time (ms, exclusive). */
  before?: number;
  /** Hits per page, 1–50 (server default 20). */
  limit?: number;
}

export interface SearchPage {
  query: string;
  filters: SearchFilters;
  /** Best first. */
  results: SearchHit[];
  /** True when `next()` has more hits to fetch. */
  hasMore: boolean;
  /** The following page (same query and filters); rejects when `hasMore` is false. */
  next(): Promise<SearchPage>;
}

type SearchCall = (args: OpArgs<"messages.search">) => Promise<SearchResult>;

export async function searchPage(call: SearchCall, query: string, filters: SearchFilters, cursor?: string): Promise<SearchPage> {
  const result = await call({ query, ...filters, ...(cursor !== undefined ? { cursor } : {}) });
  const nextCursor = result.nextCursor;
  return {
    query,
    filters,
    results: result.results,
    hasMore: nextCursor !== null,
    next: () =>
      nextCursor === null ? Promise.reject(new Error("No more search results")) : searchPage(call, query, filters, nextCursor),
  };
}

export interface SnippetSegment {
  text: string;
  highlighted: boolean;
}

/**
 * Splits a snippet into plain and highlighted runs, for rendering as text nodes (never as HTML). Ranges that are out
 * of bounds, overlapping or out of order are clamped or skipped, so a misbehaving server cannot break rendering.
 */
export function snippetSegments(snippet: string, highlights: readonly SearchHighlight[]): SnippetSegment[] {
  const segments: SnippetSegment[] = [];
  let at = 0;
  for (const { start, end } of highlights) {
    const from = Math.max(at, Math.min(start, snippet.length));
    const to = Math.min(Math.max(end, from), snippet.length);
    if (to <= from) continue;
    if (from > at) segments.push({ text: snippet.slice(at, from), highlighted: false });
    segments.push({ text: snippet.slice(from, to), highlighted: true });
    at = to;
  }
  if (at < snippet.length) segments.push({ text: snippet.slice(at), highlighted: false });
  return segments;
}
