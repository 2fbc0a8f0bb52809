// The cluster search role (MessageSearchStore) on PostgreSQL full-text search (schema in migrations.ts, version 5):
// the tsquery and the ranked query.

import { DatabaseError } from "pg";
import type { SearchTerm } from "../../domain/search-query.js";
import { BackendUnavailableError } from "../../ports/errors.js";
import type { MessageSearch, MessageSearchStore, SearchMatch } from "../../ports/store.js";
import { type StoredMessage, storedToMessage } from "../message-row.js";
import { MESSAGE_COLUMNS, REPLY_JOIN } from "./message-select.js";
import type { PostgresHandle } from "./postgres-handle.js";

/** The text search configuration of the index and of every query: no stemming, no stop words (see architecture.md). */
export const TEXT_SEARCH_CONFIG = "simple";

/**
 * Longest a search may run on the database, ms (`SET LOCAL statement_timeout`): a caller with a very large history
 * gets `unavailable` instead of holding a connection of the shared pool, and a database core, for the store's general
 * statement timeout.
 */
export const SEARCH_TIMEOUT_MS = 5_000;

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

function lexeme(word: string): string {
  return `'${word.replaceAll("\\", "\\\\").replaceAll("'", "''")}'`;
}

/**
 * One tsquery expression per term, ANDed. A whole-word term goes through `phraseto_tsquery`, so PostgreSQL's own
 * parser splits it exactly as it split the message (e-mail addresses, URLs); the text is a bound parameter, never
 * syntax. A prefix term is built from quoted lexemes (`'foo' <-> 'ba':*`), the only form that can express a prefix.
 */
export function tsqueryExpression(terms: readonly SearchTerm[], values: unknown[]): string {
  const parts = terms.map((term) => {
    if (term.prefix) {
      const words = [...term.text.matchAll(WORD)].map((m) => m[0].toLowerCase());
      values.push(`${words.map(lexeme).join(" <-> ")}:*`);
      return `to_tsquery('${TEXT_SEARCH_CONFIG}', $${values.length})`;
    }
    values.push(term.text);
    return `phraseto_tsquery('${TEXT_SEARCH_CONFIG}', $${values.length})`;
  });
  return parts.join(" && ");
}

/** The search statement for `userId`; the score is -ts_rank_cd so that, like bm25 in SQLite, lower is better. */
export function searchStatement(userId: string, search: MessageSearch): { text: string; values: unknown[] } {
  const values: unknown[] = [userId];
  const tsquery = tsqueryExpression(search.terms, values);
  const where: string[] = [];
  const bind = (value: unknown) => {
    values.push(value);
    return `$${values.length}`;
  };
  if (search.senderId !== undefined) where.push(`m.sender_id = ${bind(search.senderId)}`);
  if (search.after !== undefined) where.push(`m.created_at > ${bind(search.after)}`);
  if (search.before !== undefined) where.push(`m.created_at < ${bind(search.before)}`);
  const outer: string[] = [];
  if (search.from !== undefined) {
    const score = bind(search.from.score);
    const at = bind(search.from.createdAt);
    const conv = bind(search.from.conversationId);
    const seq = bind(search.from.seq);
    outer.push(
      `WHERE (h.score > ${score}::float8 OR (h.score = ${score}::float8 AND (h."createdAt" < ${at} OR ` +
        `(h."createdAt" = ${at} AND (h."conversationId" > ${conv} OR (h."conversationId" = ${conv} AND h.seq > ${seq}))))))`,
    );
  }
  const limit = bind(search.limit);
  const only = search.conversationId === undefined ? "" : `AND mb.conversation_id = ${bind(search.conversationId)}`;
  // Membership first: the caller's history windows are read by primary key (conversation_id, seq), one membership
  // at a time, and every row there is tested against the query. OFFSET 0 keeps the planner from merging the window
  // into the outer query, where it could answer the words from the GIN index instead: that reads each word's posting
  // list over the whole table, so a search by someone in no busy conversation cost (and its timing told) how often a
  // word occurs in other people's (security.md, "Search cost"). The membership row is the authorization: a member
  // from joined_seq on, a former member up to left_seq. Candidates carry only their sort key; the page's rows alone are
  // then read whole, with the same columns (and quoted message) as every other read.
  const text = `
    WITH page AS (
      SELECT * FROM (
        SELECT m.conversation_id AS "conversationId", m.seq, m.created_at AS "createdAt",
               (-ts_rank_cd(m.search_vector, q.q))::float8 AS score
        FROM (SELECT ${tsquery} AS q) q
        CROSS JOIN members mb
        CROSS JOIN LATERAL (
          SELECT * FROM messages w
          WHERE w.conversation_id = mb.conversation_id
            AND w.seq >= mb.joined_seq AND (mb.left_seq IS NULL OR w.seq <= mb.left_seq)
          OFFSET 0
        ) m
        WHERE mb.user_id = $1 ${only}
          AND m.kind = 'text' AND m.body IS NOT NULL AND m.search_vector @@ q.q
          AND NOT EXISTS (SELECT 1 FROM hidden_messages hm
                          WHERE hm.user_id = $1 AND hm.conversation_id = m.conversation_id AND hm.seq = m.seq)
          ${where.map((w) => `AND ${w}`).join("\n          ")}
      ) h
      ${outer.join(" ")}
      ORDER BY h.score, h."createdAt" DESC, h."conversationId", h.seq
      LIMIT ${limit}
    )
    SELECT ${MESSAGE_COLUMNS}, page.score
    FROM page JOIN messages AS m ON m.conversation_id = page."conversationId" AND m.seq = page.seq ${REPLY_JOIN}
    ORDER BY page.score, page."createdAt" DESC, page."conversationId", page.seq`;
  return { text, values };
}

/** A hit: a whole stored entry (mapped by message-row.ts's `toMessage`, like every other read) and its score. */
export interface SearchRow extends StoredMessage {
  score: number;
}

export class PostgresMessageSearch implements MessageSearchStore {
  constructor(private readonly db: PostgresHandle) {}

  async searchMessages(userId: string, search: MessageSearch): Promise<SearchMatch[]> {
    if (search.terms.length === 0 || search.limit <= 0) return [];
    const { text, values } = searchStatement(userId, search);
    let rows: SearchRow[];
    try {
      rows = await this.db.transaction(async (client) => {
        await client.query(`SET LOCAL statement_timeout = ${SEARCH_TIMEOUT_MS}`);
        return (await client.query<SearchRow>(text, values)).rows;
      });
    } catch (error) {
      // 57014: canceled by the statement timeout. Nothing was written; the caller may narrow the query and retry.
      if (error instanceof DatabaseError && error.code === "57014") {
        throw new BackendUnavailableError("store", `search exceeded its ${SEARCH_TIMEOUT_MS} ms budget`, { cause: error });
      }
      throw error;
    }
    return rows.map((row) => ({ message: storedToMessage(row), score: row.score }));
  }
}
