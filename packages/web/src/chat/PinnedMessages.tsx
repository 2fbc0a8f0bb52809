// Pinned messages: the header's button with their count, and the dialog that lists them (newest pin first); a click
// on one opens the conversation at that message, members may unpin from the list.

import type { PinnedMessage } from "@parley/client";
import { useEffect, useState } from "react";
import { attachmentSummary } from "../format/files.js";
import { formatFullTimestamp } from "../format/time.js";
import { useT } from "../i18n/I18nProvider.js";
import { bodyAsText } from "../mentions/mention-text.js";
import { displayName } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { Dialog } from "../ui/Dialog.js";

const NO_PINS: readonly PinnedMessage[] = [];

/** The header's pin button; shown once the conversation has pinned messages. Fetches them when the chat opens. */
export function PinnedButton({ conversation: c }: { conversation: ConversationState }) {
  const store = useStore();
  const t = useT();
  const pins = useChat((s) => s.pins[c.id]) ?? NO_PINS;
  const [open, setOpen] = useState(false);
  const connected = useChat((s) => s.connection === "connected");
  // Fetched once connected (again after a reconnect); the SDK keeps the list current in between.
  useEffect(() => {
    if (connected) store.loadPins(c.id);
  }, [store, c.id, connected]);
  if (pins.length === 0) return null;
  const label = t("pins.count", { count: pins.length });
  return (
    <>
      <button type="button" className="icon-button pinned-button" onClick={() => setOpen(true)} aria-label={label} title={label}>
        <span aria-hidden="true">📌</span>
        <span className="pinned-count" aria-hidden="true">
          {pins.length}
        </span>
      </button>
      {open ? <PinnedDialog conversation={c} pins={pins} onClose={() => setOpen(false)} /> : null}
    </>
  );
}

function PinnedDialog({
  conversation: c,
  pins,
  onClose,
}: {
  conversation: ConversationState;
  pins: readonly PinnedMessage[];
  onClose: () => void;
}) {
  const store = useStore();
  const t = useT();
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const nameOf = (id: string) => displayName(users[id], t("names.someoneLower"));
  const member = c.membership === "member";
  return (
    <Dialog title={t("pins.title")} onClose={onClose} className="pinned-dialog">
      <ul className="pinned-list" aria-label={t("pins.title")}>
        {pins.map((p) => {
          const m = p.message;
          const text = m.body
            ? bodyAsText(m.body, nameOf)
            : m.attachments.length > 0
              ? attachmentSummary(m.attachments)
              : t("message.unavailable");
          return (
            <li key={p.seq} className="pinned-item">
              <button
                type="button"
                className="pinned-open"
                onClick={() => {
                  onClose();
                  void store.jumpTo(c.id, p.seq);
                }}
              >
                <span className="pinned-author">{displayName(users[m.senderId], t("names.someone"))}</span>
                <span className="pinned-text">{text}</span>
                <span className="pinned-meta muted">
                  <time dateTime={new Date(p.pinnedAt).toISOString()}>
                    {p.pinnedBy === me
                      ? t("pins.byYou", { time: formatFullTimestamp(p.pinnedAt) })
                      : t("pins.by", { name: nameOf(p.pinnedBy), time: formatFullTimestamp(p.pinnedAt) })}
                  </time>
                </span>
              </button>
              {member ? (
                <button
                  type="button"
                  className="button pinned-unpin"
                  onClick={() => store.setPinned(c.id, p.seq, false)}
                  aria-label={t("pins.unpinOf", { name: nameOf(m.senderId) })}
                >
                  {t("actions.unpin")}
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
    </Dialog>
  );
}
