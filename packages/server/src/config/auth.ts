// Accounts and sessions: who may register, the token secret, token lifetimes, reset links and the login lockout.

import type { RegistrationMode } from "@parley/protocol";
import { ConfigError, type ConfigVars, int, oneOf } from "./parse.js";

export interface AuthConfig {
  /** Who may register until an administrator chooses (`admin.settings.update`, which is persisted and wins). */
  registrationDefault: RegistrationMode;
  /** How long an administrator's password-reset link stays usable. */
  passwordResetTtlSeconds: number;
  /** HMAC secret for access tokens; generated into `<dataDir>/jwt-secret` on first start when not given. */
  jwtSecret: string | undefined;
  accessTokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  loginLockoutThreshold: number;
  loginLockoutMs: number;
  loginLockoutMaxMs: number;
}

export const AUTH_VARS: ConfigVars<AuthConfig> = {
  registrationDefault: {
    env: "PARLEY_REGISTRATION",
    default: "open",
    description:
      "Who may create an account until an administrator sets the registration mode in the admin area (`open`, `invite_only` or `closed`).",
    parse: oneOf(["open", "invite_only", "closed"], { caseInsensitive: true }),
  },
  passwordResetTtlSeconds: {
    env: "PARLEY_PASSWORD_RESET_TTL",
    default: 86_400,
    description: "How long a password-reset link made by an administrator stays usable, in seconds.",
    parse: int(60, 30 * 86_400),
  },
  jwtSecret: {
    env: "PARLEY_JWT_SECRET",
    default: undefined,
    description: "Secret (≥ 32 characters) that signs access tokens; generated into the data directory when unset.",
    // Not trimmed: every character given is key material, and tokens signed with it must stay valid.
    parse: (raw, env) => {
      if (raw.length < 32) throw new ConfigError(env, "must be at least 32 characters");
      return raw;
    },
  },
  accessTokenTtlSeconds: {
    env: "PARLEY_ACCESS_TOKEN_TTL",
    default: 900,
    description: "Access token lifetime in seconds.",
    parse: int(10, 86_400),
  },
  refreshTokenTtlSeconds: {
    env: "PARLEY_REFRESH_TOKEN_TTL",
    default: 30 * 86_400,
    description: "Refresh token (device session) lifetime in seconds, renewed on every refresh.",
    parse: int(60, 365 * 86_400),
  },
  loginLockoutThreshold: {
    env: "PARLEY_LOGIN_LOCKOUT_THRESHOLD",
    default: 5,
    description: "Failed logins of one username before it is locked out (0 = no lockout).",
    parse: int(0, 1000),
  },
  loginLockoutMs: {
    env: "PARLEY_LOGIN_LOCKOUT_MS",
    default: 30_000,
    description: "First lockout; each further failure doubles it.",
    parse: int(1, 86_400_000),
  },
  loginLockoutMaxMs: {
    env: "PARLEY_LOGIN_LOCKOUT_MAX_MS",
    default: 900_000,
    description: "Longest lockout.",
    parse: int(1, 86_400_000),
  },
};
