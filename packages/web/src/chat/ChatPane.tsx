// One open conversation: header, messages and composer (or a note when the user is no longer a member).

import { type DragEvent, useState } from "react";
import { ChannelInfoDialog } from "../channels/ChannelInfoDialog.js";
import { DirectInfoDialog } from "../conversations/DirectInfoDialog.js";
import { GroupInfoDialog } from "../conversations/GroupInfoDialog.js";
import { DevicesChangedNotice } from "../e2ee/SafetyNumber.js";
import { useT } from "../i18n/I18nProvider.js";
import { canPost } from "../state/conversations.js";
import { useChat } from "../state/store-context.js";
import { ChatHeader } from "./ChatHeader.js";
import { Composer } from "./Composer.js";
import { MessageList } from "./MessageList.js";
import { useUploads } from "./use-uploads.js";

export function ChatPane({ conversationId }: { conversationId: string }) {
  const t = useT();
  const conversation = useChat((s) => s.conversations[conversationId]);
  const listLoaded = useChat((s) => s.listLoaded);
  const me = useChat((s) => s.me?.id);
  const [info, setInfo] = useState(false);
  const [dragging, setDragging] = useState(false);
  const uploads = useUploads(conversationId);

  if (!conversation) {
    return (
      <section className="chat chat-missing">
        <p className="muted">{listLoaded ? t("chat.missing") : t("common.loading")}</p>
      </section>
    );
  }
  const canSend = canPost(conversation, me);
  const hasFiles = (e: DragEvent) => e.dataTransfer.types.includes("Files");
  return (
    <section
      className="chat"
      aria-label={t("chat.label")}
      data-dragging={dragging || undefined}
      onDragOver={(e) => {
        if (!canSend || !hasFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = "copy";
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (e.currentTarget === e.target || !e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        if (!canSend || !hasFiles(e)) return;
        e.preventDefault();
        setDragging(false);
        uploads.add([...e.dataTransfer.files]);
      }}
    >
      <ChatHeader conversation={conversation} onShowInfo={() => setInfo(true)} />
      {conversation.encrypted ? <DevicesChangedNotice conversation={conversation} /> : null}
      <MessageList conversation={conversation} />
      {canSend ? (
        <Composer conversationId={conversation.id} uploads={uploads} />
      ) : (
        <p className="composer-closed" role="note">
          {conversation.membership === "member"
            ? t("channel.readOnly")
            : conversation.kind === "channel"
              ? t("channel.notMember")
              : t("group.notMember")}
        </p>
      )}
      {dragging ? <div className="drop-overlay">{t("chat.dropFiles")}</div> : null}
      {info && conversation.kind === "group" ? (
        <GroupInfoDialog conversation={conversation} onClose={() => setInfo(false)} />
      ) : null}
      {info && conversation.kind === "channel" ? (
        <ChannelInfoDialog conversation={conversation} onClose={() => setInfo(false)} />
      ) : null}
      {info && conversation.kind === "direct" ? (
        <DirectInfoDialog conversation={conversation} onClose={() => setInfo(false)} />
      ) : null}
    </section>
  );
}
