// The seq bounds of a history page, shared by the SQL adapters: the cursor narrows the visible window.

import type { HistoryQuery } from "../ports/store.js";

/** The inclusive seq range a history query reads, or undefined when it reads nothing. */
export function historyBounds(query: HistoryQuery): { from: number; to: number } | undefined {
  const from = query.afterSeq === undefined ? query.minSeq : Math.max(query.minSeq, query.afterSeq + 1);
  const to = query.beforeSeq === undefined ? query.maxSeq : Math.min(query.maxSeq, query.beforeSeq - 1);
  return from > to || query.limit <= 0 ? undefined : { from, to };
}
