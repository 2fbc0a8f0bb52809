// Message search on SQLite FTS5 (schema in migrations.ts, versions 5 and 6): builds the MATCH expression and the ranked query.

import type { Database, Statement } from "better-sqlite3";
import type { SearchTerm } from "../../domain/search-query.js";
import type { MessageSearch, SearchMatch } from "../../ports/store.js";
import { MESSAGE_COLUMNS, type MessageRow, REPLY_JOIN, toMessage } from "./message-columns.js";

/** A hit: the message's columns exactly as history reads them (so it carries its reply, edit and files), and its rank. */
interface HitRow extends MessageRow {
  score: number;
}

/**
 * The FTS5 expression for `terms`: each term a double-quoted string (FTS5 tokenizes inside it, so a multi-word term
 * is a phrase), quotes doubled, `*` after the closing quote for a prefix, terms joined by spaces (AND), all limited to
 * the body column. Inside quotes nothing is an operator, so user input can neither break the syntax nor reach NEAR,
 * OR, NOT, column filters or `^`.
 */
export function fts5Expression(terms: readonly SearchTerm[]): string {
  return `body : (${terms.map((t) => `"${t.words.join(" ").replaceAll('"', '""')}"${t.prefix ? "*" : ""}`).join(" ")})`;
}

/**
 * Two plans, chosen per query. A selective query (fewer than SELECTIVE_HITS rows match in the whole index) ranks and
 * joins every hit and lets the join authorize: cheap, whatever the caller's conversation count. A broad one (a common
 * word) adds the caller's conversations to the MATCH expression (`conv : (k1 OR k2 …)`), so only their rows leave
 * the index and get ranked and joined; that costs a little per conversation, which is why it is not always used.
 */
export const SELECTIVE_HITS = 2000;
/** Above this many conversations the broad plan would cost more than it saves; the join alone authorizes then. */
export const MAX_CONVERSATIONS_IN_MATCH = 2000;

/** The low 32 bits of a search rowid are the seq; the high bits the conversation's search_key. */
const SEQ_MASK = 0xffffffff;

/** Runs searches; one prepared statement per combination of filters, prepared on first use. */
export class SqliteMessageSearch {
  private readonly statements = new Map<string, Statement>();
  private readonly keysOfUser: Statement<[string], number>;
  private readonly keysOfMembership: Statement<[string, string], number>;
  private readonly countUpTo: Statement<[string, number], number>;

  constructor(private readonly db: Database) {
    this.keysOfUser = db
      .prepare<[string], number>(
        "SELECT c.search_key FROM members mb JOIN conversations c ON c.id = mb.conversation_id WHERE mb.user_id = ?",
      )
      .pluck();
    this.keysOfMembership = db
      .prepare<[string, string], number>(
        "SELECT c.search_key FROM members mb JOIN conversations c ON c.id = mb.conversation_id " +
          "WHERE mb.user_id = ? AND mb.conversation_id = ?",
      )
      .pluck();
    this.countUpTo = db
      .prepare<[string, number], number>(
        "SELECT count(*) FROM (SELECT 1 FROM message_search WHERE message_search MATCH ? LIMIT ?)",
      )
      .pluck();
  }

  search(userId: string, search: MessageSearch): SearchMatch[] {
    const words = fts5Expression(search.terms);
    let keys: number[] | undefined;
    if (search.conversationId !== undefined) {
      keys = this.keysOfMembership.all(userId, search.conversationId);
    } else if ((this.countUpTo.get(words, SELECTIVE_HITS) ?? 0) >= SELECTIVE_HITS) {
      keys = this.keysOfUser.all(userId);
      if (keys.length > MAX_CONVERSATIONS_IN_MATCH) keys = undefined;
    }
    if (keys !== undefined && keys.length === 0) return [];
    const match = keys === undefined ? words : `${words} AND conv : (${keys.map((k) => `k${k}`).join(" OR ")})`;
    const params: Record<string, string | number> = { match, userId, limit: search.limit };
    const where: string[] = [];
    if (search.conversationId !== undefined) {
      where.push("c.id = @conversationId");
      params["conversationId"] = search.conversationId;
    }
    if (search.senderId !== undefined) {
      where.push("m.sender_id = @senderId");
      params["senderId"] = search.senderId;
    }
    if (search.after !== undefined) {
      where.push("m.created_at > @after");
      params["after"] = search.after;
    }
    if (search.before !== undefined) {
      where.push("m.created_at < @before");
      params["before"] = search.before;
    }
    if (search.from !== undefined) {
      where.push(
        "(f.score > @fScore OR (f.score = @fScore AND (m.created_at < @fAt OR (m.created_at = @fAt AND " +
          "(c.id > @fConv OR (c.id = @fConv AND m.seq > @fSeq))))))",
      );
      Object.assign(params, {
        fScore: search.from.score,
        fAt: search.from.createdAt,
        fConv: search.from.conversationId,
        fSeq: search.from.seq,
      });
    }
    const rows = this.statement(where).all(params) as HitRow[];
    return rows.map((row) => ({ message: toMessage(row), score: row.score }));
  }

  private statement(where: readonly string[]): Statement {
    const key = where.join(" AND ");
    let statement = this.statements.get(key);
    if (statement === undefined) {
      // The FTS match drives the query: only rows of the caller's conversations come out of the index, each is then
      // ranked (bm25 on the body column only) and checked against the history window, which is the authorization:
      // a member from joined_seq on, a former member up to left_seq. Only the page's hits are then read in full, with
      // the columns and reply join of every other message read, so a broad match pays no reply probe per candidate.
      statement = this.db.prepare(
        `SELECT ${MESSAGE_COLUMNS}, hit.score
         FROM (SELECT c.id AS conversationId, m.seq, m.created_at AS createdAt, f.score
               FROM (SELECT rowid AS rid, bm25(message_search, 1.0, 0.0) AS score FROM message_search
                     WHERE message_search MATCH @match) f
               JOIN conversations c ON c.search_key = f.rid >> 32
               JOIN members mb ON mb.conversation_id = c.id AND mb.user_id = @userId
               JOIN messages m ON m.conversation_id = c.id AND m.seq = f.rid & ${SEQ_MASK}
               WHERE m.seq >= mb.joined_seq AND (mb.left_seq IS NULL OR m.seq <= mb.left_seq)
                 AND m.kind = 'text' AND m.body IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM hidden_messages h
                                 WHERE h.user_id = @userId AND h.conversation_id = c.id AND h.seq = m.seq)
                 ${where.map((w) => `AND ${w}`).join("\n                 ")}
               ORDER BY f.score, m.created_at DESC, c.id, m.seq
               LIMIT @limit) AS hit
         JOIN messages AS m ON m.conversation_id = hit.conversationId AND m.seq = hit.seq
         ${REPLY_JOIN}
         ORDER BY hit.score, hit.createdAt DESC, hit.conversationId, hit.seq`,
      );
      this.statements.set(key, statement);
    }
    return statement;
  }
}
