// Roving focus for a list of items: one item is in the Tab order (the one last focused, else the preferred one, else
// the first); the arrow keys, Home and End move the focus between items. Items carry their id in `attribute`.

import { type FocusEvent, type KeyboardEvent, useState } from "react";

export interface RovingFocus {
  tabIndexOf(id: string): 0 | -1;
  onKeyDown(event: KeyboardEvent<HTMLElement>): void;
  onFocus(event: FocusEvent<HTMLElement>): void;
}

export function useRovingFocus(ids: readonly string[], preferred: string | null, attribute: string): RovingFocus {
  const [focused, setFocused] = useState<string | null>(null);
  const current =
    focused !== null && ids.includes(focused) ? focused : preferred !== null && ids.includes(preferred) ? preferred : ids[0];
  const idOf = (target: EventTarget): string | null =>
    target instanceof HTMLElement ? (target.closest(`[${attribute}]`)?.getAttribute(attribute) ?? null) : null;

  return {
    tabIndexOf: (id) => (id === current ? 0 : -1),
    onFocus(event) {
      const id = idOf(event.target);
      if (id !== null && id !== focused) setFocused(id);
    },
    onKeyDown(event) {
      if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
      const from = idOf(event.target);
      if (from === null || ids.length === 0) return;
      const i = ids.indexOf(from);
      let next: number;
      if (event.key === "ArrowDown") next = Math.min(i + 1, ids.length - 1);
      else if (event.key === "ArrowUp") next = Math.max(i - 1, 0);
      else if (event.key === "Home") next = 0;
      else if (event.key === "End") next = ids.length - 1;
      else return;
      event.preventDefault();
      const id = ids[next]!;
      setFocused(id);
      event.currentTarget.querySelector<HTMLElement>(`[${attribute}="${CSS.escape(id)}"]`)?.focus();
    },
  };
}
