// Edge security for HTTP and WebSocket: client addresses behind proxies, bearer tokens, Origin rules, CORS, headers.

import type { IncomingMessage } from "node:http";
import { isIP } from "node:net";
import type { TLSSocket } from "node:tls";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config/index.js";

export type EdgeConfig = Pick<Config, "trustProxy" | "allowedOrigins" | "contentSecurityPolicy" | "hstsMaxAgeSeconds">;

/** The token of an `Authorization: Bearer …` header, the one place an HTTP request carries an access token. */
export function bearer(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : undefined;
}

/**
 * The client's address: the socket's peer, or with `trustProxy` the address the trusted proxies report in
 * X-Forwarded-For (`true`: the left-most; a number n: the n-th from the right, i.e. behind n proxies).
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean | number): string {
  const peer = normalize(req.socket.remoteAddress ?? "unknown");
  if (trustProxy === false || trustProxy === 0) return peer;
  const header = req.headers["x-forwarded-for"];
  const forwarded = (Array.isArray(header) ? header.join(",") : (header ?? ""))
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  // Nearest first: the peer, then the proxies' entries from right to left.
  const chain = [peer, ...forwarded.reverse().map(normalize)];
  const index = trustProxy === true ? chain.length - 1 : Math.min(trustProxy, chain.length - 1);
  return chain[index]!;
}

/** The key rate limits use for an address: IPv4 as is, IPv6 by its /64 (one subscriber usually holds a whole /64). */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = "", tail = ""] = address.split("::");
  const left = head === "" ? [] : head.split(":");
  const right = tail === "" ? [] : tail.split(":");
  const groups = address.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""))
    .join(":")}::/64`;
}

function normalize(address: string): string {
  return address.startsWith("::ffff:") && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Whether the request reached us (or the trusted proxy) over TLS. */
export function isSecure(req: IncomingMessage, trustProxy: boolean | number): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  if (trustProxy === false || trustProxy === 0) return false;
  const proto = req.headers["x-forwarded-proto"];
  return (Array.isArray(proto) ? proto[0] : proto)?.split(",")[0]?.trim().toLowerCase() === "https";
}

/** The host the client addressed: Host, or the trusted proxy's X-Forwarded-Host. */
function requestHost(req: IncomingMessage, trustProxy: boolean | number): string | undefined {
  const forwarded = trustProxy !== false && trustProxy !== 0 ? req.headers["x-forwarded-host"] : undefined;
  const host = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim() || req.headers.host;
  return host?.toLowerCase();
}

const DEFAULT_PORTS: Record<string, string> = { "http:": "80", "https:": "443" };

/** True when `origin` names the same host and port as the request (a page served by this server). */
export function isSameOrigin(origin: string, req: IncomingMessage, trustProxy: boolean | number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const host = requestHost(req, trustProxy);
  if (!host) return false;
  const port = url.port || DEFAULT_PORTS[url.protocol] || "";
  const [hostname, hostPort] = splitHost(host);
  const expectedPort = hostPort || (isSecure(req, trustProxy) ? "443" : "80");
  return url.hostname.toLowerCase() === hostname && port === expectedPort;
}

function splitHost(host: string): [string, string] {
  const v6 = /^(\[[^\]]+\])(?::(\d+))?$/.exec(host);
  if (v6) return [v6[1]!, v6[2] ?? ""];
  const i = host.lastIndexOf(":");
  return i < 0 ? [host, ""] : [host.slice(0, i), host.slice(i + 1)];
}

/** Whether a browser page of `origin` may use this server (the server's own pages, or the configured allow-list). */
export function originAllowed(origin: string, req: IncomingMessage, config: EdgeConfig): boolean {
  if (config.allowedOrigins.includes("*") || config.allowedOrigins.includes(origin)) return true;
  return isSameOrigin(origin, req, config.trustProxy);
}

/**
 * WebSocket upgrades: a request without Origin comes from a non-browser client and is allowed (it could send any
 * Origin anyway); a browser's Origin must be this server's own or allowed. This stops other sites' pages from
 * opening sockets with a user's browser, whatever the authentication scheme.
 */
export function upgradeOriginAllowed(req: IncomingMessage, config: EdgeConfig): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  return originAllowed(origin, req, config);
}

const CORS_EXPOSED = "Retry-After, WWW-Authenticate, X-Request-Id";
const CORS_METHODS = "GET, POST, PATCH, PUT, DELETE";
/** Parley-Poll-Secret: the long-poll session secret (transport/long-poll.ts). */
const CORS_HEADERS = "Authorization, Content-Type, Parley-Poll-Secret";

/**
 * Security headers on every response, and CORS for the allowed cross-origin pages. Bearer tokens (never cookies)
 * authenticate requests, so CORS never allows credentials; preflights of allowed origins answer 204.
 */
export function registerEdgeSecurity(app: FastifyInstance, config: EdgeConfig): void {
  const crossOrigin = config.allowedOrigins.length > 0;
  app.addHook("onRequest", (request, reply, done) => {
    setSecurityHeaders(request, reply, config);
    const origin = request.headers.origin;
    if (!crossOrigin || origin === undefined || isSameOrigin(origin, request.raw, config.trustProxy)) return done();
    reply.header("vary", "Origin");
    if (!config.allowedOrigins.includes("*") && !config.allowedOrigins.includes(origin)) return done();
    reply.header("access-control-allow-origin", config.allowedOrigins.includes("*") ? "*" : origin);
    reply.header("access-control-expose-headers", CORS_EXPOSED);
    if (request.method === "OPTIONS" && request.headers["access-control-request-method"] !== undefined) {
      reply.header("access-control-allow-methods", CORS_METHODS);
      reply.header("access-control-allow-headers", CORS_HEADERS);
      reply.header("access-control-max-age", "600");
      reply.code(204).send();
      return;
    }
    done();
  });
}

function setSecurityHeaders(request: FastifyRequest, reply: FastifyReply, config: EdgeConfig): void {
  reply.header("content-security-policy", config.contentSecurityPolicy);
  reply.header("x-content-type-options", "nosniff");
  reply.header("x-frame-options", "DENY");
  reply.header("referrer-policy", "no-referrer");
  reply.header("cross-origin-opener-policy", "same-origin");
  reply.header("x-request-id", request.id);
  if (config.hstsMaxAgeSeconds > 0 && isSecure(request.raw, config.trustProxy)) {
    reply.header("strict-transport-security", `max-age=${config.hstsMaxAgeSeconds}`);
  }
}
