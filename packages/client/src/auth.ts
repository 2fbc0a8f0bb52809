// The signed-in session: holds the tokens, refreshes them once for all concurrent callers, and reports changes and loss.

import type { AuthResult, User } from "@parley/protocol";
import { isAuthLoss, ParleyError, toParleyError } from "./errors.js";
import { Emitter } from "./events.js";
import type { TokenSource } from "./http-api.js";

/** Everything needed to resume a session later (persist it; it contains secrets). */
export interface Credentials {
  user: User;
  sessionId: string;
  accessToken: string;
  refreshToken: string;
  /** When the access token expires, in ms since the epoch by the client's clock. */
  accessExpiresAt: number;
}

export function credentialsFromAuth(result: AuthResult, now: number): Credentials {
  return {
    user: result.user,
    sessionId: result.sessionId,
    accessToken: result.accessToken,
    refreshToken: result.refreshToken,
    accessExpiresAt: now + result.expiresIn * 1000,
  };
}

export interface AuthSessionEvents {
  /** The credentials changed (login, refresh, logout): persist them. */
  change: Credentials | undefined;
  /** The session can no longer be refreshed; the user must log in again. */
  lost: ParleyError;
}

export interface AuthSessionOptions {
  /** Exchanges a refresh token for new tokens (the `auth.refresh` operation). */
  refresh: (refreshToken: string) => Promise<AuthResult>;
  credentials?: Credentials;
  now?: () => number;
  /** Refresh proactively when the access token expires within this window. */
  refreshAheadMs?: number;
}

export class AuthSession extends Emitter<AuthSessionEvents> implements TokenSource {
  readonly #refresh: (refreshToken: string) => Promise<AuthResult>;
  readonly #now: () => number;
  readonly #refreshAheadMs: number;
  #credentials: Credentials | undefined;
  #inflight: Promise<string> | undefined;

  constructor(options: AuthSessionOptions) {
    super();
    this.#refresh = options.refresh;
    this.#credentials = options.credentials;
    this.#now = options.now ?? Date.now;
    this.#refreshAheadMs = options.refreshAheadMs ?? 30_000;
  }

  get credentials(): Credentials | undefined {
    return this.#credentials;
  }

  /** Stores the tokens of a login, registration or refresh. */
  set(result: AuthResult): Credentials {
    const credentials = credentialsFromAuth(result, this.#now());
    this.restore(credentials);
    return credentials;
  }

  /** Adopts saved credentials (or none). */
  restore(credentials: Credentials | undefined): void {
    this.#credentials = credentials;
    this.emit("change", credentials);
  }

  clear(): void {
    if (this.#credentials === undefined) return;
    this.restore(undefined);
  }

  async accessToken(): Promise<string | undefined> {
    const current = this.#credentials;
    if (!current) return undefined;
    if (current.accessExpiresAt - this.#now() > this.#refreshAheadMs) return current.accessToken;
    try {
      return await this.refresh(current.accessToken);
    } catch (error) {
      // A transient failure here is not fatal: the server may still accept the token, and if not, the caller's
      // token_expired path refreshes again.
      if (isAuthLoss(error)) throw error;
      return this.#credentials?.accessToken;
    }
  }

  refresh(rejected: string | undefined): Promise<string> {
    const current = this.#credentials;
    if (!current) return Promise.reject(new ParleyError("not_authenticated", "Not signed in"));
    // Someone else refreshed since the caller read its token: the new one is the answer.
    if (rejected !== undefined && current.accessToken !== rejected) return Promise.resolve(current.accessToken);
    this.#inflight ??= this.#doRefresh(current).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #doRefresh(current: Credentials): Promise<string> {
    try {
      const result = await this.#refresh(current.refreshToken);
      // A logout or another login may have happened while the refresh was in flight.
      if (this.#credentials?.sessionId !== current.sessionId) throw new ParleyError("not_authenticated", "The session changed");
      return this.set(result).accessToken;
    } catch (caught) {
      const error = toParleyError(caught);
      if (isAuthLoss(error) && this.#credentials?.sessionId === current.sessionId) {
        this.clear();
        this.emit("lost", error);
      }
      throw error;
    }
  }
}
