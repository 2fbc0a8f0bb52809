// The "@" marker of a conversation-list row with unread messages that mention the user.

import { useT } from "../i18n/I18nProvider.js";

export function MentionBadge({ count }: { count: number }) {
  const t = useT();
  const label = t("mentions.unread", { count });
  return (
    <span className="mention-badge" title={label}>
      <span aria-hidden="true">@</span>
      <span className="visually-hidden">{label}</span>
    </span>
  );
}
