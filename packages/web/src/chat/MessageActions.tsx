// The per-message actions: reply, react (a small emoji picker), copy, forward to another conversation, pin or unpin
// for every member, edit one's own, delete for everyone (author, or a group's admins, after a confirmation) or only
// for oneself, and report someone else's message to the server's administrators (ReportDialog). With a mouse they open
// from the ⋯ button as a menu
// placed inside the viewport; on a touch screen a long press on the message (or the ⋯ button, for screen readers)
// opens them as a bottom sheet with large targets.

import type { Message } from "@parley/client";
import { type CSSProperties, useLayoutEffect, useRef, useState } from "react";
import { createPortal } from "react-dom";
import { EmojiPickerDialog } from "../emoji/EmojiPickerDialog.js";
import { useT } from "../i18n/I18nProvider.js";
import { roleOf } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { Dialog } from "../ui/Dialog.js";
import { Icon } from "../ui/Icon.js";
import { placePopover } from "../ui/popover-position.js";
import { ForwardDialog } from "./ForwardDialog.js";
import { ReportDialog } from "./ReportDialog.js";
import { useLongPress } from "./use-long-press.js";
import { useSwipeToReply } from "./use-swipe-reply.js";

/** The picker's choices; any single emoji works through the API. */
export const QUICK_REACTIONS = ["👍", "❤️", "😂", "😮", "😢", "🎉"] as const;

/** `emoji`: the full picker (any emoji), opened from the quick row. */
type Open = "menu" | "react" | "sheet" | "emoji" | null;

interface Action {
  label: string;
  run: () => void;
  /** Opens the reaction picker instead of acting (the sheet shows the emoji row itself). */
  picker?: boolean;
  danger?: boolean;
}

/** Touch screens (no precise pointer) get the bottom sheet. */
const coarsePointer = () => typeof window.matchMedia === "function" && window.matchMedia("(pointer: coarse)").matches;

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
  const t = useT();
  const [open, setOpen] = useState<Open>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [forwarding, setForwarding] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const toggle = useRef<HTMLButtonElement>(null);
  const popup = useRef<HTMLDivElement>(null);
  const id = conversation.id;
  const own = message.senderId === me;
  const deleted = message.deletedAt !== undefined;
  const role = roleOf(conversation, me);
  const moderator = conversation.kind === "group" && (role === "owner" || role === "admin");
  const member = conversation.membership === "member";
  const canReact = member && !deleted && !message.hidden;
  // In an encrypted conversation replies, reactions, edits and deletes travel inside the ciphertext (the SDK does it,
  // docs/e2ee.md); the server cannot pin or forward a text it cannot read, and only a message's sender can delete it
  // for everyone (clients apply nobody else's delete).
  const plain = conversation.encrypted !== true;
  const pinned = useChat((s) => s.pins[conversation.id]?.some((p) => p.seq === message.seq) ?? false);

  const actions: Action[] = [];
  if (canReact) {
    actions.push({ label: t("actions.reply"), run: () => store.compose(id, "reply", message.seq) });
    actions.push({ label: t("actions.react"), run: () => setOpen("react"), picker: true });
  }
  if (!deleted && !message.hidden && message.body && typeof navigator.clipboard?.writeText === "function") {
    const body = message.body;
    actions.push({
      label: t("actions.copy"),
      // A refused clipboard (permission, insecure context) is told to the user like any failed action.
      run: () => void navigator.clipboard.writeText(body).catch((error: unknown) => store.notify(error)),
    });
  }
  if (plain && !deleted && !message.hidden && message.kind === "text" && message.withheld !== true) {
    actions.push({ label: t("actions.forward"), run: () => setForwarding(true) });
  }
  if (canReact && plain) {
    actions.push({ label: t(pinned ? "actions.unpin" : "actions.pin"), run: () => store.setPinned(id, message.seq, !pinned) });
  }
  if (member && own && !deleted && !message.hidden) {
    actions.push({ label: t("actions.edit"), run: () => store.compose(id, "edit", message.seq) });
  }
  if (member && (own || (moderator && plain)) && !deleted) {
    actions.push({ label: t("actions.deleteEveryone"), run: () => setConfirmDelete(true), danger: true });
  }
  if (!own && message.kind === "text" && !deleted && !message.hidden && !message.withheld) {
    actions.push({ label: t("actions.report"), run: () => setReporting(true) });
  }
  if (!message.hidden) {
    actions.push({ label: t("actions.deleteMe"), run: () => store.deleteMessage(id, message.seq, "me"), danger: true });
  }

  useLongPress(ref, actions.length > 0, () => setOpen("sheet"));
  useSwipeToReply(ref, canReact, () => store.compose(id, "reply", message.seq));

  // The menu and picker: placed inside the viewport next to the ⋯ button; closed by a press elsewhere, Esc, a scroll
  // of the page or a resize (they would drift away from their message).
  useLayoutEffect(() => {
    if (open !== "menu" && open !== "react") return;
    const box = popup.current;
    const anchor = toggle.current;
    if (!box || !anchor) return;
    const root = document.documentElement;
    const at = placePopover(
      anchor.getBoundingClientRect(),
      { width: box.offsetWidth, height: box.offsetHeight },
      { width: root.clientWidth, height: root.clientHeight },
      own ? "end" : "start",
    );
    box.style.left = `${at.left}px`;
    box.style.top = `${at.top}px`;
    box.style.visibility = "visible";
    box.querySelector<HTMLElement>("[role=menuitem]")?.focus({ preventScroll: true });
    const close = () => setOpen(null);
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node;
      if (!box.contains(target) && !ref.current?.contains(target)) close();
    };
    const onScroll = (event: Event) => {
      if (!box.contains(event.target as Node)) close();
    };
    const onKey = (event: KeyboardEvent) => {
      if (event.key !== "Escape") return;
      close();
      anchor.focus();
    };
    document.addEventListener("pointerdown", onPointerDown);
    document.addEventListener("scroll", onScroll, true);
    document.addEventListener("keydown", onKey);
    window.addEventListener("resize", close);
    return () => {
      document.removeEventListener("pointerdown", onPointerDown);
      document.removeEventListener("scroll", onScroll, true);
      document.removeEventListener("keydown", onKey);
      window.removeEventListener("resize", close);
    };
  }, [open, own]);

  const act = (action: Action) => () => {
    if (!action.picker) setOpen(null);
    action.run();
  };
  const react = (emoji: string) => () => {
    setOpen(null);
    store.toggleReaction(id, message.seq, emoji);
  };
  const hidden: CSSProperties = { left: 0, top: 0, visibility: "hidden" };

  return (
    <div className="message-actions" ref={ref} data-open={open ?? undefined}>
      <button
        ref={toggle}
        type="button"
        className="message-actions-toggle"
        aria-label={t("actions.label")}
        aria-haspopup="menu"
        aria-expanded={open !== null}
        onClick={() => setOpen(open ? null : coarsePointer() ? "sheet" : "menu")}
      >
        ⋯
      </button>
      {open === "menu"
        ? createPortal(
            <div className="message-menu popover" role="menu" aria-label={t("actions.label")} ref={popup} style={hidden}>
              {actions.map((action) => (
                <button
                  key={action.label}
                  type="button"
                  role="menuitem"
                  data-danger={action.danger || undefined}
                  onClick={act(action)}
                >
                  {action.label}
                </button>
              ))}
            </div>,
            document.body,
          )
        : null}
      {open === "react"
        ? createPortal(
            <div className="emoji-picker popover" role="menu" aria-label={t("actions.pickReaction")} ref={popup} style={hidden}>
              {QUICK_REACTIONS.map((emoji) => (
                <button
                  key={emoji}
                  type="button"
                  role="menuitem"
                  aria-label={t("actions.reactWith", { emoji })}
                  onClick={react(emoji)}
                >
                  {emoji}
                </button>
              ))}
              <button type="button" role="menuitem" aria-label={t("actions.moreReactions")} onClick={() => setOpen("emoji")}>
                <Icon name="plus" />
              </button>
            </div>,
            document.body,
          )
        : null}
      {open === "sheet" ? (
        <Dialog title={t("actions.label")} onClose={() => setOpen(null)} className="action-sheet">
          {canReact ? (
            <div className="sheet-reactions">
              {QUICK_REACTIONS.map((emoji) => (
                <button key={emoji} type="button" aria-label={t("actions.reactWith", { emoji })} onClick={react(emoji)}>
                  {emoji}
                </button>
              ))}
              <button type="button" aria-label={t("actions.moreReactions")} onClick={() => setOpen("emoji")}>
                <Icon name="plus" />
              </button>
            </div>
          ) : null}
          <div className="sheet-actions" role="menu" aria-label={t("actions.label")}>
            {actions
              .filter((action) => !action.picker)
              .map((action) => (
                <button
                  key={action.label}
                  type="button"
                  role="menuitem"
                  data-danger={action.danger || undefined}
                  onClick={act(action)}
                >
                  {action.label}
                </button>
              ))}
          </div>
        </Dialog>
      ) : null}
      {open === "emoji" ? (
        <EmojiPickerDialog title={t("actions.pickReaction")} onPick={(emoji) => react(emoji)()} onClose={() => setOpen(null)} />
      ) : null}
      {reporting ? <ReportDialog conversationId={id} seq={message.seq} onClose={() => setReporting(false)} /> : null}
      {forwarding ? <ForwardDialog message={message} onClose={() => setForwarding(false)} /> : null}
      {confirmDelete ? (
        <Dialog title={t("actions.deleteEveryoneTitle")} onClose={() => setConfirmDelete(false)}>
          <p className="dialog-text">{t("actions.deleteEveryoneText")}</p>
          <div className="dialog-actions">
            <button type="button" className="button" onClick={() => setConfirmDelete(false)}>
              {t("common.cancel")}
            </button>
            <button
              type="button"
              className="button button-danger"
              onClick={() => {
                setConfirmDelete(false);
                store.deleteMessage(id, message.seq, "everyone");
              }}
            >
              {t("actions.deleteEveryone")}
            </button>
          </div>
        </Dialog>
      ) : null}
    </div>
  );
}
