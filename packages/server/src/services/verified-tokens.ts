// Access tokens whose signature and claims were already verified, kept until they expire, so that a device that
// reconnects (or several connections sharing one token) skips the HMAC verification. A reconnect storm sends every
// token again within seconds; WebCrypto verification costs ≈ 25–50 µs of CPU and a thread-pool round trip each.

import { setNewest } from "../domain/bounded-map.js";

/** What a verified access token says; the session behind it is still checked on every use (revocation). */
export interface VerifiedClaims {
  userId: string;
  sessionId: string;
}

interface Entry extends VerifiedClaims {
  /** Epoch ms at which the token expires (its `exp` claim × 1000). */
  expiresAt: number;
}

/**
 * A bounded map from the full token string to its verified claims. The key must be the whole token: a signature alone
 * could be paired with another header and payload. An entry is served only while `now < expiresAt`, the same rule
 * jose applies to `exp` (a token is expired once `exp <= floor(now / 1000)`), so a hit answers exactly what a fresh
 * verification would. When full, the oldest entry (by insertion) makes room.
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = 10_000) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError("capacity must be an integer ≥ 0");
  }

  get size(): number {
    return this.entries.size;
  }

  /** The claims of `token` if it was verified before and has not expired at `now` (epoch ms). */
  get(token: string, now: number): VerifiedClaims | undefined {
    const hit = this.entries.get(token);
    if (hit === undefined) return undefined;
    if (now >= hit.expiresAt) {
      this.entries.delete(token);
      return undefined;
    }
    return hit;
  }

  /** Remembers a token that just passed verification; `expiresAt` in epoch ms. Tokens without expiry are not kept. */
  put(token: string, claims: VerifiedClaims, expiresAt: number): void {
    if (!Number.isFinite(expiresAt)) return;
    setNewest(this.entries, token, { userId: claims.userId, sessionId: claims.sessionId, expiresAt }, this.capacity);
  }
}
