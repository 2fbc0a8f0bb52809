// A direct chat's details: who it is with, and how long its messages live.

import { SafetyNumber } from "../e2ee/SafetyNumber.js";
import { useT } from "../i18n/I18nProvider.js";
import { conversationTitle, otherMemberId } from "../state/conversations.js";
import { useChat } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { Dialog } from "../ui/Dialog.js";
import { RetentionSettings } from "./RetentionSettings.js";

export function DirectInfoDialog({ conversation, onClose }: { conversation: ConversationState; onClose: () => void }) {
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const users = useChat((s) => s.users);
  const other = otherMemberId(conversation, me);
  return (
    <Dialog title={t("directInfo.title")} onClose={onClose} className="dialog-wide">
      <p className="group-title">{conversationTitle(conversation, me, users)}</p>
      {conversation.encrypted && other ? <SafetyNumber userId={other} /> : null}
      <RetentionSettings conversation={conversation} />
    </Dialog>
  );
}
