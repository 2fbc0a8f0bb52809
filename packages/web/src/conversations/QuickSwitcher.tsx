// Ctrl+K (⌘K on a Mac) anywhere in the signed-in app: a dialog to jump to a conversation by typing part of its name.

import { type KeyboardEvent, useEffect, useId, useMemo, useRef, useState } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { conversationTitle, sortConversations } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { matchSwitchable } from "./quick-switch.js";

/** Opens the switcher on Ctrl+K / ⌘K and renders it while open. */
export function QuickSwitcher() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKeyDown = (event: globalThis.KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "k") {
        event.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener("keydown", onKeyDown);
    return () => window.removeEventListener("keydown", onKeyDown);
  }, []);
  return open ? <SwitcherDialog onClose={() => setOpen(false)} /> : null;
}

function SwitcherDialog({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const t = useT();
  const conversations = useChat((s) => s.conversations);
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const id = useId();
  const field = useRef<HTMLInputElement>(null);
  // After the dialog opened (its effect runs first and focuses its first control): the name field takes the focus.
  useEffect(() => field.current?.focus(), []);
  const all = useMemo(
    () => sortConversations(Object.values(conversations)).map((c) => ({ id: c.id, title: conversationTitle(c, me, users) })),
    [conversations, users, me],
  );
  const matches = useMemo(() => matchSwitchable(query, all), [query, all]);
  const current = Math.min(active, Math.max(0, matches.length - 1));

  const choose = (conversationId: string) => {
    onClose();
    store.open(conversationId);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    const n = matches.length;
    if (event.key === "ArrowDown" && n > 0) setActive((current + 1) % n);
    else if (event.key === "ArrowUp" && n > 0) setActive((current + n - 1) % n);
    else if (event.key === "Enter" && n > 0) choose(matches[current]!.id);
    else return;
    event.preventDefault();
  };

  return (
    <Dialog title={t("switcher.title")} onClose={onClose} className="quick-switcher">
      <div className="dialog-form">
        <input
          type="text"
          role="combobox"
          aria-label={t("switcher.field")}
          aria-autocomplete="list"
          aria-expanded={matches.length > 0}
          aria-controls={`${id}-list`}
          aria-activedescendant={matches.length > 0 ? `${id}-${current}` : undefined}
          placeholder={t("switcher.placeholder")}
          ref={field}
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
        />
        <div className="quick-switcher-list" id={`${id}-list`} role="listbox" aria-label={t("sidebar.label")}>
          {matches.map((m, i) => (
            // biome-ignore lint/a11y/useKeyWithClickEvents: the name field drives the list by keyboard (aria-activedescendant)
            <div
              key={m.id}
              id={`${id}-${i}`}
              role="option"
              tabIndex={-1}
              aria-selected={i === current}
              className="quick-switcher-option"
              onClick={() => choose(m.id)}
            >
              {m.title}
            </div>
          ))}
        </div>
        {matches.length === 0 ? <p className="muted">{t("switcher.none")}</p> : null}
      </div>
    </Dialog>
  );
}
