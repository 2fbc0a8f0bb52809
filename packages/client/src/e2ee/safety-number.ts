// Safety numbers (docs/e2ee.md "Trust"): what two people compare out of band to know that the directory's device keys
// are the ones their devices really have. The construction is Signal's numeric fingerprint, with a user's set of MLS
// device signature keys in place of one identity key:
//
//   per user: h = SHA-512(0x0000 ‖ keys ‖ userId); 5200 times h = SHA-512(h ‖ keys); the first 30 bytes as six 5-byte
//             big-endian numbers, each mod 100000, give 30 digits
//   keys:     the user's device signature public keys, sorted bytewise, concatenated
//   the number: the two users' 30 digits, the smaller first: 60 digits, shown as 12 groups of 5
//
// Both sides compute the same number; any device added, removed or re-keyed on either side changes it.

import { sha512 } from "@noble/hashes/sha2.js";

const ITERATIONS = 5200;
const VERSION = new Uint8Array([0, 0]);
const encoder = new TextEncoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/** The 30 digits of one user: their id and the signature keys of all their devices. */
export function fingerprintDigits(userId: string, deviceKeys: readonly Uint8Array[]): string {
  const keys = concat([...deviceKeys].sort(compareBytes));
  let hash = sha512(concat([VERSION, keys, encoder.encode(userId)]));
  for (let i = 0; i < ITERATIONS; i++) hash = sha512(concat([hash, keys]));
  let digits = "";
  for (let chunk = 0; chunk < 6; chunk++) {
    let value = 0;
    for (let i = 0; i < 5; i++) value = value * 256 + hash[chunk * 5 + i]!;
    digits += String(value % 100_000).padStart(5, "0");
  }
  return digits;
}

/** The safety number of two users, as 12 groups of 5 digits; the same whichever side computes it. */
export function safetyNumber(
  a: { userId: string; deviceKeys: readonly Uint8Array[] },
  b: { userId: string; deviceKeys: readonly Uint8Array[] },
): string[] {
  const halves = [fingerprintDigits(a.userId, a.deviceKeys), fingerprintDigits(b.userId, b.deviceKeys)].sort();
  const all = halves.join("");
  return Array.from({ length: 12 }, (_, i) => all.slice(i * 5, i * 5 + 5));
}
