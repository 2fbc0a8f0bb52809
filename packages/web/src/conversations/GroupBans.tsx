// Group bans, for a group's owner and admins (docs/protocol.md §6.5 `members.ban`): banning a member (with an optional
// reason) removes them and keeps anyone from adding them back; the banned list lifts bans.

import type { GroupBan } from "@parley/client";
import { type FormEvent, useCallback, useEffect, useState } from "react";
import { formatFullTimestamp } from "../format/time.js";
import { displayName } from "../state/conversations.js";
import { useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

/** The group's banned users with Unban; loads again when `version` changes (after a ban made in the dialog). */
export function GroupBans({ conversationId, version }: { conversationId: string; version: number }) {
  const store = useStore();
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
    <section aria-label="Banned">
      <h3 className="section-title">Banned</h3>
      {bans.length === 0 ? (
        <p className="muted">Nobody is banned from this group.</p>
      ) : (
        <ul className="member-list" aria-label="Banned users">
          {bans.map((ban) => {
            const name = names[ban.userId] ?? ban.userId;
            return (
              <li key={ban.userId} className="member">
                <div className="member-text">
                  <span className="member-name">{name}</span>
                  <span className="member-status">
                    Banned {formatFullTimestamp(ban.createdAt)}
                    {ban.reason ? ` · ${ban.reason}` : ""}
                  </span>
                </div>
                <div className="member-actions">
                  <button
                    type="button"
                    className="button button-small"
                    disabled={action.busy}
                    aria-label={`Unban ${name}`}
                    onClick={() => unban(ban.userId)}
                  >
                    Unban
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
    <Dialog title={`Ban ${name}?`} onClose={() => onClose(false)}>
      <form className="dialog-form" onSubmit={submit} aria-label={`Ban ${name}`}>
        <p className="dialog-text">
          {name} will be removed from the group, and nobody can add them back until an owner or admin lifts the ban.
        </p>
        <label className="field">
          <span>
            Reason <small>(optional, seen by the group’s admins)</small>
          </span>
          <input name="reason" maxLength={500} value={reason} onChange={(e) => setReason(e.target.value)} />
        </label>
        <FormError error={action.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={() => onClose(false)}>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={action.busy}>
            Ban
          </button>
        </div>
      </form>
    </Dialog>
  );
}
