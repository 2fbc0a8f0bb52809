// The list of members offered while typing "@…" in the composer (a listbox the text field drives by keyboard).

import { useT } from "../i18n/I18nProvider.js";
import { Avatar } from "../ui/Avatar.js";
import type { MentionPicker } from "./use-mention-picker.js";

export function MentionSuggestions({ picker, id }: { picker: MentionPicker; id: string }) {
  const t = useT();
  if (picker.candidates.length === 0) return null;
  return (
    <div className="mention-suggestions" id={id} role="listbox" aria-label={t("mentions.pick")}>
      {picker.candidates.map((c, i) => (
        // biome-ignore lint/a11y/useKeyWithClickEvents: the text field drives the list by keyboard (aria-activedescendant)
        <div
          key={c.userId}
          id={`${id}-${i}`}
          role="option"
          tabIndex={-1}
          aria-selected={i === picker.active}
          className="mention-option"
          // The text field keeps the focus (and the keyboard on a phone) while a name is tapped or clicked.
          onMouseDown={(e) => e.preventDefault()}
          onClick={() => picker.pick(c)}
        >
          <Avatar id={c.userId} name={c.displayName} size="sm" />
          <span className="mention-option-name">{c.displayName}</span>
          {c.username ? <span className="mention-option-username">@{c.username}</span> : null}
        </div>
      ))}
    </div>
  );
}
