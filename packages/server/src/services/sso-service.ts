// Single sign-on with OpenID Connect (authorization code flow with PKCE): openid-client does discovery, the
// authorization URL, the code exchange and the ID token's validation (signature against the provider's keys, issuer,
// audience, expiry, nonce); this service keeps the one-time state between the browser's two visits, finds or creates
// the account of the provider's (issuer, subject), and hands the web app a one-time code for its tokens.

import { randomBytes } from "node:crypto";
import { type AuthResult, nameProblem, type SsoInfo } from "@parley/protocol";
import * as oidc from "openid-client";
import type { SsoConfig } from "../config/sso.js";
import { isLoopbackHttp } from "../config/sso.js";
import { AppError } from "../domain/app-error.js";
import { sha256 } from "../domain/secret-token.js";
import type { ServerRoleStore } from "../ports/admin-store.js";
import type { SsoStore } from "../ports/sso-store.js";
import type { AccountStore, UserRecord } from "../ports/store.js";
import type { AuthService } from "./auth-service.js";
import type { RegistrationPolicy } from "./registration-policy.js";

export const SSO_START_PATH = "/v1/auth/sso/start";
export const SSO_CALLBACK_PATH = "/v1/auth/sso/callback";
/** How long a sign-in may stay at the provider (login, consent) before its state is refused. */
const STATE_TTL_MS = 10 * 60_000;
/** How long the web app has to exchange its code for tokens. */
const CODE_TTL_MS = 60_000;
const PROVIDER_TIMEOUT_S = 10;
const USERNAME = /^[a-z0-9_]{3,32}$/;

/** Why a sign-in was refused (`sso_failed`'s `details.reason`). */
export type SsoRefusal = "invalid_state" | "provider_error" | "invalid_response";

export const ssoFailed = (reason: SsoRefusal, message: string) => new AppError("sso_failed", message, { reason });

interface PendingSignIn {
  codeVerifier: string;
  nonce: string;
}

export class SsoService {
  /** Discovered once and kept; a failed discovery is tried again by the next sign-in. */
  private discovered: Promise<oidc.Configuration> | undefined;

  constructor(
    private readonly config: SsoConfig,
    private readonly store: SsoStore,
    private readonly accounts: AccountStore,
    private readonly roles: ServerRoleStore,
    private readonly auth: AuthService,
    private readonly registration: RegistrationPolicy,
    private readonly log: { warn(details: object, message: string): void },
  ) {}

  get enabled(): boolean {
    return this.config.oidcIssuer !== undefined;
  }

  info(): SsoInfo {
    if (!this.enabled) return { enabled: false, ssoOnly: false };
    return { enabled: true, name: this.config.oidcName, startPath: SSO_START_PATH, ssoOnly: this.config.ssoOnly };
  }

  /** Keeps a new sign-in's state, PKCE verifier and nonce (single use), and answers the provider's URL to go to. */
  async start(): Promise<string> {
    const configuration = await this.configuration();
    const state = oidc.randomState();
    const pending: PendingSignIn = { codeVerifier: oidc.randomPKCECodeVerifier(), nonce: oidc.randomNonce() };
    await this.store.putSsoGrant({
      idHash: sha256(state),
      kind: "state",
      data: JSON.stringify(pending),
      expiresAt: Date.now() + STATE_TTL_MS,
    });
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.config.oidcRedirectUrl!,
      scope: "openid profile email",
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce: pending.nonce,
    }).href;
  }

  /**
   * The provider sent the browser back with `query`: the state is taken (a replay finds none), the code exchanged and
   * the ID token validated, then the account is found, linked or created. Answers the one-time code for the web app.
   */
  async callback(query: URLSearchParams): Promise<string> {
    if (!this.enabled) throw notConfigured();
    const state = query.get("state");
    const data = state ? await this.store.takeSsoGrant(sha256(state), "state", Date.now()) : undefined;
    if (!state || data === undefined) {
      throw ssoFailed("invalid_state", "The sign-in is unknown, expired or was already used: start again");
    }
    const pending = JSON.parse(data) as PendingSignIn;
    const configuration = await this.configuration();
    // The URL the provider redirected to, built from the configured callback rather than the request's Host header.
    const currentUrl = new URL(this.config.oidcRedirectUrl!);
    currentUrl.search = query.toString();
    let claims: oidc.IDToken;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, currentUrl, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      claims = tokens.claims()!;
    } catch (error) {
      throw this.refusal(error);
    }
    const user = await this.account(claims);
    if (user.deactivatedAt !== null) {
      throw new AppError("account_deactivated", "An administrator deactivated this account", { reason: "account_deactivated" });
    }
    const code = randomBytes(32).toString("base64url");
    await this.store.putSsoGrant({
      idHash: sha256(code),
      kind: "code",
      data: JSON.stringify({ userId: user.id }),
      expiresAt: Date.now() + CODE_TTL_MS,
    });
    return code;
  }

  /** `auth.ssoExchange`: the web app's one-time code becomes a device session, as a password sign-in does. */
  async exchange(input: { code: string; deviceName?: string }): Promise<AuthResult> {
    if (!this.enabled) throw notConfigured();
    const data = await this.store.takeSsoGrant(sha256(input.code), "code", Date.now());
    if (data === undefined) {
      throw new AppError("invalid_sso_code", "The sign-in code is unknown, expired or already used", { field: "code" });
    }
    return this.auth.signInAs((JSON.parse(data) as { userId: string }).userId, input.deviceName);
  }

  private configuration(): Promise<oidc.Configuration> {
    if (!this.enabled) return Promise.reject(notConfigured());
    const { oidcIssuer, oidcClientId, oidcClientSecret } = this.config;
    this.discovered ??= oidc
      .discovery(
        new URL(oidcIssuer!),
        oidcClientId!,
        oidcClientSecret,
        oidcClientSecret === undefined ? oidc.None() : undefined,
        {
          timeout: PROVIDER_TIMEOUT_S,
          // The ID token's signature is checked against the provider's published keys (JWKS) even though it came
          // straight from the token endpoint: openid-client skips that by default (OIDC Core §3.1.3.7 allows it over TLS).
          execute: [oidc.enableNonRepudiationChecks, ...(isLoopbackHttp(oidcIssuer!) ? [oidc.allowInsecureRequests] : [])],
        },
      )
      .catch((error: unknown) => {
        this.discovered = undefined;
        this.log.warn({ err: error, issuer: oidcIssuer }, "single sign-on: provider discovery failed");
        throw new AppError("unavailable", "The single sign-on provider cannot be reached", { service: "sso" });
      });
    return this.discovered;
  }

  /** What a failed code exchange or validation becomes (logged with the library's reason, answered without it). */
  private refusal(error: unknown): AppError {
    const code = (error as { code?: unknown }).code;
    this.log.warn({ err: error, code }, "single sign-on refused");
    if (error instanceof oidc.AuthorizationResponseError || error instanceof oidc.ResponseBodyError) {
      return ssoFailed("provider_error", "The provider refused the sign-in");
    }
    if (error instanceof oidc.ClientError || (typeof code === "string" && code.startsWith("OAUTH_"))) {
      return ssoFailed("invalid_response", "The provider's answer did not pass validation");
    }
    return new AppError("unavailable", "The single sign-on provider cannot be reached", { service: "sso" });
  }

  /** The account linked to the token's (issuer, subject); a first sign-in links or creates one. */
  private async account(claims: oidc.IDToken): Promise<UserRecord> {
    const issuer = claims.iss;
    const linked = await this.store.ssoUserId(issuer, claims.sub);
    const existing = linked === undefined ? undefined : await this.accounts.getUserById(linked);
    if (existing) return existing;
    const now = Date.now();
    const preferred = usernameFrom(claims);
    if (this.config.oidcLinkByUsername && preferred !== undefined) {
      const match = await this.accounts.getUserByUsername(preferred);
      if (match && (await this.store.linkSsoIdentity({ issuer, subject: claims.sub, userId: match.id, createdAt: now }))) {
        return match;
      }
    }
    if ((await this.registration.mode()) === "closed") {
      throw new AppError("registration_closed", "Registration is closed on this server: ask an administrator for an account");
    }
    const user = await this.createAccount(preferred ?? "user", displayNameFrom(claims), now);
    if (!(await this.store.linkSsoIdentity({ issuer, subject: claims.sub, userId: user.id, createdAt: now }))) {
      // Another node linked the same subject a moment ago: that account wins (this one stays, unused).
      const winner = await this.store.ssoUserId(issuer, claims.sub);
      const account = winner === undefined ? undefined : await this.accounts.getUserById(winner);
      if (account) return account;
    }
    if (await this.roles.claimFirstAdmin(user.id, { at: now, actorId: null, details: { sso: true } })) {
      user.serverRole = "admin";
    }
    return user;
  }

  /** `base`, then `base_2` … `base_9`, then `base_` and random digits, until a free username is found. */
  private async createAccount(base: string, displayName: string | undefined, now: number): Promise<UserRecord> {
    // Never a password: an unusable hash (no password verifies against it) until an administrator's reset link sets one.
    const passwordHash = `!sso-${randomBytes(16).toString("hex")}`;
    for (let attempt = 1; ; attempt++) {
      const suffix = attempt === 1 ? "" : attempt < 10 ? `_${attempt}` : `_${randomBytes(4).readUInt32BE() % 1_000_000}`;
      const username = `${base.slice(0, 32 - suffix.length)}${suffix}`;
      try {
        return await this.auth.createUser({ username, displayName: displayName ?? username, passwordHash }, now);
      } catch (error) {
        if (!(error instanceof AppError && error.code === "username_taken") || attempt >= 20) throw error;
      }
    }
  }
}

const notConfigured = () => new AppError("sso_not_configured", "Single sign-on is not configured on this server");

/** A Parley username from `preferred_username` or the e-mail's local part: lower case, `[a-z0-9_]`, 3..32 long. */
export function usernameFrom(claims: Record<string, unknown>): string | undefined {
  for (const raw of [claims.preferred_username, typeof claims.email === "string" ? claims.email.split("@")[0] : undefined]) {
    if (typeof raw !== "string") continue;
    const name = raw
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .slice(0, 32);
    if (USERNAME.test(name)) return name;
  }
  return undefined;
}

function displayNameFrom(claims: Record<string, unknown>): string | undefined {
  for (const raw of [claims.name, claims.preferred_username]) {
    if (typeof raw !== "string") continue;
    const name = raw.normalize("NFC").trim().slice(0, 64);
    if (name !== "" && nameProblem(name) === null) return name;
  }
  return undefined;
}
