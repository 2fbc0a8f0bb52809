// The people found for what is typed in a name field, as a listbox under it (the field is its combobox): arrow keys
// move, Enter or a click picks; a picked person is handed back, never typed text.

import type { User } from "@parley/client";
import { type KeyboardEvent, type ReactNode, useId, useState } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { Avatar } from "../ui/Avatar.js";
import { usePeopleSearch } from "./use-people-search.js";

export interface PeopleSuggestionsState {
  /** Props for the text field: the combobox role and the keys that move through the list. */
  inputProps: {
    role: "combobox";
    "aria-expanded": boolean;
    "aria-controls": string;
    "aria-autocomplete": "list";
    "aria-activedescendant"?: string;
  };
  /** Answers true when it used the key (the caller then does nothing else with it). */
  onKeyDown: (event: KeyboardEvent<HTMLInputElement>) => boolean;
  list: ReactNode;
}

/** `text` is what the field holds; `exclude` are usernames already chosen. */
export function usePeopleSuggestions(
  text: string,
  exclude: readonly string[],
  onPick: (user: User) => void,
): PeopleSuggestionsState {
  const t = useT();
  const listId = useId();
  const { people: found, searching, failed } = usePeopleSearch(text);
  const people = found.filter((u) => !exclude.includes(u.username));
  // The highlighted option belongs to one answer and Esc closes the list for one text: a new answer starts with
  // nothing highlighted, and typing opens the list again.
  const [highlight, setHighlight] = useState<{ of: User[]; index: number }>({ of: [], index: -1 });
  const active = highlight.of === found ? highlight.index : -1;
  const [closedFor, setClosedFor] = useState<string | null>(null);
  const closed = closedFor === text;
  const query = text.trim().replace(/^@/, "");
  const open = !closed && query !== "" && !searching;
  const pick = (user: User) => {
    setHighlight({ of: [], index: -1 });
    onPick(user);
  };
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>): boolean => {
    if (!open || people.length === 0) return false;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      const n = people.length;
      const index = event.key === "ArrowDown" ? (active + 1) % n : active <= 0 ? n - 1 : active - 1;
      setHighlight({ of: found, index });
      return true;
    }
    if (event.key === "Enter" && active >= 0 && active < people.length) {
      event.preventDefault();
      pick(people[active] as User);
      return true;
    }
    if (event.key === "Escape") {
      // Closes the list, not the dialog around it.
      event.preventDefault();
      event.stopPropagation();
      setClosedFor(text);
      return true;
    }
    return false;
  };
  const optionId = (i: number) => `${listId}-${i}`;
  const list = open ? (
    people.length === 0 ? (
      <p className="people-none muted" role="status">
        {failed ? t("people.searchFailed") : t("people.none", { query })}
      </p>
    ) : (
      <div className="people-list" id={listId} role="listbox" aria-label={t("people.found")}>
        {people.map((user, i) => (
          // biome-ignore lint/a11y/useKeyWithClickEvents: the keys are the combobox's (the focus stays in the field)
          <div
            key={user.id}
            id={optionId(i)}
            role="option"
            tabIndex={-1}
            aria-selected={i === active}
            className={i === active ? "people-option active" : "people-option"}
            // Keeps the focus in the field (a blur would commit the typed text).
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => pick(user)}
          >
            <Avatar id={user.id} userId={user.id} name={user.displayName} size="sm" />
            <span className="people-names">
              <bdi className="people-display">{user.displayName}</bdi>
              <span className="people-username muted">@{user.username}</span>
            </span>
          </div>
        ))}
      </div>
    )
  ) : null;
  return {
    inputProps: {
      role: "combobox",
      "aria-expanded": open && people.length > 0,
      "aria-controls": listId,
      "aria-autocomplete": "list",
      ...(open && active >= 0 && active < people.length ? { "aria-activedescendant": optionId(active) } : {}),
    },
    onKeyDown,
    list,
  };
}
