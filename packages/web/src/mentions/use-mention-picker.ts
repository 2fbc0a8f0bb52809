// The composer's mention autocomplete: notices "@query" before the caret, offers the conversation's members, moves
// through them with the arrow keys, and picks with Enter, Tab, a click or a tap. Remembers what was picked, so that
// the composer text (with "@Name" labels) becomes a body with `<@userId>` tokens when it is sent or saved as a draft.

import { type KeyboardEvent, type RefObject, useMemo, useRef, useState } from "react";
import type { TextEdit } from "../chat/compose-format.js";
import { t } from "../i18n/i18n.js";
import { displayName } from "../state/conversations.js";
import { useChat } from "../state/store-context.js";
import {
  decodeMentions,
  encodeMentions,
  insertMention,
  type MentionCandidate,
  matchCandidates,
  mentionQuery,
  type PickedMention,
} from "./mention-text.js";

export interface MentionPicker {
  /** The members offered now (empty: the list is closed). */
  candidates: MentionCandidate[];
  active: number;
  /** Call after every change of text or caret. */
  track(text: string, caret: number): void;
  /** Handles the list's keys while it is open; true when the key was used. */
  onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>): boolean;
  pick(candidate: MentionCandidate): void;
  /** Composer text → body with tokens. */
  encode(text: string): string;
  /** Body with tokens (an edit, a draft) → composer text; its mentions count as picked. */
  decode(body: string): string;
}

export function useMentionPicker(
  conversationId: string,
  field: RefObject<HTMLTextAreaElement | null>,
  /** Puts `edit.text` in the field and its selection once rendered (the composer's, for every edit it makes). */
  update: (edit: TextEdit) => void,
): MentionPicker {
  const members = useChat((s) => s.conversations[conversationId]?.members);
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const picked = useRef<PickedMention[]>([]);
  const [query, setQuery] = useState<{ start: number; query: string } | null>(null);
  const [active, setActive] = useState(0);
  const [dismissedAt, setDismissedAt] = useState<number | null>(null);

  const people = useMemo<MentionCandidate[]>(
    () =>
      (members ?? [])
        .filter((m) => m.userId !== me)
        .map((m) => ({
          userId: m.userId,
          displayName: displayName(users[m.userId], t("names.unknownUser")),
          username: users[m.userId]?.username ?? "",
        })),
    [members, users, me],
  );
  const candidates = useMemo(
    () => (query === null || query.start === dismissedAt ? [] : matchCandidates(query.query, people)),
    [query, people, dismissedAt],
  );
  const nameOf = (id: string) => displayName(users[id], "someone");

  const pick = (candidate: MentionCandidate) => {
    const el = field.current;
    if (!el || !query) return;
    const label = `@${candidate.displayName}`;
    const next = insertMention(el.value, query.start, el.selectionStart ?? el.value.length, label);
    if (!picked.current.some((p) => p.userId === candidate.userId && p.label === label)) {
      picked.current = [...picked.current, { userId: candidate.userId, label }];
    }
    // The caret goes after the name in the same commit that renders it, before any further key reaches the field. (A
    // caret set in a later animation frame moved back over what was typed meanwhile: "Hi @Bob Stone re you in?a".)
    el.focus();
    update({ text: next.text, selectionStart: next.caret, selectionEnd: next.caret });
    setQuery(null);
  };

  return {
    candidates,
    active: Math.min(active, Math.max(0, candidates.length - 1)),
    track(text, caret) {
      const q = mentionQuery(text, caret);
      setQuery((old) => (old?.start === q?.start && old?.query === q?.query ? old : q));
      if (q?.start !== query?.start || q?.query !== query?.query) setActive(0);
      if (q === null || q.start !== dismissedAt) setDismissedAt(null);
    },
    onKeyDown(event) {
      // Keys that finish an input method's composition (Enter for a Japanese word) are not for the list.
      if (candidates.length === 0 || event.nativeEvent.isComposing) return false;
      const n = candidates.length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        setActive((i) => (Math.min(i, n - 1) + (event.key === "ArrowDown" ? 1 : n - 1)) % n);
      } else if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") {
        pick(candidates[Math.min(active, n - 1)]!);
      } else if (event.key === "Escape") {
        setDismissedAt(query?.start ?? null);
      } else {
        return false;
      }
      event.preventDefault();
      return true;
    },
    pick,
    encode: (text) => encodeMentions(text, picked.current),
    decode(body) {
      const { text, picked: found } = decodeMentions(body, nameOf);
      const known = picked.current.filter((p) => !found.some((f) => f.userId === p.userId && f.label === p.label));
      picked.current = [...known, ...found];
      return text;
    },
  };
}
