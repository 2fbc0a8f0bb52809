// Formatting shortcuts of the composer (Ctrl/Cmd+B, Ctrl/Cmd+I): the selection wrapped in the markers of
// docs/protocol.md §7.5 ("Formatting"), or unwrapped when it already is.

export interface TextEdit {
  text: string;
  selectionStart: number;
  selectionEnd: number;
}

/** The marker each shortcut key wraps with. */
export const SHORTCUT_MARKERS: Readonly<Record<string, string>> = { b: "**", i: "_" };

/**
 * Wraps `text[start, end)` in `marker` and keeps the same words selected; a selection already wrapped (markers just
 * outside or just inside it) is unwrapped. Without a selection the markers are inserted with the caret between them.
 */
export function toggleMarker(text: string, start: number, end: number, marker: string): TextEdit {
  const n = marker.length;
  const selected = text.slice(start, end);
  if (text.slice(start - n, start) === marker && text.slice(end, end + n) === marker) {
    return { text: text.slice(0, start - n) + selected + text.slice(end + n), selectionStart: start - n, selectionEnd: end - n };
  }
  if (selected.length >= 2 * n && selected.startsWith(marker) && selected.endsWith(marker)) {
    return {
      text: text.slice(0, start) + selected.slice(n, -n) + text.slice(end),
      selectionStart: start,
      selectionEnd: end - 2 * n,
    };
  }
  return {
    text: `${text.slice(0, start)}${marker}${selected}${marker}${text.slice(end)}`,
    selectionStart: start + n,
    selectionEnd: end + n,
  };
}
