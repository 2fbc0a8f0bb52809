// One-time secrets handed to people (refresh tokens, invitations, password-reset links): `<id>.<secret>`, of which the
// server keeps only the id and a SHA-256 of the secret.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { newId } from "./ids.js";

export function sha256(value: string): string {
  return createHash("sha256").update(value).digest("hex");
}

/** Compares two hex digests in constant time. */
export function sameHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

export interface SecretToken {
  id: string;
  /** What the holder presents: `<id>.<secret>`. */
  token: string;
  /** What the server stores. */
  hash: string;
}

/** A fresh token with a new id and 256 bits of secret. */
export function newSecretToken(): SecretToken {
  const id = newId();
  const secret = randomBytes(32).toString("base64url");
  return { id, token: `${id}.${secret}`, hash: sha256(secret) };
}

/** The id and the secret's hash of a presented token; undefined when it does not have the form. */
export function parseSecretToken(token: string): { id: string; hash: string } | undefined {
  const dot = token.indexOf(".");
  if (dot <= 0 || dot === token.length - 1) return undefined;
  return { id: token.slice(0, dot), hash: sha256(token.slice(dot + 1)) };
}
