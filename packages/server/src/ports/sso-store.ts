// The storage port of single sign-on: one-time grants (a sign-in's state while the browser is at the provider, and the
// code the web app exchanges for tokens) and the link from a provider's (issuer, subject) to an account.

/** What a grant is for: `state` from start to callback, `code` from callback to `auth.ssoExchange`. */
export type SsoGrantKind = "state" | "code";

export interface SsoGrant {
  /** SHA-256 (hex) of the grant's secret: the secret itself (in a URL) is never stored. */
  idHash: string;
  kind: SsoGrantKind;
  /** JSON the service reads back. */
  data: string;
  expiresAt: number;
}

export interface SsoStore {
  putSsoGrant(grant: SsoGrant): Promise<void>;
  /**
   * Removes the grant and returns its data when it exists, is of `kind` and unexpired at `now`: atomically, so on every
   * node a grant is taken at most once. Expired grants are removed too.
   */
  takeSsoGrant(idHash: string, kind: SsoGrantKind, now: number): Promise<string | undefined>;
  /** The account linked to the provider's subject, if any. */
  ssoUserId(issuer: string, subject: string): Promise<string | undefined>;
  /**
   * Links the subject to the account; false (nothing written) when the subject is linked already or the account has
   * another subject of this issuer.
   */
  linkSsoIdentity(link: { issuer: string; subject: string; userId: string; createdAt: number }): Promise<boolean>;
}
