// Group details: members with roles and presence; admins add, remove and ban members (GroupBans) and rename; anyone
// can leave; the message lifetime (RetentionSettings).

import type { Member } from "@parley/client";
import { type FormEvent, useMemo, useState } from "react";
import { ProfileButton } from "../account/UserProfile.js";
import { useNow } from "../app/use-now.js";
import { MemberSafetyNumbers } from "../e2ee/SafetyNumber.js";
import { formatLastSeen } from "../format/time.js";
import { errorText } from "../i18n/errors.js";
import { useT } from "../i18n/I18nProvider.js";
import { canManage, canRemove, displayName, roleOf } from "../state/conversations.js";
import { presenceUnknownText, usePresence } from "../state/presence-view.js";
import { useChat, useStore } from "../state/store-context.js";
import type { ConversationState } from "../state/types.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { BanDialog, GroupBans } from "./GroupBans.js";
import { RetentionSettings } from "./RetentionSettings.js";
import { keepFieldFocus, parseUsernames, UsernameListInput } from "./UsernameListInput.js";

const ROLE_ORDER: Record<Member["role"], number> = { owner: 0, admin: 1, member: 2 };
export function GroupInfoDialog({ conversation, onClose }: { conversation: ConversationState; onClose: () => void }) {
  const store = useStore();
  const t = useT();
  const roleLabel: Record<Member["role"], string | null> = { owner: t("group.owner"), admin: t("group.admin"), member: null };
  const me = useChat((s) => s.me?.id);
  const users = useChat((s) => s.users);
  const { presence, known } = usePresence();
  const now = useNow();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [title, setTitle] = useState(conversation.title ?? "");
  const [names, setNames] = useState<string[]>([]);
  const [draft, setDraft] = useState("");
  const [confirmLeave, setConfirmLeave] = useState(false);
  const [banning, setBanning] = useState<string | null>(null);
  /** Bumped after a ban, so that the banned list loads again. */
  const [bansVersion, setBansVersion] = useState(0);
  const manage = canManage(conversation, me);
  const isOwner = roleOf(conversation, me) === "owner";

  const members = useMemo(
    () =>
      [...conversation.members].sort(
        (a, b) =>
          ROLE_ORDER[a.role] - ROLE_ORDER[b.role] ||
          displayName(users[a.userId]).localeCompare(displayName(users[b.userId]), undefined, { sensitivity: "base" }),
      ),
    [conversation.members, users],
  );
  const onlineCount = members.filter((m) => m.userId === me || presence[m.userId]?.online).length;

  const run = async (action: () => Promise<void>, after?: () => void) => {
    setBusy(true);
    setError(null);
    try {
      await action();
      after?.();
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  const rename = (event: FormEvent) => {
    event.preventDefault();
    if (title.trim() === "" || title.trim() === conversation.title) return;
    void run(() => store.rename(conversation.id, title));
  };

  const add = (event: FormEvent) => {
    event.preventDefault();
    const all = [...names, ...parseUsernames(draft)];
    if (all.length === 0) return;
    void run(
      () => store.addMembers(conversation.id, all),
      () => {
        setNames([]);
        setDraft("");
      },
    );
  };

  return (
    <Dialog title={t("group.info")} onClose={onClose} className="dialog-wide">
      {manage ? (
        <form className="inline-form" onSubmit={rename}>
          <label className="field grow">
            <span>{t("newGroup.name")}</span>
            <input name="title" required maxLength={128} value={title} onChange={(e) => setTitle(e.target.value)} />
          </label>
          <button type="submit" className="button" disabled={busy || title.trim() === "" || title.trim() === conversation.title}>
            {t("group.rename")}
          </button>
        </form>
      ) : (
        <p className="group-title">{conversation.title}</p>
      )}

      <h3 className="section-title">
        {known
          ? t("group.membersOnline", { count: members.length, online: onlineCount })
          : t("group.members", { count: members.length })}
      </h3>
      <ul className="member-list" aria-label={t("newGroup.members")}>
        {members.map((m) => {
          const user = users[m.userId];
          const name = displayName(user);
          const isMe = m.userId === me;
          const status = isMe
            ? known
              ? t("presence.online")
              : t("presence.offline")
            : known
              ? formatLastSeen(presence[m.userId], now)
              : presenceUnknownText();
          return (
            <li key={m.userId} className="member">
              <ProfileButton userId={m.userId} name={name} size="sm" online={(isMe && known) || presence[m.userId]?.online} />
              <div className="member-text">
                <span className="member-name">
                  {name}
                  {isMe ? <span className="muted"> {t("group.you")}</span> : null}
                </span>
                <span className="member-status">
                  {user ? `@${user.username}` : ""}
                  {status ? ` · ${status}` : ""}
                </span>
              </div>
              {roleLabel[m.role] ? <span className={`role-badge role-${m.role}`}>{roleLabel[m.role]}</span> : null}
              <div className="member-actions">
                {isOwner && !isMe ? (
                  <button
                    type="button"
                    className="button button-small"
                    disabled={busy}
                    onClick={() =>
                      void run(() => store.setRole(conversation.id, m.userId, m.role === "admin" ? "member" : "admin"))
                    }
                  >
                    {m.role === "admin" ? t("group.removeAdmin") : t("group.makeAdmin")}
                  </button>
                ) : null}
                {canRemove(conversation, me, m.userId) ? (
                  <button
                    type="button"
                    className="button button-small button-danger"
                    disabled={busy}
                    aria-label={t("group.removeName", { name })}
                    onClick={() => void run(() => store.removeMember(conversation.id, m.userId))}
                  >
                    {t("group.remove")}
                  </button>
                ) : null}
                {canRemove(conversation, me, m.userId) ? (
                  <button
                    type="button"
                    className="button button-small button-danger"
                    disabled={busy}
                    aria-label={t("group.banName", { name })}
                    onClick={() => setBanning(m.userId)}
                  >
                    {t("group.ban")}
                  </button>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>

      {manage ? (
        <form className="inline-form" onSubmit={add}>
          <div className="grow">
            <UsernameListInput
              label={t("group.addMembers")}
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
            disabled={busy || (names.length === 0 && draft.trim() === "")}
            onMouseDown={keepFieldFocus}
          >
            {t("group.add")}
          </button>
        </form>
      ) : null}

      <FormError error={error} />

      {manage ? <GroupBans conversationId={conversation.id} version={bansVersion} /> : null}
      {banning ? (
        <BanDialog
          conversationId={conversation.id}
          userId={banning}
          name={displayName(users[banning])}
          onClose={(banned) => {
            setBanning(null);
            if (banned) setBansVersion((v) => v + 1);
          }}
        />
      ) : null}

      {conversation.encrypted ? <MemberSafetyNumbers conversation={conversation} /> : null}
      <RetentionSettings conversation={conversation} />

      {conversation.membership === "member" ? (
        <div className="dialog-actions dialog-actions-split">
          {confirmLeave ? (
            <>
              <span>{t("group.leaveConfirm", { title: conversation.title ?? "" })}</span>
              <button type="button" className="button" onClick={() => setConfirmLeave(false)}>
                {t("group.stay")}
              </button>
              <button
                type="button"
                className="button button-danger"
                disabled={busy}
                onClick={() => void run(() => store.leave(conversation.id), onClose)}
              >
                {t("group.leave")}
              </button>
            </>
          ) : (
            <button type="button" className="button button-danger" onClick={() => setConfirmLeave(true)}>
              {t("group.leave")}
            </button>
          )}
        </div>
      ) : (
        <p className="muted">{t("group.notMember")}</p>
      )}
    </Dialog>
  );
}
