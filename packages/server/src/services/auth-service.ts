// Accounts and device sessions: argon2id password hashes, short-lived JWT access tokens, rotating refresh tokens.

import { randomBytes, webcrypto } from "node:crypto";
import { hash as argonHash, verify as argonVerify } from "@node-rs/argon2";
import type { AuthResult, DeviceSession, User } from "@parley/protocol";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { AppError } from "../domain/app-error.js";
import { newId } from "../domain/ids.js";
import { parseSecretToken, sameHex, sha256 } from "../domain/secret-token.js";
import type { CredentialStore, ServerRoleStore } from "../ports/admin-store.js";
import { type AccountStore, StoreError, type UserRecord } from "../ports/store.js";
import type { LoginGuard } from "./rate-limits.js";
import type { RegistrationPolicy } from "./registration-policy.js";
import { VerifiedTokens } from "./verified-tokens.js";

export interface AuthConfig {
  jwtSecret: string;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  /** Accounts sign in through single sign-on only: passwords are refused (`sso_only`). */
  ssoOnly?: boolean;
}

/** Who a verified access token speaks for. */
export interface Principal {
  userId: string;
  sessionId: string;
}

const ISSUER = "parley";
const MIN_PASSWORD = 8;
const MAX_PASSWORD = 256;
/** Verified access tokens remembered (≈ 350 bytes each): one per device that connected recently is enough. */
const VERIFIED_TOKENS = 10_000;

export function toUser(record: UserRecord): User {
  const user: User = { id: record.id, username: record.username, displayName: record.displayName, createdAt: record.createdAt };
  if (record.serverRole === "admin") user.admin = true;
  if (record.deactivatedAt !== null) user.deactivated = true;
  if (record.avatarId) user.avatarId = record.avatarId;
  return user;
}

export function hashPassword(password: string): Promise<string> {
  checkPassword(password);
  return argonHash(password);
}

const ssoOnly = () => new AppError("sso_only", "This server signs in through single sign-on only: use the provider's sign-in");

const deactivated = () =>
  new AppError("account_deactivated", "An administrator deactivated this account", { reason: "account_deactivated" });

export class AuthService {
  /**
   * The HMAC key, imported into WebCrypto once: jose would import a raw Uint8Array again on every sign and verify
   * (about half of a verification's CPU).
   */
  private imported: Promise<webcrypto.CryptoKey> | undefined;
  /** Tokens verified before (a reconnecting device presents the same one again); sessions are still checked. */
  private readonly verified: VerifiedTokens;
  /** Verified against when the username is unknown, so both failures cost the same time. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly store: AccountStore,
    private readonly credentials: CredentialStore & ServerRoleStore,
    private readonly registration: RegistrationPolicy,
    private readonly config: AuthConfig,
    private readonly onSessionRevoked: (sessionId: string) => void,
    /** Locks a username out after repeated wrong passwords (checked before the password, so guesses stop counting). */
    private readonly guard?: LoginGuard,
  ) {
    this.verified = new VerifiedTokens(VERIFIED_TOKENS);
  }

  /**
   * Imported on first use, so that a failure (none is expected for a secret of ≥ 32 characters) always has a sign or
   * verify waiting to report it; it stays cached, and every later call reports it too.
   */
  private key(): Promise<webcrypto.CryptoKey> {
    this.imported ??= webcrypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(this.config.jwtSecret),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    return this.imported;
  }

  /**
   * The registration mode and invitation decide first (nothing is written when they refuse); the first account of a
   * fresh server becomes its administrator.
   */
  async register(input: {
    username: string;
    password: string;
    displayName?: string;
    deviceName?: string;
    invite?: string;
  }): Promise<AuthResult> {
    this.refuseIfSsoOnly();
    checkPassword(input.password);
    const now = Date.now();
    const inviteId = await this.registration.admit(input.invite, now);
    let user: UserRecord;
    try {
      const passwordHash = await argonHash(input.password);
      user = await this.createUser({ username: input.username, displayName: input.displayName, passwordHash }, now);
    } catch (error) {
      if (inviteId !== undefined) await this.registration.release(inviteId);
      throw error;
    }
    const details = inviteId === undefined ? {} : { invite: inviteId };
    if (await this.credentials.claimFirstAdmin(user.id, { at: now, actorId: null, details })) user.serverRole = "admin";
    return this.openSession(user, input.deviceName);
  }

  /** Creates an account (registration, or an administrator's `admin.users.create`); `username_taken` when it exists. */
  async createUser(input: { username: string; displayName?: string | undefined; passwordHash: string }, now: number) {
    try {
      return await this.store.createUser({
        id: newId(),
        username: input.username,
        displayName: input.displayName ?? input.username,
        passwordHash: input.passwordHash,
        createdAt: now,
      });
    } catch (error) {
      if (error instanceof StoreError && error.code === "username_taken") {
        throw new AppError("username_taken", "This username is already taken", { field: "username" });
      }
      throw error;
    }
  }

  async login(input: { username: string; password: string; deviceName?: string }): Promise<AuthResult> {
    this.refuseIfSsoOnly();
    const username = input.username.toLowerCase();
    const verify = async (): Promise<UserRecord | undefined> => {
      const user = await this.store.getUserByUsername(username);
      if (!user) {
        this.dummyHash ??= argonHash(randomBytes(16).toString("hex"));
        await argonVerify(await this.dummyHash, input.password).catch(() => false);
        return undefined;
      }
      return (await argonVerify(user.passwordHash, input.password).catch(() => false)) ? user : undefined;
    };
    // Unknown usernames are locked out like known ones, so a lockout reveals nothing about which accounts exist.
    const user = this.guard ? await this.guard.attempt(username, verify) : await verify();
    if (!user) throw new AppError("invalid_credentials", "Unknown username or wrong password");
    // Said only to whoever knows the password.
    if (user.deactivatedAt !== null) throw deactivated();
    return this.openSession(user, input.deviceName);
  }

  /** Uses an administrator's one-time reset link: sets the password, ends every session, and signs in anew. */
  async resetPassword(input: { token: string; password: string; deviceName?: string }): Promise<AuthResult> {
    this.refuseIfSsoOnly();
    const invalid = () => new AppError("invalid_reset_token", "The password-reset link is not valid", { field: "token" });
    const presented = parseSecretToken(input.token);
    const reset = presented && (await this.credentials.getPasswordReset(presented.id));
    if (!presented || !reset || !sameHex(reset.secretHash, presented.hash)) throw invalid();
    const passwordHash = await hashPassword(input.password);
    const now = Date.now();
    const user = await this.store.getUserById(reset.userId);
    if (!user) throw invalid();
    if (user.deactivatedAt !== null) throw deactivated();
    if (!(await this.credentials.usePasswordReset(reset.id, now))) throw invalid();
    for (const sessionId of await this.credentials.setPassword(user.id, passwordHash, null, now))
      this.onSessionRevoked(sessionId);
    return this.openSession(user, input.deviceName);
  }

  /** Needs the current password; every other session of the user is revoked, this one stays signed in. */
  async changePassword(userId: string, sessionId: string, oldPassword: string, newPassword: string): Promise<void> {
    const user = await this.store.getUserById(userId);
    if (!user) throw new AppError("not_found", "User not found");
    const passwordHash = await hashPassword(newPassword);
    if (!(await argonVerify(user.passwordHash, oldPassword).catch(() => false))) {
      throw new AppError("wrong_password", "The current password is not correct", { field: "oldPassword" });
    }
    const revoked = await this.credentials.setPassword(userId, passwordHash, sessionId, Date.now());
    for (const id of revoked) this.onSessionRevoked(id);
  }

  async sessions(userId: string, currentSessionId: string): Promise<DeviceSession[]> {
    return (await this.credentials.listSessions(userId, Date.now())).map((s) => ({
      id: s.id,
      deviceName: s.deviceName,
      createdAt: s.createdAt,
      expiresAt: s.expiresAt,
      current: s.id === currentSessionId,
    }));
  }

  /** Signs one of the caller's devices out (the current one too); another user's session id is `not_found`. */
  async revokeOwnSession(userId: string, currentSessionId: string, sessionId: string): Promise<DeviceSession[]> {
    const session = await this.store.getSession(sessionId);
    if (!session || session.userId !== userId || session.revokedAt !== null) {
      throw new AppError("not_found", "No such signed-in device", { field: "sessionId" });
    }
    await this.revoke(sessionId);
    return this.sessions(userId, currentSessionId);
  }

  /** Rotates the refresh token. Presenting an already-rotated token revokes the session: it was copied. */
  async refresh(refreshToken: string): Promise<AuthResult> {
    const invalid = () => new AppError("invalid_refresh_token", "The refresh token is not valid");
    const dot = refreshToken.indexOf(".");
    if (dot <= 0) throw invalid();
    const sessionId = refreshToken.slice(0, dot);
    const presented = sha256(refreshToken.slice(dot + 1));
    const session = await this.store.getSession(sessionId);
    const now = Date.now();
    if (session?.revokedAt != null) await this.refuseIfDeactivated(session.userId);
    if (!session || session.revokedAt !== null || session.expiresAt <= now) throw invalid();
    if (!sameHex(session.refreshHash, presented)) {
      if (session.previousRefreshHash && sameHex(session.previousRefreshHash, presented)) await this.revoke(session.id);
      throw invalid();
    }
    const user = await this.store.getUserById(session.userId);
    if (!user) throw invalid();
    if (user.deactivatedAt !== null) throw deactivated();
    const secret = randomBytes(32).toString("base64url");
    const expiresAt = now + this.config.refreshTokenTtlSeconds * 1000;
    if (!(await this.store.rotateRefresh(session.id, session.refreshHash, sha256(secret), expiresAt))) throw invalid();
    return this.tokens(user, session.id, secret);
  }

  async logout(sessionId: string): Promise<void> {
    await this.revoke(sessionId);
  }

  /** Verifies an access token and that its device session is still open. */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new AppError("unauthorized", "An access token is required");
    const { userId, sessionId } = this.verified.get(token, Date.now()) ?? (await this.verify(token));
    const session = await this.store.getSession(sessionId);
    if (!session || session.revokedAt !== null || session.userId !== userId) {
      // Only a refused token pays for this read: a deactivated account's tokens say why they stopped working.
      if (session?.userId === userId) await this.refuseIfDeactivated(userId);
      throw new AppError("unauthorized", "The session of this token was logged out or revoked", { reason: "session_revoked" });
    }
    return { userId, sessionId };
  }

  /** Checks the token's signature and claims (jose) and remembers it as verified until it expires. */
  private async verify(token: string): Promise<{ userId: string; sessionId: string }> {
    let sub: string | undefined;
    let sid: unknown;
    let exp: number | undefined;
    const key = await this.key();
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ["HS256"], issuer: ISSUER });
      sub = payload.sub;
      sid = payload["sid"];
      exp = payload.exp;
    } catch (error) {
      if (error instanceof joseErrors.JWTExpired) throw new AppError("token_expired", "The access token has expired");
      throw new AppError("unauthorized", "The access token is not valid");
    }
    if (!sub || typeof sid !== "string") throw new AppError("unauthorized", "The access token is not valid");
    const claims = { userId: sub, sessionId: sid };
    if (typeof exp === "number") this.verified.put(token, claims, exp * 1000);
    return claims;
  }

  /** Opens a device session for an account that signed in elsewhere (single sign-on); deactivated accounts are refused. */
  async signInAs(userId: string, deviceName: string | undefined): Promise<AuthResult> {
    const user = await this.store.getUserById(userId);
    if (!user) throw new AppError("invalid_sso_code", "The account of this sign-in no longer exists", { field: "code" });
    if (user.deactivatedAt !== null) throw deactivated();
    return this.openSession(user, deviceName);
  }

  private refuseIfSsoOnly(): void {
    if (this.config.ssoOnly) throw ssoOnly();
  }

  private async refuseIfDeactivated(userId: string): Promise<void> {
    if ((await this.store.getUserById(userId))?.deactivatedAt != null) throw deactivated();
  }

  private async revoke(sessionId: string): Promise<void> {
    await this.store.revokeSession(sessionId, Date.now());
    this.onSessionRevoked(sessionId);
  }

  private async openSession(user: UserRecord, deviceName: string | undefined): Promise<AuthResult> {
    const sessionId = newId();
    const secret = randomBytes(32).toString("base64url");
    const now = Date.now();
    await this.store.createSession({
      id: sessionId,
      userId: user.id,
      deviceName: deviceName?.trim() || "unnamed device",
      refreshHash: sha256(secret),
      createdAt: now,
      expiresAt: now + this.config.refreshTokenTtlSeconds * 1000,
    });
    return this.tokens(user, sessionId, secret);
  }

  private async tokens(user: UserRecord, sessionId: string, secret: string): Promise<AuthResult> {
    const accessToken = await new SignJWT({ sid: sessionId })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(user.id)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.config.accessTokenTtlSeconds}s`)
      .sign(await this.key());
    return {
      user: toUser(user),
      sessionId,
      accessToken,
      expiresIn: this.config.accessTokenTtlSeconds,
      refreshToken: `${sessionId}.${secret}`,
    };
  }
}

function checkPassword(password: string): void {
  const length = [...password].length;
  if (length < MIN_PASSWORD || length > MAX_PASSWORD) {
    throw new AppError("weak_password", `The password must be ${MIN_PASSWORD} to ${MAX_PASSWORD} characters long`, {
      field: "password",
    });
  }
}
