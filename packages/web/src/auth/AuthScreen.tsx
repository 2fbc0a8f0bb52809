// Sign in or create an account (with the invitation of an invite link, when the app was opened from one).

import { isParleyError } from "@parley/client";
import type { SsoInfo } from "@parley/protocol";
import { type FormEvent, useEffect, useState } from "react";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { Icon } from "../ui/Icon.js";
import { explainSsoError, ssoOutcome } from "./sso.js";

type Mode = "login" | "register";

function explain(error: unknown, mode: Mode): string {
  if (isParleyError(error, "invalid_credentials")) return "Wrong username or password.";
  if (isParleyError(error, "username_taken")) return "That username is taken. Try another one.";
  if (isParleyError(error, "weak_password")) return "Use a password of at least 8 characters.";
  if (isParleyError(error, "validation_failed")) {
    if (error.details?.["field"] === "username")
      return "Usernames are 3–32 characters: lowercase letters, digits and underscores.";
    return error.message;
  }
  if (isParleyError(error, "sso_only")) return "This server signs in through single sign-on only.";
  if (isParleyError(error, "invalid_sso_code")) return explainSsoError("invalid_sso_code", null);
  if (isParleyError(error, "account_deactivated")) return explainSsoError("account_deactivated", null);
  if (isParleyError(error, "invite_required"))
    return "This server is invite-only. Ask an administrator for an invite link to create an account.";
  if (isParleyError(error, "invalid_invite"))
    return "This invite link is no longer valid (expired, revoked or used up). Ask for a new one.";
  if (isParleyError(error, "registration_closed"))
    return "This server does not take new accounts. Ask an administrator to create one for you.";
  if (isParleyError(error, "rate_limited")) return "Too many attempts. Wait a moment and try again.";
  if (isParleyError(error, "network_error") || isParleyError(error, "timeout"))
    return "Cannot reach the server. Check your connection.";
  return error instanceof Error ? error.message : `Could not ${mode === "login" ? "sign in" : "create the account"}.`;
}

export function AuthScreen({ invite }: { invite?: string | undefined } = {}) {
  const store = useStore();
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
          <h1>Parley</h1>
        </div>
        <p className="auth-tagline">
          {mode === "login"
            ? "Welcome back. Sign in to continue."
            : invite
              ? "You have been invited. Create your account."
              : "Create your account."}
        </p>
        {sso?.enabled && sso.startPath ? (
          <a className="button button-primary sso-button" href={sso.startPath}>
            Sign in with {sso.name}
          </a>
        ) : null}
        {passwords ? null : <FormError error={error} />}
        {passwords ? (
          <form onSubmit={submit} className="auth-form" aria-label={mode === "login" ? "Sign in" : "Create account"}>
            <label className="field">
              <span>Username</span>
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
                  Display name <small>(optional)</small>
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
              <span>Password</span>
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
              {busy ? "Please wait…" : mode === "login" ? "Sign in" : "Create account"}
            </button>
          </form>
        ) : null}
        {passwords ? (
          <p className="auth-switch">
            {mode === "login" ? "New here? " : "Already have an account? "}
            <button type="button" className="link-button" onClick={() => switchTo(mode === "login" ? "register" : "login")}>
              {mode === "login" ? "Create an account" : "Sign in"}
            </button>
          </p>
        ) : null}
      </div>
    </main>
  );
}
