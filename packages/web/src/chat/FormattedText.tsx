// A message's text as the reader sees it: formatted (chat/formatted.tsx), links clickable, mentions as "@Name" with
// the reader's own standing out.

import { useMemo } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { displayName } from "../state/conversations.js";
import { useChat } from "../state/store-context.js";
import { renderFormatted } from "./formatted.js";

export function FormattedText({ text, className }: { text: string; className: string }) {
  const t = useT();
  const users = useChat((s) => s.users);
  const me = useChat((s) => s.me?.id);
  const { blocks, content } = useMemo(
    () =>
      renderFormatted(text, (userId) => (
        <span className="mention" data-self={userId === me || undefined} title={userId === me ? t("mentions.you") : undefined}>
          @{displayName(users[userId], t("names.someoneLower"))}
        </span>
      )),
    [text, users, me, t],
  );
  // One paragraph flows inline beside the time; blocks (lists, quotes, code) need a block container.
  return blocks ? <div className={`${className} formatted`}>{content}</div> : <span className={className}>{content}</span>;
}
