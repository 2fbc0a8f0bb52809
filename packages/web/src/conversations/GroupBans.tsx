// Group bans, for a group's owner and admins (docs/protocol.md §6.5 `members.ban`): banning a member (with an optional
// reason) removes them and keeps anyone from adding them back; the banned list lifts bans.

import type { GroupBan } from "@parley/client";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { formatFullTimestamp } from "../format/time.js";
import { useT } from "../i18n/I18nProvider.js";
import { displayName } from "../state/conversations.js";
import { useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

/** The group's banned users with Unban; loads again when `version` changes (after a ban made in the dialog). */
export function GroupBans({ conversationId, version }: { conversationId: string; version: number }) {
  const store = useStore();
  const t = useT();
  const [bans, setBans] = useState<GroupBan[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  const action = useAction();
  const { run } = action;

  const show = useCallback(
    async (list: GroupBan[]) => {
      setBans(list);
      const users = await store.client.getUsers(list.map((b) => b.userId));
      setNames(Object.fromEntries(users.map((u) => [u.id, `${displayName(u)} (@${u.username})`])));
    },
    [store],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: `version` asks for a reload
  useEffect(() => void run(async () => show(await store.client.listBans(conversationId))), [run, show, conversationId, version]);

  const unban = (userId: string) => void action.run(async () => show(await store.client.unbanMember(conversationId, userId)));

  return (
    <section aria-label={t("group.banned")}>
      <h3 className="section-title">{t("group.banned")}</h3>
      {bans.length === 0 ? (
        <p className="muted">{t("group.noBans")}</p>
      ) : (
        <ul className="member-list" aria-label={t("group.bannedUsers")}>
          {bans.map((ban) => {
            const name = names[ban.userId] ?? ban.userId;
            return (
              <li key={ban.userId} className="member">
                <div className="member-text">
                  <span className="member-name">{name}</span>
                  <span className="member-status">
                    {t("group.bannedAt", { time: formatFullTimestamp(ban.createdAt) })}
                    {ban.reason ? ` · ${ban.reason}` : ""}
                  </span>
                </div>
                <div className="member-actions">
                  <button
                    type="button"
                    className="button button-small"
                    disabled={action.busy}
                    aria-label={t("group.unbanName", { name })}
                    onClick={() => unban(ban.userId)}
                  >
                    {t("group.unban")}
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
      <FormError error={action.error} />
    </section>
  );
}

/** Confirms a ban, with an optional reason; `onClose(true)` once the user is banned. */
export function BanDialog({
  conversationId,
  userId,
  name,
  onClose,
}: {
  conversationId: string;
  userId: string;
  name: string;
  onClose: (banned: boolean) => void;
}) {
  const store = useStore();
  const t = useT();
  const [reason, setReason] = useState("");
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    void action.run(async () => {
      await store.client.banMember(conversationId, userId, reason.trim() || undefined);
      onClose(true);
    });
  };
  return (
    <Dialog title={t("group.banTitle", { name })} onClose={() => onClose(false)}>
      <form className="dialog-form" onSubmit={submit} aria-label={t("group.banName", { name })}>
        <p className="dialog-text">{t("group.banText", { name })}</p>
        <label className="field">
          <span>
            {t("group.banReason")} <small>{t("group.banReasonHint")}</small>
          </span>
          <input name="reason" maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <FormError error={action.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => onClose(false)}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="button button-danger" disabled={action.busy}>
            {t("group.ban")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
