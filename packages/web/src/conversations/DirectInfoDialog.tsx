// A direct chat's details: who it is with, and how long its messages live.

import { conversationTitle } from "../state/conversations.js";
import { useChat } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { Dialog } from "../ui/Dialog.js";
import { RetentionSettings } from "./RetentionSettings.js";

export function DirectInfoDialog({ conversation, onClose }: { conversation: ConversationState; onClose: () => void }) {
  const me = useChat((s) => s.me?.id);
  const users = useChat((s) => s.users);
  return (
    <Dialog title="Chat info" onClose={onClose} className="dialog-wide">
      <p className="group-title">{conversationTitle(conversation, me, users)}</p>
      <RetentionSettings conversation={conversation} />
    </Dialog>
  );
}
