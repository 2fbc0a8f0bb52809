// A long press with a finger on a message (held still for LONG_PRESS_MS) opens its actions, as in native chat apps.
// The click that ends the press and the browser's own context menu (or text selection menu) are suppressed.

import { type RefObject, useEffect, useRef } from "react";

export const LONG_PRESS_MS = 450;
/** A finger that moves further than this is scrolling, not pressing. */
const MOVE_SLOP_PX = 10;

/**
 * Listens on the `.message` element around `inside` while `enabled`; links keep their own long-press menu. Only touch
 * pointers count: a mouse has the ⋯ button and its right button stays the browser's.
 */
export function useLongPress(inside: RefObject<HTMLElement | null>, enabled: boolean, onLongPress: () => void): void {
  const callback = useRef(onLongPress);
  callback.current = onLongPress;

  useEffect(() => {
    const host = inside.current?.closest<HTMLElement>(".message");
    if (!host || !enabled) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let start = { x: 0, y: 0 };
    let fired = false;
    const cancel = () => {
      clearTimeout(timer);
      timer = undefined;
    };
    const onDown = (event: PointerEvent) => {
      if (event.pointerType !== "touch" || (event.target as Element).closest("a")) return;
      fired = false;
      start = { x: event.clientX, y: event.clientY };
      cancel();
      timer = setTimeout(() => {
        timer = undefined;
        fired = true;
        callback.current();
      }, LONG_PRESS_MS);
    };
    const onMove = (event: PointerEvent) => {
      if (timer !== undefined && Math.hypot(event.clientX - start.x, event.clientY - start.y) > MOVE_SLOP_PX) cancel();
    };
    const onClick = (event: MouseEvent) => {
      if (!fired) return;
      fired = false;
      event.preventDefault();
      event.stopPropagation();
    };
    const onContextMenu = (event: Event) => {
      if (fired || timer !== undefined) event.preventDefault();
    };
    host.addEventListener("pointerdown", onDown);
    host.addEventListener("pointermove", onMove);
    host.addEventListener("pointerup", cancel);
    host.addEventListener("pointercancel", cancel);
    host.addEventListener("click", onClick, true);
    host.addEventListener("contextmenu", onContextMenu);
    return () => {
      cancel();
      host.removeEventListener("pointerdown", onDown);
      host.removeEventListener("pointermove", onMove);
      host.removeEventListener("pointerup", cancel);
      host.removeEventListener("pointercancel", cancel);
      host.removeEventListener("click", onClick, true);
      host.removeEventListener("contextmenu", onContextMenu);
    };
  }, [inside, enabled]);
}
