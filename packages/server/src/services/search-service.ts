// `messages.search`: parses the query, asks the store for one ranked page, and cuts snippets with highlight ranges.

import type { OpArgs, SearchResult } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { parseSearchQuery, searchQueryProblem } from "../domain/search-query.js";
import { buildSnippet } from "../domain/search-snippet.js";
import type { ConversationStore, MessageSearchStore, MessageStore, SearchPosition } from "../ports/store.js";
import { MessageView, type Reader } from "./message-view.js";

export const DEFAULT_SEARCH_LIMIT = 20;
const CURSOR_VERSION = 1;
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The cursor is opaque to clients: base64url of `[version, score, createdAt, conversationId, seq]`, the position of
 * the page's last hit. Keyset, not offset: a page costs the same however deep, and hits never repeat across pages.
 */
export function encodeSearchCursor(p: SearchPosition): string {
  return Buffer.from(JSON.stringify([CURSOR_VERSION, p.score, p.createdAt, p.conversationId, p.seq])).toString("base64url");
}

/** The position in `cursor`, or undefined when it is not one this server wrote. */
export function decodeSearchCursor(cursor: string): SearchPosition | undefined {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (!Array.isArray(value) || value.length !== 5 || value[0] !== CURSOR_VERSION) return undefined;
  const [, score, createdAt, conversationId, seq] = value as unknown[];
  if (typeof score !== "number" || !Number.isFinite(score)) return undefined;
  if (!Number.isSafeInteger(createdAt) || !Number.isSafeInteger(seq)) return undefined;
  if (typeof conversationId !== "string" || !ID.test(conversationId)) return undefined;
  return { score, createdAt: createdAt as number, conversationId, seq: seq as number };
}

export class SearchService {
  private readonly view: MessageView;

  constructor(private readonly store: MessageSearchStore & MessageStore & Pick<ConversationStore, "getMembership">) {
    this.view = new MessageView(store);
  }

  async search(userId: string, input: OpArgs<"messages.search">): Promise<SearchResult> {
    const terms = parseSearchQuery(input.query);
    if (terms.length === 0) {
      throw new AppError("validation_failed", "The query contains no words to search for", { field: "query" });
    }
    const problem = searchQueryProblem(terms);
    if (problem !== undefined) throw new AppError("validation_failed", problem, { field: "query" });
    let from: SearchPosition | undefined;
    if (input.cursor !== undefined) {
      from = decodeSearchCursor(input.cursor);
      if (from === undefined) {
        throw new AppError("validation_failed", "The cursor is not one returned by messages.search", { field: "cursor" });
      }
    }
    const limit = input.limit ?? DEFAULT_SEARCH_LIMIT;
    const matches = await this.store.searchMessages(userId, {
      terms,
      limit: limit + 1,
      ...(input.conversationId !== undefined ? { conversationId: input.conversationId } : {}),
      ...(input.senderId !== undefined ? { senderId: input.senderId } : {}),
      ...(input.after !== undefined ? { after: input.after } : {}),
      ...(input.before !== undefined ? { before: input.before } : {}),
      ...(from !== undefined ? { from } : {}),
    });
    const page = matches.slice(0, limit);
    const last = page.at(-1);
    const nextCursor =
      matches.length > limit && last
        ? encodeSearchCursor({
            score: last.score,
            createdAt: last.message.createdAt,
            conversationId: last.message.conversationId,
            seq: last.message.seq,
          })
        : null;
    // As `messages.history` shows them to this reader (reactions, their membership window).
    const readers = new Map<string, Reader>();
    for (const id of new Set(page.map((hit) => hit.message.conversationId))) {
      const membership = await this.store.getMembership(id, userId);
      if (membership !== undefined) readers.set(id, membership);
    }
    const visible = page.filter((hit) => readers.has(hit.message.conversationId));
    const shown = await this.view.presentAcross(
      visible.map((hit) => hit.message),
      readers,
    );
    const results: SearchResult["results"] = [];
    visible.forEach(({ message }, i) => {
      // A hit a former member may not read (edited after they left) matched words they must not learn: no result.
      if (shown[i]!.withheld) return;
      results.push({
        conversationId: message.conversationId,
        seq: message.seq,
        message: shown[i]!,
        ...buildSnippet(message.body ?? "", terms),
      });
    });
    return { results, nextCursor };
  }
}
