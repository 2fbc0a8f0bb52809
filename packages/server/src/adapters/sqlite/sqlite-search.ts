// Message search on SQLite FTS5 (schema in migrations.ts, version 5): builds the MATCH expression and the ranked query.

import type { Database, Statement } from "better-sqlite3";
import type { SearchTerm } from "../../domain/search-query.js";
import type { MessageSearch, SearchMatch } from "../../ports/store.js";

interface HitRow {
  id: string;
  conversationId: string;
  seq: number;
  senderId: string;
  clientId: string | null;
  body: string;
  createdAt: number;
  score: number;
}

/**
 * The FTS5 expression for `terms`: each term a double-quoted string (FTS5 tokenizes inside it, so a multi-word term
 * is a phrase), quotes doubled, `*` after the closing quote for a prefix, terms joined by spaces (AND). Inside quotes
 * nothing is an operator, so user input can neither break the syntax nor reach NEAR, OR, NOT, column filters or `^`.
 */
export function fts5Expression(terms: readonly SearchTerm[]): string {
  return terms.map((t) => `"${t.words.join(" ").replaceAll('"', '""')}"${t.prefix ? "*" : ""}`).join(" ");
}

/** Runs searches; one prepared statement per combination of filters, prepared on first use. */
export class SqliteMessageSearch {
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly db: Database) {}

  search(userId: string, search: MessageSearch): SearchMatch[] {
    const params: Record<string, string | number> = {
      match: fts5Expression(search.terms),
      userId,
      limit: search.limit,
    };
    const where: string[] = [];
    if (search.conversationId !== undefined) {
      where.push("r.conversation_id = @conversationId");
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
          "(m.conversation_id > @fConv OR (m.conversation_id = @fConv AND m.seq > @fSeq))))))",
      );
      Object.assign(params, {
        fScore: search.from.score,
        fAt: search.from.createdAt,
        fConv: search.from.conversationId,
        fSeq: search.from.seq,
      });
    }
    const rows = this.statement(where).all(params) as HitRow[];
    return rows.map((row) => ({
      message: {
        id: row.id,
        conversationId: row.conversationId,
        seq: row.seq,
        senderId: row.senderId,
        clientId: row.clientId,
        kind: "text",
        body: row.body,
        event: null,
        createdAt: row.createdAt,
      },
      score: row.score,
    }));
  }

  private statement(where: readonly string[]): Statement {
    const key = where.join(" AND ");
    let statement = this.statements.get(key);
    if (statement === undefined) {
      // The FTS match drives the query; each hit costs three primary-key probes (row map, membership, message).
      // The history window is the authorization: a member from joined_seq on, a former member up to left_seq.
      statement = this.db.prepare(
        `SELECT m.id, m.conversation_id AS conversationId, m.seq, m.sender_id AS senderId, m.client_id AS clientId,
                m.body, m.created_at AS createdAt, f.score
         FROM (SELECT rowid AS rid, bm25(message_search) AS score FROM message_search WHERE message_search MATCH @match) f
         JOIN message_search_rows r ON r.id = f.rid
         JOIN members mb ON mb.conversation_id = r.conversation_id AND mb.user_id = @userId
         JOIN messages m ON m.conversation_id = r.conversation_id AND m.seq = r.seq
         WHERE r.seq >= mb.joined_seq AND (mb.left_seq IS NULL OR r.seq <= mb.left_seq)
           AND m.kind = 'text' AND m.body IS NOT NULL
           ${where.map((w) => `AND ${w}`).join("\n           ")}
         ORDER BY f.score, m.created_at DESC, m.conversation_id, m.seq
         LIMIT @limit`,
      );
      this.statements.set(key, statement);
    }
    return statement;
  }
}
