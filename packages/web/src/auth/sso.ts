// Single sign-on in the web app: what the server's redirect left in the address bar's fragment, and what its errors
// mean to a person. The flow itself is the browser's: a link to the server's start path (docs/protocol.md §6.12).

/** What the sign-in forms say to a deactivated account, however it tried to sign in. */
export const DEACTIVATED = "This account has been deactivated. Ask an administrator.";

/** The outcome a single sign-on's redirect left in `hash` (`#sso_code=…` or `#sso_error=…&reason=…`), if any. */
export function ssoOutcome(hash: string): { code: string } | { error: string; reason: string | null } | null {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const code = params.get("sso_code");
  if (code) return { code };
  const error = params.get("sso_error");
  return error ? { error, reason: params.get("reason") } : null;
}

export function explainSsoError(error: string, reason: string | null): string {
  if (error === "sso_failed" && reason === "invalid_state") return "That sign-in expired or was already used. Try again.";
  if (error === "sso_failed" && reason === "provider_error") return "The sign-in was cancelled or refused by the provider.";
  if (error === "sso_failed") return "The provider's answer could not be verified. Try again, or ask an administrator.";
  if (error === "account_deactivated") return DEACTIVATED;
  if (error === "registration_closed") return "This server does not create new accounts. Ask an administrator.";
  if (error === "invalid_sso_code") return "That sign-in expired. Try again.";
  if (error === "rate_limited") return "Too many attempts. Wait a moment and try again.";
  if (error === "unavailable") return "The sign-in provider cannot be reached. Try again later.";
  return "Single sign-on failed. Try again.";
}
