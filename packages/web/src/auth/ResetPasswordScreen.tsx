// Choose a new password from a password-reset link an administrator handed over (`/reset#<token>`).

import { isParleyError } from "@parley/client";
import { type FormEvent, useState } from "react";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { Icon } from "../ui/Icon.js";
import { DEACTIVATED } from "./sso.js";

function explain(error: unknown): string {
  if (isParleyError(error, "invalid_reset_token"))
    return "This reset link is no longer valid (expired, already used or replaced by a newer one). Ask an administrator for a new one.";
  if (isParleyError(error, "weak_password")) return "Use a password of at least 8 characters.";
  if (isParleyError(error, "account_deactivated")) return DEACTIVATED;
  if (isParleyError(error, "rate_limited")) return "Too many attempts. Wait a moment and try again.";
  if (isParleyError(error, "network_error") || isParleyError(error, "timeout"))
    return "Cannot reach the server. Check your connection.";
  return error instanceof Error ? error.message : "Could not set the password.";
}

/** `onDone` is called once the password is set and this device signed in (or when the user goes to sign-in instead). */
export function ResetPasswordScreen({ token, onDone }: { token: string; onDone: () => void }) {
  const store = useStore();
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== repeat) {
      setError("The two passwords differ.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await store.resetPassword(token, password);
      onDone();
    } catch (caught) {
      setError(explain(caught));
      setBusy(false);
    }
  };

  return (
    <main className="auth-screen">
      <div className="auth-card">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            <Icon name="chat" />
          </span>
          <h1>Parley</h1>
        </div>
        <p className="auth-tagline">Choose a new password. Every device signed in to your account will be signed out.</p>
        <form onSubmit={submit} className="auth-form" aria-label="Choose a new password">
          <label className="field">
            <span>New password</span>
            <input
              name="password"
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              // biome-ignore lint/a11y/noAutofocus: the form is the whole screen; typing should start right away
              autoFocus
            />
          </label>
          <label className="field">
            <span>Repeat the new password</span>
            <input
              name="repeat"
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              value={repeat}
              onChange={(e) => setRepeat(e.target.value)}
            />
          </label>
          <FormError error={error} />
          <button type="submit" className="button button-primary" disabled={busy}>
            {busy ? "Please wait…" : "Set password and sign in"}
          </button>
        </form>
        <p className="auth-switch">
          <button type="button" className="link-button" onClick={onDone}>
            Sign in instead
          </button>
        </p>
      </div>
    </main>
  );
}
