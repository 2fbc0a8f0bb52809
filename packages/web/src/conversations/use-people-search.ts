// Finding people as the user types (`users.search`): one request per pause in typing, the answer of the newest text
// only, and no request for what cannot be a name.

import type { User } from "@parley/client";
import { useEffect, useState } from "react";
import { useStore } from "../state/store-context.js";

/** Typing pauses this long before a search: a name typed at speed costs one request, not one per letter. */
export const PEOPLE_SEARCH_DELAY_MS = 250;

export interface PeopleSearch {
  /** The people found for `text` (empty while there is nothing to look for). */
  people: User[];
  searching: boolean;
  /** The search failed (offline, rate limited): what was typed still works as a username. */
  failed: boolean;
}

export function usePeopleSearch(text: string): PeopleSearch {
  const store = useStore();
  const query = text.trim().replace(/^@/, "");
  const [found, setFound] = useState<{ query: string; people: User[]; failed: boolean }>({
    query: "",
    people: [],
    failed: false,
  });
  useEffect(() => {
    if (query === "") return;
    let current = true;
    const timer = setTimeout(() => {
      store.findPeople(query).then(
        (people) => current && setFound({ query, people, failed: false }),
        () => current && setFound({ query, people: [], failed: true }),
      );
    }, PEOPLE_SEARCH_DELAY_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [query, store]);
  if (query === "") return { people: [], searching: false, failed: false };
  if (found.query !== query) return { people: [], searching: true, failed: false };
  return { people: found.people, searching: false, failed: found.failed };
}
