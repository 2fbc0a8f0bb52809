// Writing a message: Enter sends, Shift+Enter adds a line, Ctrl/Cmd+B and +I wrap the selection in bold or italic
// markers, ↑ in an empty composer edits one's last message; typing is reported; what is typed is kept as the
// conversation's draft; works offline (the outbox sends later).

import type { Message } from "@parley/client";
import { type FormEvent, type KeyboardEvent, useEffect, useId, useLayoutEffect, useMemo, useRef, useState } from "react";
import { EmojiPickerDialog } from "../emoji/EmojiPickerDialog.js";
import { formatBytes } from "../format/files.js";
import { useT } from "../i18n/I18nProvider.js";
import { MentionSuggestions } from "../mentions/MentionSuggestions.js";
import { bodyAsText } from "../mentions/mention-text.js";
import { useMentionPicker } from "../mentions/use-mention-picker.js";
import { displayName } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import { Icon } from "../ui/Icon.js";
import { SHORTCUT_MARKERS, type TextEdit, toggleMarker } from "./compose-format.js";
import type { Uploads } from "./use-uploads.js";

const MAX_HEIGHT_PX = 168;
const encoder = new TextEncoder();

export function Composer({ conversationId, uploads }: { conversationId: string; uploads: Uploads }) {
  const store = useStore();
  const t = useT();
  const maxBytes = useChat((s) => s.maxMessageBytes);
  const composing = useChat((s) => s.composing[conversationId]);
  const target = useChat((s) =>
    composing ? s.conversations[conversationId]?.messages.find((m) => m.seq === composing.seq) : undefined,
  );
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const ref = useRef<HTMLTextAreaElement>(null);
  // Declared before the text: the draft's mention tokens become "@Name" labels the picker remembers.
  const mentions = useMentionPicker(conversationId, ref, (edit) => {
    selectAfter.current = edit;
    update(edit.text);
  });
  const [text, setText] = useState(() => mentions.decode(store.getState().drafts[conversationId] ?? ""));
  const id = useId();
  const bytes = useMemo(() => encoder.encode(text).length, [text]);
  const tooLong = bytes > maxBytes;
  const empty = text.trim() === "" && uploads.ready.length === 0;
  const fileInput = useRef<HTMLInputElement>(null);
  /** The selection to restore once a formatting shortcut's (a picked emoji's, a picked mention's) text is rendered. */
  const selectAfter = useRef<TextEdit | null>(null);
  const [picking, setPicking] = useState(false);

  // Opening a chat puts the cursor in the composer, except on touch screens where it would pop up the keyboard.
  useEffect(() => {
    if (window.matchMedia?.("(pointer: fine)").matches) ref.current?.focus();
  }, []);

  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, MAX_HEIGHT_PX)}px`;
    const edit = selectAfter.current;
    if (edit && edit.text === text) el.setSelectionRange(edit.selectionStart, edit.selectionEnd);
    selectAfter.current = null;
  }, [text]);

  // Editing starts from the message's text; replying keeps what was typed.
  // biome-ignore lint/correctness/useExhaustiveDependencies: only when the composer switches to another message
  useEffect(() => {
    if (composing?.mode === "edit" && target?.body) {
      setText(mentions.decode(target.body));
    }
    if (composing) ref.current?.focus();
  }, [composing?.mode, composing?.seq]);

  /** Cancelling an edit empties the field (the edit had replaced what was typed). */
  const cancel = () => {
    if (composing?.mode === "edit") update("");
    store.cancelCompose(conversationId);
  };

  const update = (value: string) => {
    setText(value);
    store.setDraft(conversationId, mentions.encode(value));
    store.setTyping(conversationId, value.trim() !== "");
  };

  const send = () => {
    if (empty || tooLong || uploads.busy) return;
    store.send(conversationId, mentions.encode(text), uploads.ready);
    uploads.clear();
    update("");
    store.setTyping(conversationId, false);
    ref.current?.focus();
  };

  /** Puts a picked emoji where the caret was (replacing a selection), the caret after it. */
  const insertEmoji = (emoji: string) => {
    const el = ref.current;
    const start = el?.selectionStart ?? text.length;
    const end = el?.selectionEnd ?? text.length;
    const next = text.slice(0, start) + emoji + text.slice(end);
    selectAfter.current = { text: next, selectionStart: start + emoji.length, selectionEnd: start + emoji.length };
    update(next);
    // After the dialog has closed and handed focus back to its opener.
    requestAnimationFrame(() => ref.current?.focus());
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    send();
  };

  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (mentions.onKeyDown(event)) return;
    const marker = SHORTCUT_MARKERS[event.key.toLowerCase()];
    if (marker && (event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey) {
      event.preventDefault();
      const el = event.currentTarget;
      const edit = toggleMarker(el.value, el.selectionStart, el.selectionEnd, marker);
      selectAfter.current = edit;
      update(edit.text);
      return;
    }
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    } else if (event.key === "Escape" && composing) {
      event.preventDefault();
      cancel();
    } else if (event.key === "ArrowUp" && text === "" && !composing && !event.shiftKey && !event.altKey) {
      const last = lastEditable(store.getState().conversations[conversationId]?.messages ?? [], me);
      if (last === undefined) return;
      event.preventDefault();
      store.compose(conversationId, "edit", last.seq);
    }
  };

  const who = target
    ? target.senderId === me
      ? t("composer.yourself")
      : displayName(users[target.senderId], t("names.someone"))
    : "";
  return (
    <form className="composer" onSubmit={onSubmit}>
      {composing ? (
        <div className="compose-context" data-mode={composing.mode}>
          <span className="compose-context-text">
            {composing.mode === "edit" ? (
              <strong>{t("composer.editing")}</strong>
            ) : (
              <>
                <strong>{t("composer.replyingTo", { name: who })}</strong>{" "}
                <span className="muted">
                  {bodyAsText(target?.body ?? "", (id) => displayName(users[id], t("names.someoneLower")))}
                </span>
              </>
            )}
          </span>
          <button
            type="button"
            className="link-button"
            aria-label={composing.mode === "edit" ? t("composer.cancelEdit") : t("composer.cancelReply")}
            onClick={cancel}
          >
            ×
          </button>
        </div>
      ) : null}
      {picking ? (
        <EmojiPickerDialog
          onPick={(emoji) => {
            setPicking(false);
            insertEmoji(emoji);
          }}
          onClose={() => {
            setPicking(false);
            ref.current?.focus();
          }}
        />
      ) : null}
      <div className="composer-tools" data-slot="attachments">
        <button
          type="button"
          className="icon-button attach-button"
          aria-label={t("composer.attach")}
          title={t("composer.attachTitle")}
          onClick={() => fileInput.current?.click()}
        >
          <Icon name="attach" />
        </button>
        <button
          type="button"
          className="icon-button emoji-button"
          aria-label={t("composer.emoji")}
          title={t("composer.emoji")}
          onClick={() => setPicking(true)}
        >
          <Icon name="emoji" />
        </button>
        <input
          ref={fileInput}
          type="file"
          multiple
          hidden
          data-testid="file-input"
          onChange={(e) => {
            uploads.add([...(e.target.files ?? [])]);
            e.target.value = "";
          }}
        />
      </div>
      <div className="composer-field">
        {uploads.items.length > 0 ? (
          <ul className="upload-list" aria-label={t("composer.files")}>
            {uploads.items.map((item) => (
              <li
                key={item.key}
                className="upload-item"
                data-state={item.error ? "failed" : item.attachment ? "ready" : "uploading"}
              >
                {item.preview ? <img className="upload-thumb" src={item.preview} alt="" /> : null}
                <span className="upload-name">{item.name}</span>
                {item.error ? (
                  <span className="upload-error" role="alert">
                    {item.error}
                  </span>
                ) : item.attachment ? (
                  <span className="upload-size">{formatBytes(item.size)}</span>
                ) : (
                  <progress
                    className="upload-progress"
                    max={item.size || 1}
                    value={item.sent}
                    aria-label={t("composer.uploading", { name: item.name })}
                  />
                )}
                <button
                  type="button"
                  className="link-button"
                  onClick={() => uploads.remove(item.key)}
                  aria-label={t("group.removeName", { name: item.name })}
                >
                  <Icon name="close" />
                </button>
              </li>
            ))}
          </ul>
        ) : null}
        <MentionSuggestions picker={mentions} id={`${id}-mentions`} />
        <label htmlFor={id} className="visually-hidden">
          {t("composer.message")}
        </label>
        <textarea
          id={id}
          ref={ref}
          rows={1}
          value={text}
          placeholder={uploads.items.length > 0 ? t("composer.caption") : t("composer.placeholder")}
          onChange={(e) => {
            update(e.target.value);
            mentions.track(e.target.value, e.target.selectionStart);
          }}
          onSelect={(e) => mentions.track(e.currentTarget.value, e.currentTarget.selectionStart)}
          onPaste={(e) => {
            // Pasted pictures (a screenshot) are attached like chosen files; pasted text stays text.
            const files = [...e.clipboardData.files];
            if (files.length === 0) return;
            e.preventDefault();
            uploads.add(files);
          }}
          onKeyDown={onKeyDown}
          aria-controls={mentions.candidates.length > 0 ? `${id}-mentions` : undefined}
          aria-activedescendant={mentions.candidates.length > 0 ? `${id}-mentions-${mentions.active}` : undefined}
          aria-invalid={tooLong}
          aria-describedby={tooLong ? `${id}-limit ${id}-hint` : `${id}-hint`}
        />
        <span id={`${id}-hint`} className="composer-hint">
          {t("composer.formatHint")}
        </span>
        {tooLong ? (
          <span id={`${id}-limit`} className="composer-limit" role="alert">
            {t("composer.tooLong", { bytes, max: maxBytes })}
          </span>
        ) : null}
      </div>
      <button
        type="submit"
        className="send-button"
        aria-label={composing?.mode === "edit" ? t("composer.saveEdit") : t("composer.send")}
        title={t("composer.sendTitle")}
        disabled={empty || tooLong || uploads.busy}
      >
        <Icon name="send" />
      </button>
    </form>
  );
}

/** The user's newest message that can still be edited here: their own live text with words in it. */
function lastEditable(messages: readonly Message[], me: string | undefined): Message | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.senderId === me && m.kind === "text" && m.deletedAt === undefined && !m.hidden && m.body) return m;
  }
  return undefined;
}
