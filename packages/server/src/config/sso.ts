// Single sign-on with an OpenID Connect provider: where it is, this server's client registration, and whether
// passwords are still accepted.

import { bool, ConfigError, type ConfigVars, nonEmpty } from "./parse.js";

export interface SsoConfig {
  /** The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`); undefined: no SSO. */
  oidcIssuer: string | undefined;
  oidcClientId: string | undefined;
  oidcClientSecret: string | undefined;
  /** This server's callback as registered at the provider: `<public URL>/v1/auth/sso/callback`. */
  oidcRedirectUrl: string | undefined;
  /** Shown on the sign-in button ("Sign in with …"). */
  oidcName: string;
  /** A first sign-in whose `preferred_username` is an existing account's username signs into that account. */
  oidcLinkByUsername: boolean;
  /** Password sign-in, registration and reset links are refused (`sso_only`): accounts sign in through the provider. */
  ssoOnly: boolean;
}

export const SSO_VARS: ConfigVars<SsoConfig> = {
  oidcIssuer: {
    env: "PARLEY_OIDC_ISSUER",
    default: undefined,
    description:
      "Single sign-on: the OpenID Connect provider's issuer URL (https; http only on loopback, for tests). Unset: no single sign-on.",
    parse: (raw, env) => url(raw, env, { allowHttpLoopback: true }),
  },
  oidcClientId: {
    env: "PARLEY_OIDC_CLIENT_ID",
    default: undefined,
    description: "Single sign-on: this server's client id at the provider.",
    parse: nonEmpty,
  },
  oidcClientSecret: {
    env: "PARLEY_OIDC_CLIENT_SECRET",
    default: undefined,
    description: "Single sign-on: the client secret (unset: a public client, PKCE only).",
    // Not trimmed: every character is the secret.
    parse: (raw) => raw,
  },
  oidcRedirectUrl: {
    env: "PARLEY_OIDC_REDIRECT_URL",
    default: undefined,
    description: "Single sign-on: the callback registered at the provider, `<the server's public URL>/v1/auth/sso/callback`.",
    parse: (raw, env) => url(raw, env, { allowHttpLoopback: true }),
  },
  oidcName: {
    env: "PARLEY_OIDC_NAME",
    default: "single sign-on",
    description: "Single sign-on: the provider's name on the web app's button (\"Sign in with <name>\").",
    parse: nonEmpty,
  },
  oidcLinkByUsername: {
    env: "PARLEY_OIDC_LINK_BY_USERNAME",
    default: false,
    description:
      "Single sign-on: a first sign-in whose `preferred_username` equals an existing account's username signs into (and links) that account; off: it gets a new account. Turn on only if the provider's usernames are the same people as Parley's.",
    parse: bool,
  },
  ssoOnly: {
    env: "PARLEY_SSO_ONLY",
    default: false,
    description:
      "Accounts sign in only through single sign-on: password sign-in, registration and password-reset links are refused (`sso_only`). Needs `PARLEY_OIDC_ISSUER`.",
    parse: bool,
  },
};

const LOOPBACK = new Set(["localhost", "127.0.0.1", "[::1]"]);

/** True when `url` is plain http to this machine (accepted for tests; a real provider and server use https). */
export function isLoopbackHttp(url: string): boolean {
  const parsed = new URL(url);
  return parsed.protocol === "http:" && LOOPBACK.has(parsed.hostname);
}

function url(raw: string, env: string, options: { allowHttpLoopback: boolean }): string {
  let parsed: URL;
  try {
    parsed = new URL(raw.trim());
  } catch {
    throw new ConfigError(env, `expected a URL, got "${raw}"`);
  }
  const http = options.allowHttpLoopback && isLoopbackHttp(parsed.href);
  if (parsed.protocol !== "https:" && !http) throw new ConfigError(env, "must be an https URL (http only on localhost)");
  return raw.trim();
}

/** SSO is all or nothing: the issuer needs the client id and redirect URL, and SSO-only needs an issuer. */
export function checkSso(config: SsoConfig): void {
  const parts = [config.oidcClientId, config.oidcRedirectUrl];
  if (config.oidcIssuer !== undefined && parts.some((p) => p === undefined)) {
    throw new ConfigError("PARLEY_OIDC_ISSUER", "needs PARLEY_OIDC_CLIENT_ID and PARLEY_OIDC_REDIRECT_URL too");
  }
  if (config.oidcIssuer === undefined && (parts.some((p) => p !== undefined) || config.oidcClientSecret !== undefined)) {
    throw new ConfigError("PARLEY_OIDC_ISSUER", "must be set when another PARLEY_OIDC_ variable is");
  }
  if (config.ssoOnly && config.oidcIssuer === undefined) {
    throw new ConfigError("PARLEY_SSO_ONLY", "needs single sign-on configured (PARLEY_OIDC_ISSUER)");
  }
}
