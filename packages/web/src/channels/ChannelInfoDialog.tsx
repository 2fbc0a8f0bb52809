// Channel details (docs/protocol.md §6.17): its settings and member count, the notification level, the paged member
// list; admins add and remove members and manage invite links; anyone can leave.

import { type FormEvent, useState } from "react";
import { keepFieldFocus, parseUsernames, UsernameListInput } from "../conversations/UsernameListInput.js";
import { useT } from "../i18n/I18nProvider.js";
import { isChannelAdmin } from "../state/conversations.js";
import { useChat, useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";
import { ChannelInvites } from "./ChannelInvites.js";
import { ChannelMembers } from "./ChannelMembers.js";

export function ChannelInfoDialog({ conversation, onClose }: { conversation: ConversationState; onClose: () => void }) {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me?.id);
  const admin = isChannelAdmin(conversation, me);
  const [names, setNames] = useState<string[]>([]);
  const [draft, setDraft] = useState("");
  const [level, setLevel] = useState<"all" | "mentions" | null>(null);
  const [confirmLeave, setConfirmLeave] = useState(false);
  /** Bumped when members were added here, so that the member list loads again. */
  const [membersVersion, setMembersVersion] = useState(0);
  const action = useAction();
  const notify = useAction();
  const member = conversation.membership === "member";
  const settings = conversation.channel;

  const add = (event: FormEvent) => {
    event.preventDefault();
    const all = [...names, ...parseUsernames(draft)];
    if (all.length === 0) return;
    void action.run(async () => {
      await store.addChannelMembers(conversation.id, all);
      setNames([]);
      setDraft("");
      setMembersVersion((v) => v + 1);
    });
  };

  const chooseLevel = (next: "all" | "mentions") =>
    void notify.run(async () => {
      await store.client.setChannelNotifications(conversation.id, next);
      setLevel(next);
    });

  return (
    <Dialog title={t("channel.info")} onClose={onClose} className="dialog-wide">
      <p className="group-title">{conversation.title}</p>
      <p className="muted">
        {settings?.visibility === "private" ? t("channel.privateNote") : t("channel.publicNote")}
        {settings?.posting === "admins" ? ` · ${t("channel.adminsPostNote")}` : ""}
      </p>

      {member ? (
        <section aria-label={t("channel.notifications")}>
          <label className="field">
            <span>{t("channel.notifications")}</span>
            <select
              name="channelNotifications"
              value={level ?? ""}
              disabled={notify.busy}
              onChange={(e) => chooseLevel(e.target.value as "all" | "mentions")}
            >
              {level === null ? <option value="" disabled /> : null}
              <option value="all">{t("channel.notifyAll")}</option>
              <option value="mentions">{t("channel.notifyMentions")}</option>
            </select>
          </label>
          <p className="muted" aria-live="polite">
            {level !== null && !notify.busy ? `${t("channel.notifySaved")} ` : ""}
            {t("channel.muteHint")}
          </p>
          <FormError error={notify.error} />
        </section>
      ) : null}

      {member ? (
        <ChannelMembers
          conversationId={conversation.id}
          memberCount={conversation.memberCount ?? 0}
          me={me}
          admin={admin}
          version={membersVersion}
        />
      ) : null}

      {admin ? (
        <form className="inline-form" onSubmit={add}>
          <div className="grow">
            <UsernameListInput
              label={t("channel.addMembers")}
              names={names}
              draft={draft}
              onNames={setNames}
              onDraft={setDraft}
              placeholder={t("group.usernames")}
            />
          </div>
          <button
            type="submit"
            className="button"
            disabled={action.busy || (names.length === 0 && draft.trim() === "")}
            onMouseDown={keepFieldFocus}
          >
            {t("group.add")}
          </button>
        </form>
      ) : null}
      <FormError error={action.error} />

      {admin ? <ChannelInvites conversationId={conversation.id} /> : null}

      {member ? (
        <div className="dialog-actions dialog-actions-split">
          {confirmLeave ? (
            <>
              <span>{t("channel.leaveConfirm", { title: conversation.title ?? "" })}</span>
              <button type="button" className="button" onClick={() => setConfirmLeave(false)}>
                {t("group.stay")}
              </button>
              <button
                type="button"
                className="button button-danger"
                disabled={action.busy}
                onClick={() =>
                  void action.run(async () => {
                    await store.leave(conversation.id);
                    onClose();
                  })
                }
              >
                {t("channel.leave")}
              </button>
            </>
          ) : (
            <button type="button" className="button button-danger" onClick={() => setConfirmLeave(true)}>
              {t("channel.leave")}
            </button>
          )}
        </div>
      ) : (
        <p className="muted">{t("channel.notMember")}</p>
      )}
    </Dialog>
  );
}
