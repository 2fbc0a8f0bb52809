// Mentions in a message body: the token syntax `<@userId>` (docs/protocol.md §6.6, "Mentions"), shared by every side.

/** One mention token; the id has the characters of every Parley id. Global: use with `matchAll` or `replace`. */
export const MENTION_PATTERN = /<@([A-Za-z0-9_-]{1,64})>/g;

/** The token that mentions `userId` in a body. */
export function mentionToken(userId: string): string {
  return `<@${userId}>`;
}

/** The distinct user ids a body mentions, in the order they first appear. */
export function mentionedUserIds(body: string): string[] {
  const ids = new Set<string>();
  for (const match of body.matchAll(MENTION_PATTERN)) ids.add(match[1]!);
  return [...ids];
}

/** Whether the body mentions `userId`. */
export function mentionsUser(body: string, userId: string): boolean {
  return body.includes(mentionToken(userId));
}
