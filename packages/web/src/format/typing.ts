// The "… is typing" line from the names of who is typing.

import type { ConversationKind } from "@parley/protocol";

/** `names` are display names of the typers (never the signed-in user); direct chats only say "typing…". */
export function typingText(names: readonly string[], kind: ConversationKind): string {
  if (names.length === 0) return "";
  if (kind === "direct") return "typing…";
  if (names.length === 1) return `${names[0]} is typing…`;
  if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
  const others = names.length - 1;
  return `${names[0]} and ${others} others are typing…`;
}
