// Text of a message with its mentions shown as "@Name"; the reader's own mentions stand out.

import { useT } from "../i18n/I18nProvider.js";
import { displayName } from "../state/conversations.js";
import { useChat } from "../state/store-context.js";
import { mentionParts } from "./mention-text.js";

export function MentionText({ text }: { text: string }) {
  const t = useT();
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const parts = mentionParts(text, (id) => displayName(users[id], t("names.someoneLower")), me);
  if (parts.length === 1 && parts[0]!.type === "text") return <>{text}</>;
  return (
    <>
      {parts.map((part, i) =>
        part.type === "text" ? (
          part.text
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: parts of one immutable text, never reordered
          <span key={i} className="mention" data-self={part.self || undefined} title={part.self ? t("mentions.you") : undefined}>
            {part.label}
          </span>
        ),
      )}
    </>
  );
}
