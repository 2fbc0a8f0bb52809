// A channel's invite links, for its admins (`channels.createInvite`, `channels.invites`, `channels.revokeInvite`): a
// new link is shown once to copy; the usable ones are listed and can be revoked.

import type { ChannelInvite } from "@parley/client";
import { useCallback, useEffect, useState } from "react";
import { LinkBox } from "../admin/LinkBox.js";
import { formatFullTimestamp } from "../format/time.js";
import { useT } from "../i18n/I18nProvider.js";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";
import { inviteUrl } from "./invite-link.js";

export function ChannelInvites({ conversationId }: { conversationId: string }) {
  const store = useStore();
  const t = useT();
  const [invites, setInvites] = useState<ChannelInvite[]>([]);
  const [created, setCreated] = useState<string | null>(null);
  const action = useAction();
  const { run } = action;

  const reload = useCallback(
    () => run(async () => setInvites(await store.client.channelInvites(conversationId))),
    [run, store, conversationId],
  );
  useEffect(() => void reload(), [reload]);

  const create = () =>
    void action.run(async () => {
      const invite = await store.client.createChannelInvite(conversationId);
      setCreated(inviteUrl(invite.token ?? "", window.location.origin));
      setInvites(await store.client.channelInvites(conversationId));
    });
  const revoke = (id: string) =>
    void action.run(async () => {
      await store.client.revokeChannelInvite(conversationId, id);
      setInvites(await store.client.channelInvites(conversationId));
    });

  return (
    <section aria-label={t("channel.invites")}>
      <h3 className="section-title">{t("channel.invites")}</h3>
      {created ? <LinkBox label={t("channel.inviteLink")} url={created} hint={t("channel.inviteHint")} /> : null}
      {invites.length === 0 ? (
        <p className="muted">{t("channel.noInvites")}</p>
      ) : (
        <ul className="member-list" aria-label={t("channel.invites")}>
          {invites.map((invite) => (
            <li key={invite.id} className="member">
              <div className="member-text">
                <span className="member-name">{invite.note ?? invite.id}</span>
                <span className="member-status">
                  {t("channel.inviteUses", { count: invite.uses, time: formatFullTimestamp(invite.expiresAt) })}
                </span>
              </div>
              <div className="member-actions">
                <button
                  type="button"
                  className="button button-small button-danger"
                  disabled={action.busy}
                  aria-label={t("channel.revokeInvite", { id: invite.note ?? invite.id })}
                  onClick={() => revoke(invite.id)}
                >
                  {t("channel.revoke")}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <div className="dialog-actions">
        <button type="button" className="button" disabled={action.busy} onClick={create}>
          {t("channel.createInvite")}
        </button>
      </div>
      <FormError error={action.error} />
    </section>
  );
}
