// The signed-in user's account: profile picture, display name, password, and the devices signed in (each can be
// signed out).

import { type DeviceSession, isParleyError } from "@parley/client";
import { type ChangeEvent, type FormEvent, useEffect, useRef, useState, useSyncExternalStore } from "react";
import { linkPreviewsShown, onLinkPreviewsChange, setLinkPreviewsShown } from "../chat/link-preview.js";
import { formatFullTimestamp } from "../format/time.js";
import { tooLargeText, uploadErrorText } from "../format/upload-errors.js";
import { useLanguage, useT } from "../i18n/I18nProvider.js";
import { t } from "../i18n/i18n.js";
import { LANGUAGES, type Language, SUPPORTED } from "../i18n/locale.js";
import { useChat, useStore } from "../state/store-context.js";
import { Avatar } from "../ui/Avatar.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";
import { PictureCrop } from "./PictureCrop.js";

function explainPassword(error: unknown): string | undefined {
  if (isParleyError(error, "wrong_password")) return t("account.wrongPassword");
  if (isParleyError(error, "weak_password")) return t("account.weakPassword");
  return undefined;
}

export function AccountDialog({ onClose }: { onClose: () => void }) {
  const t = useT();
  return (
    <Dialog title={t("sidebar.account")} onClose={onClose} className="dialog-wide">
      <div className="dialog-form account-settings">
        <PictureForm />
        <DisplayNameForm />
        <LanguageForm />
        <LinkPreviewForm />
        <PasswordForm />
        <DeviceList />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t("common.done")}
          </button>
        </div>
      </div>
    </Dialog>
  );
}

/** The server's limit for a profile picture (protocol §6.4); checked here first so a big photo is not sent for nothing. */
const MAX_PICTURE_BYTES = 5 * 1024 * 1024;
const PICTURE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];

function explainPicture(error: unknown): string | undefined {
  if (isParleyError(error, "unsupported_media_type")) return t("account.pictureType");
  return uploadErrorText(error);
}

function PictureForm() {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me);
  const input = useRef<HTMLInputElement>(null);
  const action = useAction(explainPicture);
  const [cropping, setCropping] = useState<File | null>(null);
  if (!me) return null;
  const choose = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    if (!PICTURE_TYPES.includes(file.type)) {
      action.setError(t("account.pictureType"));
      return;
    }
    if (file.size > MAX_PICTURE_BYTES) {
      action.setError(tooLargeText(MAX_PICTURE_BYTES));
      return;
    }
    action.setError(null);
    setCropping(file);
  };
  const cropped = (picture: Blob) => {
    setCropping(null);
    void action.run(() => store.setAvatar(picture));
  };
  return (
    <section className="dialog-form" aria-labelledby="account-picture">
      <h3 className="section-title" id="account-picture">
        {t("account.picture")}
      </h3>
      <div className="account-picture">
        <Avatar id={me.id} userId={me.id} name={me.displayName} size="lg" />
        <div className="account-picture-actions">
          <input
            ref={input}
            type="file"
            accept="image/jpeg,image/png,image/webp,image/gif"
            className="visually-hidden"
            tabIndex={-1}
            aria-hidden="true"
            onChange={choose}
          />
          <button type="button" className="button" disabled={action.busy} onClick={() => input.current?.click()}>
            {me.avatarId ? t("account.changePicture") : t("account.addPicture")}
          </button>
          {me.avatarId ? (
            <button
              type="button"
              className="button"
              disabled={action.busy}
              onClick={() => void action.run(() => store.removeAvatar())}
            >
              {t("account.removePicture")}
            </button>
          ) : null}
          {action.busy ? <span className="muted">{t("account.uploading")}</span> : null}
        </div>
      </div>
      <FormError error={action.error} />
      {cropping ? <PictureCrop file={cropping} onCancel={() => setCropping(null)} onDone={cropped} /> : null}
    </section>
  );
}

function DisplayNameForm() {
  const store = useStore();
  const t = useT();
  const me = useChat((s) => s.me);
  const [name, setName] = useState(me?.displayName ?? "");
  const [saved, setSaved] = useState(false);
  const action = useAction();
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    void action.run(async () => {
      await store.setDisplayName(name.trim());
      setSaved(true);
    });
  };
  return (
    <form onSubmit={submit} className="dialog-form" aria-label={t("auth.displayName")}>
      <h3 className="section-title">{t("profile.title")}</h3>
      <label className="field">
        <span>{t("auth.displayName")}</span>
        <input name="displayName" required maxLength={64} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <FormError error={action.error} />
      <div className="dialog-actions">
        {saved ? (
          <span className="form-ok" role="status">
            {t("account.saved")}
          </span>
        ) : null}
        <button type="submit" className="button button-primary" disabled={action.busy || name.trim() === ""}>
          {t("account.saveName")}
        </button>
      </div>
    </form>
  );
}

/** The language of the app in this browser: the browser's (navigator.languages) or one chosen here. */
function LanguageForm() {
  const t = useT();
  const { choice, browserLanguage, choose } = useLanguage();
  return (
    <section className="dialog-form language-settings" aria-labelledby="account-language">
      <h3 className="section-title" id="account-language">
        {t("account.language")}
      </h3>
      <label className="field">
        <span>{t("account.languageField")}</span>
        <select
          name="language"
          value={choice}
          onChange={(e) => choose(e.target.value === "browser" ? "browser" : (e.target.value as Language))}
        >
          <option value="browser">{t("account.languageBrowser", { language: LANGUAGES[browserLanguage].name })}</option>
          {SUPPORTED.map((code) => (
            <option key={code} value={code} lang={code}>
              {LANGUAGES[code].name}
            </option>
          ))}
        </select>
      </label>
      <p className="muted">{t("account.languageNote")}</p>
    </section>
  );
}

/** Whether messages show preview cards of their first link, in this browser. */
function LinkPreviewForm() {
  const t = useT();
  const shown = useSyncExternalStore(onLinkPreviewsChange, linkPreviewsShown);
  return (
    <section className="dialog-form" aria-labelledby="account-previews">
      <h3 className="section-title" id="account-previews">
        {t("account.linkPreviews")}
      </h3>
      <label className="checkbox-field">
        <input type="checkbox" checked={shown} onChange={(e) => setLinkPreviewsShown(e.target.checked)} />
        <span>{t("account.linkPreviewsField")}</span>
      </label>
      <p className="muted">{t("account.linkPreviewsNote")}</p>
    </section>
  );
}

function PasswordForm() {
  const store = useStore();
  const t = useT();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [done, setDone] = useState(false);
  const action = useAction(explainPassword);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    void action.run(async () => {
      await store.client.changePassword(current, next);
      setCurrent("");
      setNext("");
      setDone(true);
    });
  };
  return (
    <form onSubmit={submit} className="dialog-form" aria-label={t("account.changePassword")}>
      <h3 className="section-title">{t("auth.password")}</h3>
      <label className="field">
        <span>{t("account.currentPassword")}</span>
        <input
          name="oldPassword"
          type="password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
        />
      </label>
      <label className="field">
        <span>{t("account.newPassword")}</span>
        <input
          name="newPassword"
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          value={next}
          onChange={(e) => setNext(e.target.value)}
        />
      </label>
      <FormError error={action.error} />
      <div className="dialog-actions">
        {done ? (
          <span className="form-ok" role="status">
            {t("account.passwordChanged")}
          </span>
        ) : null}
        <button type="submit" className="button button-primary" disabled={action.busy}>
          {t("account.changePassword")}
        </button>
      </div>
    </form>
  );
}

function DeviceList() {
  const store = useStore();
  const t = useT();
  const [sessions, setSessions] = useState<DeviceSession[] | null>(null);
  const action = useAction();
  const { run } = action;
  useEffect(() => {
    void run(async () => setSessions(await store.client.sessions()));
  }, [run, store]);
  const signOut = (session: DeviceSession) =>
    void action.run(async () => {
      if (session.current) await store.logout();
      else setSessions(await store.client.revokeSession(session.id));
    });
  return (
    <section className="dialog-form" aria-labelledby="account-devices">
      <h3 className="section-title" id="account-devices">
        {t("account.devices")}
      </h3>
      {sessions === null ? (
        <p className="muted">{t("common.loading")}</p>
      ) : (
        <ul className="admin-list device-list">
          {sessions.map((session) => (
            <li key={session.id} className="admin-row">
              <div className="admin-row-main">
                <strong>{session.deviceName || t("account.unnamedDevice")}</strong>
                <span className="muted">
                  {session.current
                    ? t("account.thisDeviceSignedIn", { time: formatFullTimestamp(session.createdAt) })
                    : t("account.signedIn", { time: formatFullTimestamp(session.createdAt) })}
                </span>
              </div>
              <button
                type="button"
                className="button button-small"
                disabled={action.busy}
                onClick={() => signOut(session)}
                aria-label={
                  session.current
                    ? t("account.signOutThisDevice", { device: session.deviceName || t("account.unnamedDevice") })
                    : t("account.signOutDevice", { device: session.deviceName || t("account.unnamedDevice") })
                }
              >
                {t("sidebar.signOut")}
              </button>
            </li>
          ))}
        </ul>
      )}
      <FormError error={action.error} />
    </section>
  );
}
