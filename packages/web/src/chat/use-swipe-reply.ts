// A finger swiping a message to the right starts a reply to it, as in native chat apps: the message follows the finger
// (at most SWIPE_MAX_PX), and letting go past SWIPE_REPLY_PX replies. A mostly vertical move stays the list's scroll.

import { type RefObject, useEffect, useRef } from "react";

/** How far the finger must carry the message for a reply. */
export const SWIPE_REPLY_PX = 56;
const SWIPE_MAX_PX = 80;
/** Movement before the gesture is decided (a swipe, a scroll, or a tap or long press that wobbled). */
const DECIDE_PX = 12;

/**
 * Listens on the `.message` element around `inside` while `enabled`. Only touch pointers count; the list's
 * `touch-action: pan-y` (styles: message-actions.css) leaves horizontal moves to this hook instead of the browser.
 */
export function useSwipeToReply(inside: RefObject<HTMLElement | null>, enabled: boolean, onReply: () => void): void {
  const callback = useRef(onReply);
  callback.current = onReply;

  useEffect(() => {
    const host = inside.current?.closest<HTMLElement>(".message");
    if (!host || !enabled) return;
    let start: { x: number; y: number; pointer: number } | undefined;
    let swiping = false;
    let offset = 0;
    const show = (px: number) => {
      offset = px;
      host.style.transform = px > 0 ? `translateX(${px}px)` : "";
      if (px > 0) host.dataset["swipe"] = px >= SWIPE_REPLY_PX ? "ready" : "moving";
      else delete host.dataset["swipe"];
    };
    const reset = () => {
      start = undefined;
      swiping = false;
      show(0);
    };
    const onDown = (event: PointerEvent) => {
      if (event.pointerType !== "touch" || (event.target as Element).closest("a, button")) return;
      reset();
      start = { x: event.clientX, y: event.clientY, pointer: event.pointerId };
    };
    const onMove = (event: PointerEvent) => {
      if (!start || event.pointerId !== start.pointer) return;
      const dx = event.clientX - start.x;
      const dy = event.clientY - start.y;
      if (!swiping) {
        if (Math.abs(dy) > DECIDE_PX && Math.abs(dy) >= Math.abs(dx)) {
          start = undefined;
          return;
        }
        if (dx < DECIDE_PX || dx < Math.abs(dy) * 1.5) return;
        swiping = true;
      }
      show(Math.max(0, Math.min(SWIPE_MAX_PX, dx)));
    };
    const onUp = (event: PointerEvent) => {
      if (!start || event.pointerId !== start.pointer) return;
      const reply = swiping && offset >= SWIPE_REPLY_PX;
      reset();
      if (reply) callback.current();
    };
    host.addEventListener("pointerdown", onDown);
    host.addEventListener("pointermove", onMove);
    host.addEventListener("pointerup", onUp);
    host.addEventListener("pointercancel", reset);
    return () => {
      reset();
      host.removeEventListener("pointerdown", onDown);
      host.removeEventListener("pointermove", onMove);
      host.removeEventListener("pointerup", onUp);
      host.removeEventListener("pointercancel", reset);
    };
  }, [inside, enabled]);
}
