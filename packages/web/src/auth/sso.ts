// Single sign-on in the web app: what the server's redirect left in the address bar's fragment, and what its errors
// mean to a person. The flow itself is the browser's: a link to the server's start path (docs/protocol.md §6.12).

import { t } from "../i18n/i18n.js";

/** What the sign-in forms say to a deactivated account, however it tried to sign in. */
export const deactivatedText = () => t("auth.deactivated");

/** The outcome a single sign-on's redirect left in `hash` (`#sso_code=…` or `#sso_error=…&reason=…`), if any. */
export function ssoOutcome(hash: string): { code: string } | { error: string; reason: string | null } | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const code = params.get("sso_code");
  if (code) return { code };
  const error = params.get("sso_error");
  return error ? { error, reason: params.get("reason") } : null;
}

export function explainSsoError(error: string, reason: string | null): string {
  if (error === "sso_failed" && reason === "invalid_state") return t("sso.invalidState");
  if (error === "sso_failed" && reason === "provider_error") return t("sso.providerError");
  if (error === "sso_failed") return t("sso.failedVerify");
  if (error === "account_deactivated") return deactivatedText();
  if (error === "registration_closed") return t("sso.registrationClosed");
  if (error === "invalid_sso_code") return t("sso.invalidCode");
  if (error === "rate_limited") return t("errors.rateLimited");
  if (error === "unavailable") return t("sso.unavailable");
  return t("sso.failed");
}
