// Signed download URLs: `/v1/files/<id>?v=<variant>&exp=<unix s>&sig=<HMAC-SHA256>`, usable as `<img src>`.

import { createHmac, timingSafeEqual } from "node:crypto";
import { AppError } from "../domain/app-error.js";

export type FileVariant = "original" | "thumb";

export const FILES_PATH = "/v1/files";

/**
 * Expiry times are rounded up to the minute so that signing the same file twice within a minute gives the same URL,
 * and the browser's cache keeps working across re-renders.
 */
export class FileUrlSigner {
  constructor(
    private readonly secret: string,
    private readonly ttlSeconds: number,
  ) {}

  sign(id: string, variant: FileVariant, nowMs = Date.now()): { url: string; expiresAt: number } {
    const exp = Math.ceil((nowMs / 1000 + this.ttlSeconds) / 60) * 60;
    const sig = this.mac(id, variant, exp);
    return {
      url: `${FILES_PATH}/${encodeURIComponent(id)}?v=${variant}&exp=${exp}&sig=${sig}`,
      expiresAt: exp * 1000,
    };
  }

  /** Throws invalid_signature or signature_expired; checks the MAC before the clock so a forged expiry learns nothing. */
  verify(id: string, query: { v?: unknown; exp?: unknown; sig?: unknown }, nowMs = Date.now()): FileVariant {
    const variant = query.v === undefined ? "original" : query.v;
    const exp = typeof query.exp === "string" && /^\d{1,12}$/.test(query.exp) ? Number(query.exp) : Number.NaN;
    if ((variant !== "original" && variant !== "thumb") || Number.isNaN(exp) || typeof query.sig !== "string") {
      throw new AppError("invalid_signature", "The download URL is incomplete or malformed");
    }
    const expected = Buffer.from(this.mac(id, variant, exp));
    const given = Buffer.from(query.sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError("invalid_signature", "The download URL's signature does not match");
    }
    if (exp * 1000 <= nowMs) throw new AppError("signature_expired", "The download URL has expired: sign it again");
    return variant;
  }

  /** `<base64url payload>.<mac>`: a value the server handed out and can take back unchanged (direct-upload tokens). */
  seal(payload: object): string {
    const data = Buffer.from(JSON.stringify(payload)).toString("base64url");
    return `${data}.${createHmac("sha256", this.secret).update(`parley-seal\n${data}`).digest("base64url")}`;
  }

  /** The payload of a sealed value; throws invalid_signature when it was not made by `seal` with this secret. */
  unseal(token: string): unknown {
    const [data, mac, extra] = token.split(".");
    if (!data || !mac || extra !== undefined) throw new AppError("invalid_signature", "The token is malformed");
    const expected = Buffer.from(createHmac("sha256", this.secret).update(`parley-seal\n${data}`).digest("base64url"));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      throw new AppError("invalid_signature", "The token's signature does not match");
    }
    return JSON.parse(Buffer.from(data, "base64url").toString("utf8"));
  }

  private mac(id: string, variant: string, exp: number): string {
    return createHmac("sha256", this.secret).update(`parley-file\n${id}\n${variant}\n${exp}`).digest("base64url");
  }
}
