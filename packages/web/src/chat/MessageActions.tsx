// The per-message menu: reply, react (a small emoji picker), edit one's own, delete for everyone (author, or a group's
// admins) or only for oneself.

import type { Message } from "@parley/client";
import { useEffect, useRef, useState } from "react";
import { roleOf } from "../state/conversations.js";
import { useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";

/** The picker's choices; any single emoji works through the API. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🎉"] as const;

export function MessageActions({
  message,
  conversation,
  me,
}: {
  message: Message;
  conversation: ConversationState;
  me: string | undefined;
}) {
  const store = useStore();
  const [open, setOpen] = useState<"menu" | "react" | null>(null);
  const ref = useRef<HTMLDivElement>(null);
  const id = conversation.id;
  const own = message.senderId === me;
  const deleted = message.deletedAt !== undefined;
  const role = roleOf(conversation, me);
  const moderator = conversation.kind === "group" && (role === "owner" || role === "admin");
  const member = conversation.membership === "member";

  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (!ref.current?.contains(event.target as Node)) setOpen(null);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);

  const act = (run: () => void) => () => {
    setOpen(null);
    run();
  };

  return (
    <div className="message-actions" ref={ref} data-open={open ?? undefined}>
      <button
        type="button"
        className="message-actions-toggle"
        aria-label="Message actions"
        aria-haspopup="menu"
        aria-expanded={open !== null}
        onClick={() => setOpen(open ? null : "menu")}
      >
        ⋯
      </button>
      {open === "menu" ? (
        <div className="message-menu" role="menu">
          {member && !deleted && !message.hidden ? (
            <>
              <button type="button" role="menuitem" onClick={act(() => store.compose(id, "reply", message.seq))}>
                Reply
              </button>
              <button type="button" role="menuitem" onClick={() => setOpen("react")}>
                React
              </button>
            </>
          ) : null}
          {member && own && !deleted && !message.hidden ? (
            <button type="button" role="menuitem" onClick={act(() => store.compose(id, "edit", message.seq))}>
              Edit
            </button>
          ) : null}
          {member && (own || moderator) && !deleted ? (
            <button type="button" role="menuitem" onClick={act(() => store.deleteMessage(id, message.seq, "everyone"))}>
              Delete for everyone
            </button>
          ) : null}
          {!message.hidden ? (
            <button type="button" role="menuitem" onClick={act(() => store.deleteMessage(id, message.seq, "me"))}>
              Delete for me
            </button>
          ) : null}
        </div>
      ) : null}
      {open === "react" ? (
        <div className="emoji-picker" role="menu" aria-label="Pick a reaction">
          {QUICK_REACTIONS.map((emoji) => (
            <button
              key={emoji}
              type="button"
              role="menuitem"
              aria-label={`React with ${emoji}`}
              onClick={act(() => store.toggleReaction(id, message.seq, emoji))}
            >
              {emoji}
            </button>
          ))}
        </div>
      ) : null}
    </div>
  );
}
