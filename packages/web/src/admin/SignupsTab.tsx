// Administration: who may create an account (the registration mode) and the invite links.

import type { Invite, RegistrationMode } from "@parley/client";
import { type FormEvent, useEffect, useState } from "react";
import { authLinkUrl } from "../auth/auth-link.js";
import { formatDuration } from "../format/durations.js";
import { formatFullTimestamp } from "../format/time.js";
import { useT } from "../i18n/I18nProvider.js";
import { type MessageKey, t } from "../i18n/i18n.js";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";
import { LinkBox } from "./LinkBox.js";

const MODES: { value: RegistrationMode; label: MessageKey }[] = [
  { value: "open", label: "signups.open" },
  { value: "invite_only", label: "signups.inviteOnly" },
  { value: "closed", label: "signups.closed" },
];

const DAY = 86_400;
/** How long a new invite link is valid, in seconds (7 days shows as "7 days"). */
const EXPIRIES = [DAY, 7 * DAY, 30 * DAY, 90 * DAY];

function inviteStatus(invite: Invite, now: number): string {
  if (invite.revokedAt !== null) return t("signups.revoked");
  if (invite.expiresAt <= now) return t("signups.expired");
  if (invite.maxUses !== null && invite.uses >= invite.maxUses) return t("signups.usedUp");
  return t("signups.validUntil", { time: formatFullTimestamp(invite.expiresAt) });
}

export function SignupsTab() {
  return (
    <div className="admin-tab">
      <RegistrationModeChoice />
      <Invitations />
    </div>
  );
}

function RegistrationModeChoice() {
  const store = useStore();
  const t = useT();
  const [mode, setMode] = useState<RegistrationMode | null>(null);
  const action = useAction();
  const { run } = action;
  useEffect(() => {
    void run(async () => setMode((await store.client.admin.settings()).registration));
  }, [run, store]);
  const choose = (registration: RegistrationMode) =>
    void action.run(async () => setMode((await store.client.admin.updateSettings({ registration })).registration));
  return (
    <fieldset className="admin-fieldset" disabled={mode === null || action.busy}>
      <legend className="section-title">{t("signups.who")}</legend>
      {MODES.map((m) => (
        <label key={m.value} className="checkbox-field">
          <input type="radio" name="registration" value={m.value} checked={mode === m.value} onChange={() => choose(m.value)} />
          <span>{t(m.label)}</span>
        </label>
      ))}
      <FormError error={action.error} />
    </fieldset>
  );
}

function Invitations() {
  const store = useStore();
  const t = useT();
  const [invites, setInvites] = useState<Invite[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [made, setMade] = useState<Invite | null>(null);
  const [note, setNote] = useState("");
  const [maxUses, setMaxUses] = useState("");
  const [expiry, setExpiry] = useState(String(7 * DAY));
  const list = useAction();
  const create = useAction();
  const { run } = list;

  const load = (after: string | null) =>
    run(async () => {
      const page = await store.client.admin.invites({ limit: 20, ...(after ? { after } : {}) });
      setInvites((shown) => (after ? [...shown, ...page.items] : page.items));
      setNext(page.next);
    });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the first page once, on opening
  useEffect(() => void load(null), []);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void create.run(async () => {
      const invite = await store.client.admin.createInvite({
        expiresInSeconds: Number(expiry),
        ...(note.trim() ? { note: note.trim() } : {}),
        ...(maxUses ? { maxUses: Number(maxUses) } : {}),
      });
      setMade(invite);
      setNote("");
      setMaxUses("");
      const { token: _shownOnce, ...listed } = invite;
      setInvites((shown) => [listed, ...shown]);
    });
  };
  const revoke = (invite: Invite) =>
    void list.run(async () => {
      const revoked = await store.client.admin.revokeInvite(invite.id);
      setInvites((shown) => shown.map((i) => (i.id === revoked.id ? revoked : i)));
    });
  const now = Date.now();

  return (
    <section className="dialog-form" aria-labelledby="admin-invites">
      <h3 className="section-title" id="admin-invites">
        {t("signups.invites")}
      </h3>
      <form onSubmit={submit} className="dialog-form" aria-label={t("signups.createLabel")}>
        <label className="field">
          <span>
            {t("signups.note")} <small>{t("signups.noteHint")}</small>
          </span>
          <input name="note" maxLength={200} value={note} onChange={(e) => setNote(e.target.value)} />
        </label>
        <div className="inline-form">
          <label className="field">
            <span>{t("signups.validFor")}</span>
            <select name="expiresIn" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
              {EXPIRIES.map((seconds) => (
                <option key={seconds} value={seconds}>
                  {formatDuration(seconds)}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>
              {t("signups.uses")} <small>{t("signups.usesHint")}</small>
            </span>
            <input
              name="maxUses"
              type="number"
              min={1}
              max={10000}
              value={maxUses}
              onChange={(e) => setMaxUses(e.target.value)}
            />
          </label>
        </div>
        <FormError error={create.error} />
        <div className="dialog-actions">
          <button type="submit" className="button button-primary" disabled={create.busy}>
            {t("signups.create")}
          </button>
        </div>
      </form>
      {made?.token ? (
        <LinkBox
          label={t("signups.newLink")}
          url={authLinkUrl(window.location.origin, { kind: "invite", token: made.token })}
          hint={t("signups.newLinkHint")}
        />
      ) : null}
      <FormError error={list.error} />
      <ul className="admin-list" aria-label={t("signups.invites")}>
        {invites.map((invite) => {
          const status = inviteStatus(invite, now);
          return (
            <li key={invite.id} className="admin-row">
              <div className="admin-row-main">
                <strong>{invite.note || t("signups.inviteLink")}</strong>
                <span className="muted">
                  {invite.maxUses === null
                    ? t("signups.used", { count: invite.uses })
                    : t("signups.usedOf", { count: invite.uses, max: invite.maxUses })}{" "}
                  · {status}
                </span>
              </div>
              {invite.revokedAt === null ? (
                <button
                  type="button"
                  className="button button-small"
                  disabled={list.busy}
                  onClick={() => revoke(invite)}
                  aria-label={t("signups.revokeLabel", {
                    name: invite.note || t("signups.inviteLinkLower"),
                    time: formatFullTimestamp(invite.createdAt),
                  })}
                >
                  {t("signups.revoke")}
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {!list.busy && invites.length === 0 ? <p className="muted">{t("signups.none")}</p> : null}
      {next ? (
        <button type="button" className="button" disabled={list.busy} onClick={() => void load(next)}>
          {t("signups.more")}
        </button>
      ) : null}
    </section>
  );
}
