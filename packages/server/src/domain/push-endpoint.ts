// Which push endpoints the server may call: https on public hosts only, unless private endpoints are allowed (SSRF guard).

import { createECDH } from "node:crypto";
import { BlockList, isIP } from "node:net";

/**
 * IPv4 ranges that are not globally reachable unicast (RFC 6890 and its updates): "this network", private, CGNAT,
 * loopback, link-local, IETF protocol assignments, the three documentation nets, the 6to4 relay anycast, benchmarking,
 * multicast, reserved and broadcast.
 */
const NOT_GLOBAL_V4 = new BlockList();
for (const [net, prefix] of [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 3],
] as const)
  NOT_GLOBAL_V4.addSubnet(net, prefix, "ipv4");

/** The only IPv6 space handed out as global unicast. Everything outside it (::/96, 64:ff9b::/96, fc00::/7, fec0::/10…) is refused. */
const GLOBAL_V6 = new BlockList();
GLOBAL_V6.addSubnet("2000::", 3, "ipv6");

/**
 * Special-purpose blocks inside 2000::/3: IETF protocol assignments (Teredo, benchmarking, ORCHID…), documentation,
 * and 6to4, whose embedded IPv4 address may be private.
 */
const SPECIAL_V6 = new BlockList();
for (const [net, prefix] of [
  ["2001::", 23],
  ["2001:db8::", 32],
  ["2002::", 16],
  ["3fff::", 20],
] as const)
  SPECIAL_V6.addSubnet(net, prefix, "ipv6");

/** IPv4-mapped addresses (::ffff:a.b.c.d) stand for the IPv4 address they carry. */
const MAPPED_V4 = new BlockList();
MAPPED_V4.addSubnet("::ffff:0:0", 96, "ipv6");

/**
 * True for an IP address that is not global unicast (IPv4 by the list above; IPv6 only inside 2000::/3 minus its
 * special blocks; IPv4-mapped judged as the IPv4 address). Host names are not addresses: false (their resolved
 * addresses are checked at delivery).
 */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  if (family === 4) return NOT_GLOBAL_V4.check(address, "ipv4");
  // BlockList matches an IPv4-mapped address against IPv4 rules, in both its dotted and its hex form.
  if (MAPPED_V4.check(address, "ipv6")) return NOT_GLOBAL_V4.check(address, "ipv6");
  return !GLOBAL_V6.check(address, "ipv6") || SPECIAL_V6.check(address, "ipv6");
}

/**
 * Why the endpoint may not be called, or null when it may. The host's resolved addresses are checked again at
 * delivery (a public name may resolve to a private address).
 */
export function endpointProblem(endpoint: string, allowPrivate: boolean): string | null {
  return publicUrlProblem(endpoint, { allowPrivate, http: allowPrivate, noun: "the endpoint" });
}

/**
 * Why the server may not fetch `raw`, or null when it may (push endpoints, link previews): https (and http when
 * `http`), no credentials, and unless `allowPrivate` a host that is neither a local name nor a private address. The
 * resolved addresses are checked again when connecting (`publicOnlyLookup` in public-lookup.ts).
 */
export function publicUrlProblem(raw: string, options: { allowPrivate: boolean; http: boolean; noun: string }): string | null {
  const { allowPrivate, noun } = options;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return `${noun} is not a URL`;
  }
  if (url.protocol !== "https:" && !(options.http && url.protocol === "http:"))
    return options.http ? `${noun} must be an http or https URL` : `${noun} must be an https URL`;
  if (url.username !== "" || url.password !== "") return `${noun} must not carry credentials`;
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".local") || host.endsWith(".internal"))
    return `${noun}'s host is not public`;
  if (isPrivateAddress(host)) return `${noun}'s address is not public`;
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
