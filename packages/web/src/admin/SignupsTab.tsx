// Administration: who may create an account (the registration mode) and the invite links.

import type { Invite, RegistrationMode } from "@parley/client";
import { type FormEvent, useEffect, useState } from "react";
import { authLinkUrl } from "../auth/auth-link.js";
import { formatFullTimestamp } from "../format/time.js";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";
import { LinkBox } from "./LinkBox.js";

const MODES: { value: RegistrationMode; label: string }[] = [
  { value: "open", label: "Anyone can create an account" },
  { value: "invite_only", label: "Only people with an invite link" },
  { value: "closed", label: "Nobody (administrators create accounts)" },
];

const DAY = 86_400;
const EXPIRIES = [
  { seconds: DAY, label: "1 day" },
  { seconds: 7 * DAY, label: "1 week" },
  { seconds: 30 * DAY, label: "30 days" },
  { seconds: 90 * DAY, label: "90 days" },
];

function inviteStatus(invite: Invite, now: number): string {
  if (invite.revokedAt !== null) return "revoked";
  if (invite.expiresAt <= now) return "expired";
  if (invite.maxUses !== null && invite.uses >= invite.maxUses) return "used up";
  return `valid until ${formatFullTimestamp(invite.expiresAt)}`;
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
      <legend className="section-title">Who can create an account</legend>
      {MODES.map((m) => (
        <label key={m.value} className="checkbox-field">
          <input type="radio" name="registration" value={m.value} checked={mode === m.value} onChange={() => choose(m.value)} />
          <span>{m.label}</span>
        </label>
      ))}
      <FormError error={action.error} />
    </fieldset>
  );
}

function Invitations() {
  const store = useStore();
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
        Invite links
      </h3>
      <form onSubmit={submit} className="dialog-form" aria-label="Create an invite link">
        <label className="field">
          <span>
            Note <small>(optional, for you)</small>
          </span>
          <input name="note" maxLength={200} value={note} onChange={(e) => setNote(e.target.value)} />
        </label>
        <div className="inline-form">
          <label className="field">
            <span>Valid for</span>
            <select name="expiresIn" value={expiry} onChange={(e) => setExpiry(e.target.value)}>
              {EXPIRIES.map((e) => (
                <option key={e.seconds} value={e.seconds}>
                  {e.label}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>
              Uses <small>(empty: any number)</small>
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
            Create invite link
          </button>
        </div>
      </form>
      {made?.token ? (
        <LinkBox
          label="New invite link"
          url={authLinkUrl(window.location.origin, { kind: "invite", token: made.token })}
          hint="Copy it now: it is shown only once. Anyone with the link can create an account until it expires."
        />
      ) : null}
      <FormError error={list.error} />
      <ul className="admin-list" aria-label="Invite links">
        {invites.map((invite) => {
          const status = inviteStatus(invite, now);
          return (
            <li key={invite.id} className="admin-row">
              <div className="admin-row-main">
                <strong>{invite.note || "Invite link"}</strong>
                <span className="muted">
                  {invite.uses}
                  {invite.maxUses === null ? "" : ` of ${invite.maxUses}`} used · {status}
                </span>
              </div>
              {invite.revokedAt === null ? (
                <button
                  type="button"
                  className="button button-small"
                  disabled={list.busy}
                  onClick={() => revoke(invite)}
                  aria-label={`Revoke ${invite.note || "invite link"} (created ${formatFullTimestamp(invite.createdAt)})`}
                >
                  Revoke
                </button>
              ) : null}
            </li>
          );
        })}
      </ul>
      {!list.busy && invites.length === 0 ? <p className="muted">No invite links yet.</p> : null}
      {next ? (
        <button type="button" className="button" disabled={list.busy} onClick={() => void load(next)}>
          More invite links
        </button>
      ) : null}
    </section>
  );
}
