// Choose a new password from a password-reset link an administrator handed over (`/reset#<token>`).

import { isParleyError } from "@parley/client";
import { type FormEvent, useState } from "react";
import { errorText } from "../i18n/errors.js";
import { useT } from "../i18n/I18nProvider.js";
import { t } from "../i18n/i18n.js";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { Icon } from "../ui/Icon.js";
import { deactivatedText } from "./sso.js";

function explain(error: unknown): string {
  if (isParleyError(error, "invalid_reset_token")) return t("reset.invalidToken");
  if (isParleyError(error, "weak_password")) return t("auth.weakPassword");
  if (isParleyError(error, "account_deactivated")) return deactivatedText();
  if (isParleyError(error, "rate_limited")) return t("errors.rateLimited");
  if (isParleyError(error, "network_error") || isParleyError(error, "timeout")) return t("errors.unreachable");
  return isParleyError(error) ? errorText(error) : t("reset.failed");
}

/** `onDone` is called once the password is set and this device signed in (or when the user goes to sign-in instead). */
export function ResetPasswordScreen({ token, onDone }: { token: string; onDone: () => void }) {
  const store = useStore();
  const t = useT();
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (password !== repeat) {
      setError(t("reset.mismatch"));
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
          <h1>{t("app.name")}</h1>
        </div>
        <p className="auth-tagline">{t("reset.tagline")}</p>
        <form onSubmit={submit} className="auth-form" aria-label={t("reset.formLabel")}>
          <label className="field">
            <span>{t("account.newPassword")}</span>
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
            <span>{t("reset.repeat")}</span>
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
            {busy ? t("common.pleaseWait") : t("reset.submit")}
          </button>
        </form>
        <p className="auth-switch">
          <button type="button" className="link-button" onClick={onDone}>
            {t("reset.signInInstead")}
          </button>
        </p>
      </div>
    </main>
  );
}
