// The signed-in user's account: profile picture, display name, password, and the devices signed in (each can be
// signed out).

import { type DeviceSession, isParleyError } from "@parley/client";
import { type ChangeEvent, type FormEvent, useEffect, useRef, useState } from "react";
import { formatFullTimestamp } from "../format/time.js";
import { tooLargeText, uploadErrorText } from "../format/upload-errors.js";
import { useChat, useStore } from "../state/store-context.js";
import { Avatar } from "../ui/Avatar.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";
import { PictureCrop } from "./PictureCrop.js";

function explainPassword(error: unknown): string | undefined {
  if (isParleyError(error, "wrong_password")) return "The current password is wrong.";
  if (isParleyError(error, "weak_password")) return "Use a new password of at least 8 characters.";
  return undefined;
}

export function AccountDialog({ onClose }: { onClose: () => void }) {
  return (
    <Dialog title="Your account" onClose={onClose} className="dialog-wide">
      <div className="dialog-form account-settings">
        <PictureForm />
        <DisplayNameForm />
        <PasswordForm />
        <DeviceList />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Done
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
  if (isParleyError(error, "unsupported_media_type")) return "Choose a JPEG, PNG, WebP or GIF image.";
  return uploadErrorText(error);
}

function PictureForm() {
  const store = useStore();
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
      action.setError("Choose a JPEG, PNG, WebP or GIF image.");
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
        Picture
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
            {me.avatarId ? "Change picture" : "Add a picture"}
          </button>
          {me.avatarId ? (
            <button
              type="button"
              className="button"
              disabled={action.busy}
              onClick={() => void action.run(() => store.removeAvatar())}
            >
              Remove picture
            </button>
          ) : null}
          {action.busy ? <span className="muted">Uploading…</span> : null}
        </div>
      </div>
      <FormError error={action.error} />
      {cropping ? <PictureCrop file={cropping} onCancel={() => setCropping(null)} onDone={cropped} /> : null}
    </section>
  );
}

function DisplayNameForm() {
  const store = useStore();
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
    <form onSubmit={submit} className="dialog-form" aria-label="Display name">
      <h3 className="section-title">Profile</h3>
      <label className="field">
        <span>Display name</span>
        <input name="displayName" required maxLength={64} value={name} onChange={(e) => setName(e.target.value)} />
      </label>
      <FormError error={action.error} />
      <div className="dialog-actions">
        {saved ? (
          <span className="form-ok" role="status">
            Saved.
          </span>
        ) : null}
        <button type="submit" className="button button-primary" disabled={action.busy || name.trim() === ""}>
          Save name
        </button>
      </div>
    </form>
  );
}

function PasswordForm() {
  const store = useStore();
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
    <form onSubmit={submit} className="dialog-form" aria-label="Change password">
      <h3 className="section-title">Password</h3>
      <label className="field">
        <span>Current password</span>
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
        <span>New password</span>
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
            Password changed. Your other devices are signed out.
          </span>
        ) : null}
        <button type="submit" className="button button-primary" disabled={action.busy}>
          Change password
        </button>
      </div>
    </form>
  );
}

function DeviceList() {
  const store = useStore();
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
        Devices signed in
      </h3>
      {sessions === null ? (
        <p className="muted">Loading…</p>
      ) : (
        <ul className="admin-list device-list">
          {sessions.map((session) => (
            <li key={session.id} className="admin-row">
              <div className="admin-row-main">
                <strong>{session.deviceName || "Unnamed device"}</strong>
                <span className="muted">
                  {session.current ? "This device · " : ""}signed in {formatFullTimestamp(session.createdAt)}
                </span>
              </div>
              <button
                type="button"
                className="button button-small"
                disabled={action.busy}
                onClick={() => signOut(session)}
                aria-label={`Sign out ${session.deviceName || "unnamed device"}${session.current ? " (this device)" : ""}`}
              >
                Sign out
              </button>
            </li>
          ))}
        </ul>
      )}
      <FormError error={action.error} />
    </section>
  );
}
