// Sign in or create an account (with the invitation of an invite link, when the app was opened from one).

import { isParleyError } from "@parley/client";
import type { SsoInfo } from "@parley/protocol";
import { type FormEvent, useEffect, useState } from "react";
import { errorText } from "../i18n/errors.js";
import { useT } from "../i18n/I18nProvider.js";
import { t } from "../i18n/i18n.js";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { Icon } from "../ui/Icon.js";
import { explainSsoError, ssoOutcome } from "./sso.js";

type Mode = "login" | "register";

function explain(error: unknown, mode: Mode): string {
  if (isParleyError(error, "invalid_credentials")) return t("auth.invalidCredentials");
  if (isParleyError(error, "username_taken")) return t("auth.usernameTaken");
  if (isParleyError(error, "weak_password")) return t("auth.weakPassword");
  if (isParleyError(error, "validation_failed")) {
    if (error.details?.["field"] === "username") return t("auth.usernameRules");
    return error.message;
  }
  if (isParleyError(error, "sso_only")) return t("auth.ssoOnly");
  if (isParleyError(error, "invalid_sso_code")) return explainSsoError("invalid_sso_code", null);
  if (isParleyError(error, "account_deactivated")) return explainSsoError("account_deactivated", null);
  if (isParleyError(error, "invite_required")) return t("auth.inviteRequired");
  if (isParleyError(error, "invalid_invite")) return t("auth.invalidInvite");
  if (isParleyError(error, "registration_closed")) return t("auth.registrationClosed");
  if (isParleyError(error, "rate_limited")) return t("errors.rateLimited");
  if (isParleyError(error, "network_error") || isParleyError(error, "timeout")) return t("errors.unreachable");
  if (isParleyError(error)) return errorText(error);
  return mode === "login" ? t("auth.signInFailed") : t("auth.registerFailed");
}

export function AuthScreen({ invite }: { invite?: string | undefined } = {}) {
  const store = useStore();
  const t = useT();
  const [mode, setMode] = useState<Mode>(invite ? "register" : "login");
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [sso, setSso] = useState<SsoInfo | null>(null);

  useEffect(() => {
    let live = true;
    store.ssoInfo().then(
      (info) => live && setSso(info),
      () => live && setSso(null),
    );
    // A single sign-on came back: the code is used once, and the fragment leaves the address bar and history.
    const outcome = ssoOutcome(window.location.hash);
    if (outcome) {
      history.replaceState(null, "", window.location.pathname + window.location.search);
      if ("code" in outcome) {
        setBusy(true);
        store.ssoSignIn(outcome.code).catch((caught: unknown) => {
          if (!live) return;
          setError(explain(caught, "login"));
          setBusy(false);
        });
      } else setError(explainSsoError(outcome.error, outcome.reason));
    }
    return () => {
      live = false;
    };
  }, [store]);
  const passwords = !sso?.ssoOnly;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const name = username.trim().toLowerCase();
      if (mode === "login") await store.login(name, password);
      else await store.register(name, password, displayName.trim() || undefined, invite);
    } catch (caught) {
      setError(explain(caught, mode));
      setBusy(false);
    }
  };

  const switchTo = (next: Mode) => {
    setMode(next);
    setError(null);
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
        <p className="auth-tagline">
          {mode === "login" ? t("auth.welcome") : invite ? t("auth.invited") : t("auth.createYourAccount")}
        </p>
        {sso?.enabled && sso.startPath ? (
          <a className="button button-primary sso-button" href={sso.startPath}>
            {t("auth.signInWith", { provider: sso.name ?? "" })}
          </a>
        ) : null}
        {passwords ? null : <FormError error={error} />}
        {passwords ? (
          <form
            onSubmit={submit}
            className="auth-form"
            aria-label={mode === "login" ? t("auth.signIn") : t("auth.createAccount")}
          >
            <label className="field">
              <span>{t("auth.username")}</span>
              <input
                name="username"
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                required
                minLength={mode === "register" ? 3 : 1}
                maxLength={mode === "register" ? 32 : 64}
                pattern={mode === "register" ? "[A-Za-z0-9_]+" : undefined}
                value={username}
                onChange={(e) => setUsername(e.target.value)}
                // biome-ignore lint/a11y/noAutofocus: the form is the whole screen; typing should start right away
                autoFocus
              />
            </label>
            {mode === "register" ? (
              <label className="field">
                <span>
                  {t("auth.displayName")} <small>{t("auth.optional")}</small>
                </span>
                <input
                  name="displayName"
                  autoComplete="name"
                  maxLength={64}
                  value={displayName}
                  onChange={(e) => setDisplayName(e.target.value)}
                />
              </label>
            ) : null}
            <label className="field">
              <span>{t("auth.password")}</span>
              <input
                name="password"
                type="password"
                autoComplete={mode === "login" ? "current-password" : "new-password"}
                required
                minLength={mode === "register" ? 8 : 1}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </label>
            <FormError error={error} />
            <button type="submit" className="button button-primary" disabled={busy}>
              {busy ? t("common.pleaseWait") : mode === "login" ? t("auth.signIn") : t("auth.createAccount")}
            </button>
          </form>
        ) : null}
        {passwords ? (
          <p className="auth-switch">
            {mode === "login" ? t("auth.newHere") : t("auth.haveAccount")}{" "}
            <button type="button" className="link-button" onClick={() => switchTo(mode === "login" ? "register" : "login")}>
              {mode === "login" ? t("auth.createAnAccount") : t("auth.signIn")}
            </button>
          </p>
        ) : null}
      </div>
    </main>
  );
}
