// "Forward": pick the conversation to copy a message into (type to filter, most recent first); the copy is the user's
// own message there, marked "Forwarded", and that conversation opens.

import type { Message } from "@parley/client";
import { useEffect, useMemo, useRef, useState } from "react";
import { matchSwitchable } from "../conversations/quick-switch.js";
import { useT } from "../i18n/I18nProvider.js";
import { conversationTitle, sortConversations } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";

export function ForwardDialog({ message, onClose }: { message: Message; onClose: () => void }) {
  const store = useStore();
  const t = useT();
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const [query, setQuery] = useState("");
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.focus(), []);
  const targets = useMemo(
    () =>
      sortConversations(Object.values(conversations).filter((c) => c.membership === "member")).map((c) => ({
        id: c.id,
        title: conversationTitle(c, me, users),
      })),
    [conversations, users, me],
  );
  const matches = useMemo(() => matchSwitchable(query, targets, 50), [query, targets]);

  const forwardTo = (conversationId: string) => {
    onClose();
    store.forward(conversationId, message);
    store.open(conversationId);
  };

  return (
    <Dialog title={t("forward.title")} onClose={onClose} className="forward-dialog">
      <div className="dialog-form">
        <input
          type="search"
          aria-label={t("forward.field")}
          placeholder={t("switcher.placeholder")}
          ref={field}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
        />
        <ul className="forward-list" aria-label={t("sidebar.label")}>
          {matches.map((m) => (
            <li key={m.id}>
              <button type="button" className="forward-target" onClick={() => forwardTo(m.id)}>
                {m.title}
              </button>
            </li>
          ))}
        </ul>
        {matches.length === 0 ? <p className="muted">{t("switcher.none")}</p> : null}
      </div>
    </Dialog>
  );
}
