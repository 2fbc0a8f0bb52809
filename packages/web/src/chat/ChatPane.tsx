// One open conversation: header, messages and composer (or a note when the user is no longer a member).

import { useState } from "react";
import { GroupInfoDialog } from "../conversations/GroupInfoDialog.js";
import { useChat } from "../state/store-context.js";
import { ChatHeader } from "./ChatHeader.js";
import { Composer } from "./Composer.js";
import { MessageList } from "./MessageList.js";

export function ChatPane({ conversationId }: { conversationId: string }) {
  const conversation = useChat((s) => s.conversations[conversationId]);
  const listLoaded = useChat((s) => s.listLoaded);
  const [info, setInfo] = useState(false);

  if (!conversation) {
    return (
      <section className="chat chat-missing">
        <p className="muted">{listLoaded ? "This conversation does not exist or is not yours." : "Loading…"}</p>
      </section>
    );
  }
  return (
    <section className="chat" aria-label="Chat">
      <ChatHeader conversation={conversation} onShowInfo={() => setInfo(true)} />
      <MessageList conversation={conversation} />
      {conversation.membership === "member" ? (
        <Composer conversationId={conversation.id} />
      ) : (
        <p className="composer-closed">You are no longer a member of this group.</p>
      )}
      {info && conversation.kind === "group" ? (
        <GroupInfoDialog conversation={conversation} onClose={() => setInfo(false)} />
      ) : null}
    </section>
  );
}
