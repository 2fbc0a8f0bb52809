// Where a small popup (a message's menu, the reaction picker) goes so that it stays inside the viewport: below its
// anchor if it fits there, else above; lined up with the anchor's start or end edge, then pushed inside the margins.

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Size {
  width: number;
  height: number;
}

/** Distance kept from the viewport's edges, in CSS pixels. */
export const VIEWPORT_MARGIN = 8;
/** Gap between the anchor and the popup. */
const GAP = 4;

/**
 * The top-left corner (viewport coordinates, for `position: fixed`) of a popup of `size` anchored at `anchor`.
 * `align: "end"` lines its right edge up with the anchor's right edge (own messages, on the right), "start" its left.
 * A popup larger than the viewport is pinned to the top-left margin.
 */
export function placePopover(
  anchor: Box,
  size: Size,
  viewport: Size,
  align: "start" | "end",
  margin = VIEWPORT_MARGIN,
): { left: number; top: number } {
  const preferredLeft = align === "end" ? anchor.left + anchor.width - size.width : anchor.left;
  const left = clamp(preferredLeft, margin, viewport.width - margin - size.width);
  const below = anchor.top + anchor.height + GAP;
  const above = anchor.top - GAP - size.height;
  const fitsBelow = below + size.height <= viewport.height - margin;
  const fitsAbove = above >= margin;
  const top = fitsBelow || !fitsAbove ? below : above;
  return { left, top: clamp(top, margin, viewport.height - margin - size.height) };
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(value, Math.max(min, max)));
}
