// The "… is typing" line from the names of who is typing.

import type { ConversationKind } from "@parley/protocol";
import { t } from "../i18n/i18n.js";

/** `names` are display names of the typers (never the signed-in user); direct chats only say "typing…". */
export function typingText(names: readonly string[], kind: ConversationKind): string {
  if (names.length === 0) return "";
  if (kind === "direct") return t("typing.direct");
  if (names.length === 1) return t("typing.one", { name: names[0]! });
  if (names.length === 2) return t("typing.two", { first: names[0]!, second: names[1]! });
  return t("typing.many", { name: names[0]!, count: names.length - 1 });
}
