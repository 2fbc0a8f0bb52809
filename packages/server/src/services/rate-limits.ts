// Named rate limits and the login lockout: which bucket each request draws from, and the `rate_limited` answer.

import type { OpName } from "@parley/protocol";
import type { Config } from "../config/index.js";
import { AppError } from "../domain/app-error.js";
import type { Metrics } from "../observability/metrics.js";
import type { LockoutPolicy, RateDecision, RateLimiter, RateRule } from "../ports/rate-limiter.js";

/** Every limit by name; the names appear in `details.limit` of `rate_limited` errors and in metrics. */
export type LimitName =
  | "requests"
  | "messages"
  | "typing"
  | "receipts"
  | "auth_ip"
  | "register_ip"
  | "connect_ip"
  | "login"
  | "search"
  | "uploads"
  | "link_previews";

export type RateLimitConfig = Pick<
  Config,
  | "rateRequests"
  | "rateMessages"
  | "rateTyping"
  | "rateReceipts"
  | "rateAuthIp"
  | "rateRegisterIp"
  | "rateConnectIp"
  | "loginLockoutThreshold"
  | "loginLockoutMs"
  | "loginLockoutMaxMs"
  | "rateSearch"
  | "rateUploads"
  | "rateLinkPreviews"
>;

type BucketName = Exclude<LimitName, "login">;

/** Operations (and `uploads`, the upload endpoint) with a bucket of their own, drawn from in addition to `requests`. */
const OP_LIMITS: Partial<Record<OpName | "uploads", BucketName>> = {
  "messages.send": "messages",
  typing: "typing",
  "receipts.mark": "receipts",
  // Edits, deletes and reactions are entries in the sequence like sends, and share their budget.
  "messages.edit": "messages",
  "messages.delete": "messages",
  "messages.react": "messages",
  "messages.pin": "messages",
  "messages.unpin": "messages",
  "messages.forward": "messages",
  "messages.search": "search",
  // Finding people scans the users table: the same budget as message searches.
  "users.search": "search",
  // Uploads decode images: a budget of their own, whichever way the bytes arrive.
  uploads: "uploads",
  "uploads.complete": "uploads",
  // A preview may fetch a third-party page and image: a budget of its own.
  "links.preview": "link_previews",
};

/** Answer to a second login for a username whose first is still being verified (an argon2 check takes ~50 ms). */
const CONCURRENT_LOGIN_RETRY_MS = 1000;
/** Failed logins of a username are forgotten this long after the last one. */
const LOGIN_FAILURE_MEMORY_MS = 24 * 3_600_000;

const WHAT: Record<LimitName, string> = {
  requests: "requests",
  messages: "messages",
  typing: "typing updates",
  receipts: "receipt updates",
  auth_ip: "sign-in requests from this address",
  register_ip: "registrations from this address",
  connect_ip: "connections from this address",
  login: "failed logins for this username",
  search: "searches",
  uploads: "uploads",
  link_previews: "link previews",
};

/** What `AuthService` needs to stop password guessing. */
export interface LoginGuard {
  /**
   * Runs `verify` (resolving undefined for a wrong password) unless the username is locked out, counting failures.
   * Throws `rate_limited` while locked out, and while another attempt for the same username is being verified on
   * this node: guesses are then sequential, so a burst of parallel attempts cannot slip past the threshold.
   */
  attempt<T>(username: string, verify: () => Promise<T | undefined>): Promise<T | undefined>;
}

/**
 * Buckets that protect one node (requests, messages, typing, receipts, connections) live in `node`, an in-process
 * limiter: no network round trip on the hot path. Buckets that must hold across nodes because an attacker can spread
 * attempts over them (sign-in per address, registrations, the login lockout) live in `shared` (Redis in a cluster).
 */
export class RateLimits implements LoginGuard {
  private readonly rules: Record<BucketName, RateRule | null>;
  private readonly lockout: LockoutPolicy | null;
  /** Usernames with a login being verified on this node. */
  private readonly verifying = new Set<string>();

  constructor(
    config: RateLimitConfig,
    private readonly shared: RateLimiter,
    private readonly node: RateLimiter,
    private readonly metrics: Metrics,
  ) {
    this.rules = {
      requests: config.rateRequests,
      messages: config.rateMessages,
      typing: config.rateTyping,
      receipts: config.rateReceipts,
      auth_ip: config.rateAuthIp,
      register_ip: config.rateRegisterIp,
      connect_ip: config.rateConnectIp,
      search: config.rateSearch,
      uploads: config.rateUploads,
      link_previews: config.rateLinkPreviews,
    };
    this.lockout =
      config.loginLockoutThreshold > 0
        ? {
            threshold: config.loginLockoutThreshold,
            baseMs: config.loginLockoutMs,
            maxMs: Math.max(config.loginLockoutMs, config.loginLockoutMaxMs),
            memoryMs: LOGIN_FAILURE_MEMORY_MS,
          }
        : null;
  }

  /**
   * One request of an authenticated user on any transport: draws from `requests` and from the operation's own
   * bucket. Synchronous (returns undefined) with an in-process node limiter; throws `rate_limited`.
   */
  request(userId: string, op: string): void | Promise<void> {
    const own = OP_LIMITS[op as OpName | "uploads"];
    const general = this.check(this.node, "requests", userId);
    if (!own) return general;
    if (general) return general.then(() => this.check(this.node, own, userId));
    return this.check(this.node, own, userId);
  }

  /** A WebSocket upgrade from `ip`; the transport answers a refusal with HTTP 429 before upgrading. */
  connect(ip: string): RateDecision | Promise<RateDecision> {
    const rule = this.rules.connect_ip;
    if (!rule) return { ok: true, retryAfterMs: 0 };
    const decision = this.node.take(`connect_ip:${ip}`, rule);
    if (decision instanceof Promise) return decision.then((d) => this.count("connect_ip", d));
    return this.count("connect_ip", decision);
  }

  /** An unauthenticated `auth.*` request from `ip`; registrations draw from their own bucket too. */
  async auth(op: string, ip: string): Promise<void> {
    await this.check(this.shared, "auth_ip", ip);
    if (op === "auth.register") await this.check(this.shared, "register_ip", ip);
  }

  async attempt<T>(username: string, verify: () => Promise<T | undefined>): Promise<T | undefined> {
    if (!this.lockout) return verify();
    const key = loginKey(username);
    if (this.verifying.has(key)) throw this.refusal("login", CONCURRENT_LOGIN_RETRY_MS);
    this.verifying.add(key);
    try {
      const locked = await this.shared.lockedFor(key);
      if (locked > 0) throw this.refusal("login", locked);
      const result = await verify();
      if (result === undefined) await this.shared.fail(key, this.lockout);
      else await this.shared.reset(key);
      return result;
    } finally {
      this.verifying.delete(key);
    }
  }

  private check(limiter: RateLimiter, name: BucketName, key: string): undefined | Promise<void> {
    const rule = this.rules[name];
    if (!rule) return undefined;
    const decision = limiter.take(`${name}:${key}`, rule);
    if (decision instanceof Promise) return decision.then((d) => this.enforce(name, d));
    this.enforce(name, decision);
    return undefined;
  }

  private enforce(name: LimitName, decision: RateDecision): void {
    if (!decision.ok) throw this.refusal(name, decision.retryAfterMs);
  }

  private count(name: LimitName, decision: RateDecision): RateDecision {
    if (!decision.ok) this.metrics.rateLimited.labels(name).inc();
    return decision;
  }

  private refusal(name: LimitName, retryAfterMs: number): AppError {
    this.metrics.rateLimited.labels(name).inc();
    const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
    return new AppError(
      "rate_limited",
      `Too many ${WHAT[name]}; retry in ${seconds} s`,
      { limit: name },
      Math.max(1, Math.ceil(retryAfterMs)),
    );
  }
}

function loginKey(username: string): string {
  return `login:${username.toLowerCase()}`;
}
