// A list of usernames typed as chips: Enter, comma or space adds one, Backspace on an empty field removes the last;
// people found by name as the user types are offered under the field (PeopleSuggestions), picked into a chip.

import { type KeyboardEvent, type MouseEvent, useId } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { normalizeUsername } from "../state/chat-store.js";
import { Icon } from "../ui/Icon.js";
import { usePeopleSuggestions } from "./PeopleSuggestions.js";

/** Usernames in free text ("bob, @carol dan"), normalized and without repeats. */
export function parseUsernames(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map(normalizeUsername)
        .filter(Boolean),
    ),
  ];
}

/**
 * For the submit button of a form with this field: pressing it leaves the focus in the field. A blur would close the
 * list of people found, which moves the button away under the pointer between press and release (no click, nothing
 * sent); the submit reads the typed text itself.
 */
export function keepFieldFocus(event: MouseEvent): void {
  event.preventDefault();
}

export interface UsernameListInputProps {
  label: string;
  names: readonly string[];
  draft: string;
  onNames: (names: string[]) => void;
  onDraft: (draft: string) => void;
  placeholder?: string;
}

export function UsernameListInput({ label, names, draft, onNames, onDraft, placeholder }: UsernameListInputProps) {
  const t = useT();
  const id = useId();
  const commit = () => {
    const added = parseUsernames(draft).filter((n) => !names.includes(n));
    if (added.length > 0) onNames([...names, ...added]);
    onDraft("");
  };
  const suggestions = usePeopleSuggestions(draft, names, (user) => {
    if (!names.includes(user.username)) onNames([...names, user.username]);
    onDraft("");
  });
  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (suggestions.onKeyDown(event)) return;
    // A space may be part of a name being searched ("ann lee"): only a comma or Enter ends a typed username then.
    if (event.key === " " && suggestions.inputProps["aria-expanded"]) return;
    if ((event.key === "Enter" || event.key === "," || event.key === " ") && draft.trim() !== "") {
      event.preventDefault();
      commit();
    } else if (event.key === "Backspace" && draft === "" && names.length > 0) {
      onNames(names.slice(0, -1));
    }
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="chip-input">
        {names.map((name) => (
          <span className="chip" key={name}>
            @{name}
            <button
              type="button"
              className="chip-remove"
              onClick={() => onNames(names.filter((n) => n !== name))}
              aria-label={t("group.removeName", { name })}
            >
              <Icon name="close" />
            </button>
          </span>
        ))}
        <input
          id={id}
          {...suggestions.inputProps}
          value={draft}
          autoCapitalize="none"
          autoComplete="off"
          spellCheck={false}
          placeholder={names.length === 0 ? placeholder : ""}
          onChange={(e) => onDraft(e.target.value)}
          onKeyDown={onKeyDown}
          onBlur={commit}
        />
      </div>
      {suggestions.list}
    </div>
  );
}
