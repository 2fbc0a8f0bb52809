// The user's conversations, most recent activity first, updated live.

import { useMemo } from "react";
import { useNow } from "../app/use-now.js";
import { useT } from "../i18n/I18nProvider.js";
import { sortConversations } from "../state/conversations.js";
import { useChat } from "../state/store-context.js";
import { useRovingFocus } from "../ui/use-roving-focus.js";
import { ConversationItem } from "./ConversationItem.js";

export function ConversationList() {
  const t = useT();
  const conversations = useChat((s) => s.conversations);
  const pending = useChat((s) => s.pending);
  const activeId = useChat((s) => s.activeId);
  const listLoaded = useChat((s) => s.listLoaded);
  const now = useNow(60_000);
  const sorted = useMemo(() => sortConversations(Object.values(conversations), pending), [conversations, pending]);
  const ids = useMemo(() => sorted.map((c) => c.id), [sorted]);
  const roving = useRovingFocus(ids, activeId, "data-conversation-id");

  if (sorted.length === 0) {
    return (
      <div className="conversation-empty">
        {listLoaded ? (
          <>
            <p>{t("list.empty")}</p>
            <p className="muted">{t("list.emptyHint")}</p>
          </>
        ) : (
          <p className="muted">{t("list.loading")}</p>
        )}
      </div>
    );
  }
  return (
    <ul className="conversation-list" onKeyDown={roving.onKeyDown} onFocus={roving.onFocus}>
      {sorted.map((c) => (
        <ConversationItem key={c.id} conversation={c} active={c.id === activeId} now={now} tabIndex={roving.tabIndexOf(c.id)} />
      ))}
    </ul>
  );
}
