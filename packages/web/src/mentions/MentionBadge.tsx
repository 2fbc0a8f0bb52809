// The "@" marker of a conversation-list row with unread messages that mention the user.

export function MentionBadge({ count }: { count: number }) {
  const label = count === 1 ? "1 unread mention" : `${count} unread mentions`;
  return (
    <span className="mention-badge" title={label}>
      <span aria-hidden="true">@</span>
      <span className="visually-hidden">{label}</span>
    </span>
  );
}
