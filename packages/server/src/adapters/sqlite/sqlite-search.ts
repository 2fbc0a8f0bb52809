// The embedded search role (MessageSearchStore) on SQLite FTS5 (schema in migrations.ts, versions 5, 6 and 8): walks
// the caller's history windows through the index in short slices and ranks the hits from their own text.

import type { Statement } from "better-sqlite3-multiple-ciphers";
import { MIN_PREFIX_LENGTH, prefixLength, type SearchTerm } from "../../domain/search-query.js";
import { scoreMessage } from "../../domain/search-rank.js";
import type { MessageSearch, MessageSearchStore, SearchMatch, SearchPosition } from "../../ports/store.js";
import { MESSAGE_COLUMNS, type MessageRow, REPLY_JOIN, toMessage } from "./message-columns.js";
import type { SearchIndexer } from "./search-indexer.js";
import type { SqliteHandle } from "./sqlite-handle.js";

/** Whether the index alone decides `term`: every term but a prefix longer than the prefixes the index keeps. */
function indexDecides(term: SearchTerm): boolean {
  return !term.prefix || prefixLength(term) <= MIN_PREFIX_LENGTH;
}

/**
 * The index keeps prefixes of MIN_PREFIX_LENGTH characters (migration 9), so a prefix term is one index lookup when it
 * is cut to that length; FTS5 would otherwise merge the word lists of every matching word in the whole index first.
 * A longer prefix is then checked on the candidates (scoreMessage).
 */
function indexedPrefix(term: SearchTerm): SearchTerm {
  if (indexDecides(term)) return term;
  const last = [...(term.words.at(-1) ?? "")].slice(0, MIN_PREFIX_LENGTH).join("");
  return { ...term, words: [...term.words.slice(0, -1), last] };
}

/**
 * The FTS5 expression for `terms`: each term a double-quoted string (FTS5 tokenizes inside it, so a multi-word term
 * is a phrase), quotes doubled, `*` after the closing quote for a prefix, terms joined by spaces (AND). Inside quotes
 * nothing is an operator, so user input can neither break the syntax nor reach NEAR, OR, NOT, column filters or `^`.
 */
export function fts5Expression(terms: readonly SearchTerm[]): string {
  const words = terms.map(indexedPrefix).map((t) => `"${t.words.join(" ").replaceAll('"', '""')}"${t.prefix ? "*" : ""}`);
  return `body : (${words.join(" ")})`;
}

/**
 * `words` limited to the conversations of `windows` by their conv tokens. FTS5 checks a rowid upper bound only at a
 * match, so without them a query whose terms never meet in these conversations would read on through the rest of the
 * index; an AND ends when any of its parts runs out, and the tokens' lists end with the last of these conversations.
 */
function inConversations(words: string, windows: readonly Window[]): string {
  return `${words} AND conv : (${windows.map((w) => `k${w.key}`).join(" OR ")})`;
}

/**
 * Most index hits read per slice: bounds one synchronous step (reading, filtering and scoring 128 hits took at most
 * ~20 ms on a heavily loaded two-core machine, docs/performance.md "Search cost").
 */
export const SEARCH_SLICE_ROWS = 128;
/** Windows searched by one query: fewer queries for a caller in many conversations, each OR still short. */
export const WINDOWS_PER_QUERY = 32;
/** After this long on the event loop a search yields to other work before its next slice, ms. */
export const SEARCH_TURN_MS = 8;
/** The low 32 bits of a search rowid are the seq; the high bits the conversation's search_key. */
const MAX_SEQ = 0xffffffff;

/** The search rowid of (key, seq), exact beyond 2^53 (two million conversations). */
function rowid(key: number, seq: number): bigint {
  return (BigInt(key) << 32n) | BigInt(seq);
}

/** One stretch of a conversation the caller may read: its index rowids are (key << 32) | seq for seq in [from, to]. */
interface Window {
  conversationId: string;
  key: number;
  from: number;
  to: number;
}

interface Candidate {
  seq: number;
  createdAt: number;
  body: string;
}

interface Hit {
  score: number;
  createdAt: number;
  conversationId: string;
  seq: number;
}

/** The order of results: score, then newest, then (conversationId, seq); negative when `a` comes first. */
function compareHits(a: Hit, b: Hit): number {
  return (
    a.score - b.score ||
    b.createdAt - a.createdAt ||
    (a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0) ||
    a.seq - b.seq
  );
}

/** Whether `hit` comes after the previous page's last hit. */
function afterPosition(hit: Hit, from: SearchPosition | undefined): boolean {
  return from === undefined || compareHits(hit, from) > 0;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs searches. The work of one search is bounded by the caller's own history: the index is read only inside the
 * rowid ranges of their windows (FTS5 seeks into each word list there instead of reading it whole), nothing is
 * counted or ranked over the whole index, and the walk goes slice by slice, yielding the event loop every
 * SEARCH_TURN_MS, so no search holds the process for long however many messages match (architecture.md, "Search").
 */
export class SqliteMessageSearch implements MessageSearchStore {
  private readonly windowsOfUser: Statement<[string]>;
  private readonly windowOfMembership: Statement<[string, string]>;
  private readonly slice: Statement<{ match: string; after: bigint; to: bigint; rows: number }>;
  private readonly candidates: Statement;
  private readonly hitRow: Statement<[string, number]>;

  /** `indexer` moves sent messages into the index in the background; a search has it catch up first. */
  constructor(
    private readonly handle: SqliteHandle,
    private readonly indexer: SearchIndexer,
  ) {
    const window =
      `SELECT c.id AS conversationId, c.search_key AS key, mb.joined_seq AS "from", ` +
      `coalesce(mb.left_seq, ${MAX_SEQ}) AS "to" FROM members mb JOIN conversations c ON c.id = mb.conversation_id`;
    this.windowsOfUser = handle.prepare<[string]>(`${window} WHERE mb.user_id = ? ORDER BY c.search_key`);
    this.windowOfMembership = handle.prepare<[string, string]>(`${window} WHERE mb.user_id = ? AND mb.conversation_id = ?`);
    // The rowid bounds reach FTS5 as constraints (bound values: FTS5 ignored computed ones when measured): it seeks
    // every term's list to the slice's first rowid.
    this.slice = handle.prepare<{ match: string; after: bigint; to: bigint; rows: number }>(
      `SELECT rowid >> 32 AS key, rowid & ${MAX_SEQ} AS seq FROM message_search
         WHERE message_search MATCH @match AND rowid > @after AND rowid <= @to
         ORDER BY rowid LIMIT @rows`,
    );
    this.candidates = handle.prepare(
      `SELECT m.seq, m.created_at AS createdAt, m.body
       FROM json_each(@seqs) AS j JOIN messages AS m ON m.conversation_id = @conversationId AND m.seq = j.value
       WHERE m.kind = 'text' AND m.body IS NOT NULL
         AND (@senderId IS NULL OR m.sender_id = @senderId)
         AND (@after IS NULL OR m.created_at > @after)
         AND (@before IS NULL OR m.created_at < @before)
         AND NOT EXISTS (SELECT 1 FROM hidden_messages h
                         WHERE h.user_id = @userId AND h.conversation_id = m.conversation_id AND h.seq = m.seq)`,
    );
    this.hitRow = handle.prepare(
      `SELECT ${MESSAGE_COLUMNS} FROM messages AS m ${REPLY_JOIN} WHERE m.conversation_id = ? AND m.seq = ?`,
    );
  }

  async searchMessages(userId: string, search: MessageSearch): Promise<SearchMatch[]> {
    if (this.handle.unsettled) await this.handle.settled();
    if (search.terms.length === 0 || search.limit <= 0) return [];
    // Read-your-writes: a message sent before the search is found even when its background batch has not run yet.
    this.indexer.catchUp();
    const windows = (
      search.conversationId === undefined
        ? this.windowsOfUser.all(userId)
        : this.windowOfMembership.all(userId, search.conversationId)
    ) as Window[];
    // No window, no index read: an outsider's search costs the same whatever the index holds.
    if (windows.length === 0) return [];
    const words = fts5Expression(search.terms);
    const decided = new Set(search.terms.filter(indexDecides));
    const filters = {
      userId,
      senderId: search.senderId ?? null,
      after: search.after ?? null,
      before: search.before ?? null,
    };
    const best: Hit[] = [];
    let turnStart = performance.now();
    for (let first = 0; first < windows.length; first += WINDOWS_PER_QUERY) {
      const group = windows.slice(first, first + WINDOWS_PER_QUERY);
      const byKey = new Map(group.map((w) => [w.key, w]));
      const match = inConversations(words, group);
      const to = rowid(group.at(-1)!.key, group.at(-1)!.to);
      let after = rowid(group[0]!.key, Math.max(0, group[0]!.from - 1));
      for (;;) {
        if (performance.now() - turnStart >= SEARCH_TURN_MS) {
          await yieldToLoop();
          turnStart = performance.now();
        }
        const found = this.slice.all({ match, after, to, rows: SEARCH_SLICE_ROWS }) as { key: number; seq: number }[];
        if (found.length === 0) break;
        const last = found.at(-1)!;
        after = rowid(last.key, last.seq);
        // Rows of these conversations outside the caller's window (before joining, after leaving) are not theirs.
        const seqsOf = new Map<Window, number[]>();
        for (const { key, seq } of found) {
          const window = byKey.get(key);
          if (window === undefined || seq < window.from || seq > window.to) continue;
          const seqs = seqsOf.get(window);
          if (seqs === undefined) seqsOf.set(window, [seq]);
          else seqs.push(seq);
        }
        for (const [window, seqs] of seqsOf) {
          const rows = this.candidates.all({
            ...filters,
            conversationId: window.conversationId,
            seqs: JSON.stringify(seqs),
          }) as Candidate[];
          for (const row of rows) {
            const score = scoreMessage(row.body, search.terms, (t) => decided.has(t));
            if (score === undefined) continue;
            const hit = { score, createdAt: row.createdAt, conversationId: window.conversationId, seq: row.seq };
            if (afterPosition(hit, search.from)) keepBest(best, hit, search.limit);
          }
        }
        if (found.length < SEARCH_SLICE_ROWS) break;
      }
    }
    // The page alone is read whole, with the columns and reply join of every other read of messages.
    const matches: SearchMatch[] = [];
    for (const hit of best) {
      const row = this.hitRow.get(hit.conversationId, hit.seq) as MessageRow | undefined;
      // Deleted for everyone between the slice and now: no longer a hit.
      if (row !== undefined && row.body !== null) matches.push({ message: toMessage(row), score: hit.score });
    }
    return matches;
  }
}

/** Inserts `hit` into `best` (sorted, at most `limit` long) if it is among the `limit` first. */
function keepBest(best: Hit[], hit: Hit, limit: number): void {
  if (best.length === limit && compareHits(hit, best[limit - 1]!) >= 0) return;
  let i = best.length;
  while (i > 0 && compareHits(hit, best[i - 1]!) < 0) i--;
  best.splice(i, 0, hit);
  if (best.length > limit) best.pop();
}
