// Which push endpoints the server may call: https on public hosts only, unless private endpoints are allowed (SSRF guard).

import { createECDH } from "node:crypto";
import { BlockList, isIP } from "node:net";

/** Loopback, private, link-local, CGNAT, unique-local, multicast and reserved ranges: never a public push service. */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["224.0.0.0", 3],
] as const)
  PRIVATE.addSubnet(net, prefix, "ipv4");
for (const [net, prefix] of [
  ["::", 128],
  ["::1", 128],
  ["fc00::", 7],
  ["fe80::", 10],
  ["ff00::", 8],
] as const)
  PRIVATE.addSubnet(net, prefix, "ipv6");

export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 6) {
    // IPv4-mapped (::ffff:10.0.0.1) is checked as the IPv4 address it stands for.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
    if (mapped) return PRIVATE.check(mapped[1]!, "ipv4");
    return PRIVATE.check(address, "ipv6");
  }
  return PRIVATE.check(address, "ipv4");
}

/**
 * Why the endpoint may not be called, or null when it may. The host's resolved addresses are checked again at
 * delivery (a public name may resolve to a private address).
 */
export function endpointProblem(endpoint: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return "the endpoint is not a URL";
  }
  if (url.protocol !== "https:" && !(allowPrivate && url.protocol === "http:")) return "the endpoint must be an https URL";
  if (url.username !== "" || url.password !== "") return "the endpoint must not carry credentials";
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal"))
    return "the endpoint's host is not public";
  if (isPrivateAddress(host)) return "the endpoint's address is not public";
  return null;
}

/** Why the subscription keys are unusable, or null: p256dh must be a P-256 public key, auth a 16-byte secret. */
export function keysProblem(keys: { p256dh: string; auth: string }): string | null {
  const auth = Buffer.from(keys.auth, "base64url");
  if (auth.length !== 16) return "keys.auth must be 16 bytes (base64url)";
  const p256dh = Buffer.from(keys.p256dh, "base64url");
  if (p256dh.length !== 65 || p256dh[0] !== 4) return "keys.p256dh must be an uncompressed P-256 public key (65 bytes)";
  try {
    // Rejects points that are not on the curve.
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    ecdh.computeSecret(p256dh);
  } catch {
    return "keys.p256dh is not a point on P-256";
  }
  return null;
}
