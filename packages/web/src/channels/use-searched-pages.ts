// A searchable list read in pages (the channel directory, a channel's members): the search text restarts it from the
// first page after a short pause while typing, "Load more" appends the next one, and an answer to an older request
// (the text changed meanwhile) is dropped.

import { type Dispatch, type SetStateAction, useCallback, useEffect, useRef, useState } from "react";
import { type Action, useAction } from "../ui/use-action.js";

export interface SearchedPages<T> {
  query: string;
  setQuery: (query: string) => void;
  items: T[];
  /** For a local change (e.g. a member removed here) without a reload. */
  setItems: Dispatch<SetStateAction<T[]>>;
  /** Whether the first page has arrived (so an empty list means "none"). */
  loaded: boolean;
  /** Whether there is a next page. */
  more: boolean;
  loadMore: () => void;
  /** The loading, its error and `busy`, shared with the caller's other actions. */
  action: Action;
}

/**
 * `fetchPage` reads one page for a search text (trimmed, undefined when empty) and a cursor; it must keep its identity
 * while nothing it reads changes (useCallback). `reload` restarts from the first page when it changes.
 */
export function useSearchedPages<T>(
  fetchPage: (query: string | undefined, cursor: string | undefined) => Promise<{ items: T[]; next: string | null }>,
  reload: unknown = undefined,
): SearchedPages<T> {
  const [query, setQuery] = useState("");
  const [items, setItems] = useState<T[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [loaded, setLoaded] = useState(false);
  const action = useAction();
  const { run } = action;
  const latest = useRef(0);

  const load = useCallback(
    (text: string, cursor: string | null) => {
      const ticket = ++latest.current;
      return run(async () => {
        const q = text.trim();
        const page = await fetchPage(q === "" ? undefined : q, cursor ?? undefined);
        if (ticket !== latest.current) return;
        setItems((shown) => (cursor === null ? page.items : [...shown, ...page.items]));
        setNext(page.next);
        setLoaded(true);
      });
    },
    [run, fetchPage],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: `reload` asks for a reload
  useEffect(() => {
    const timer = setTimeout(() => void load(query, null), query === "" ? 0 : 250);
    return () => clearTimeout(timer);
  }, [load, query, reload]);

  return {
    query,
    setQuery,
    items,
    setItems,
    loaded,
    more: next !== null,
    loadMore: () => void load(query, next),
    action,
  };
}
