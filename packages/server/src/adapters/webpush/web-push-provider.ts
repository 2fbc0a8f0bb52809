// Web Push (RFC 8030) with VAPID (RFC 8292) and aes128gcm payload encryption (RFC 8291): the built-in PushProvider.

import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import webpush from "web-push";
import { PRIVATE_ADDRESS_CODE, publicOnlyLookup } from "../../domain/public-lookup.js";
import { endpointProblem } from "../../domain/push-endpoint.js";
import type { PushOptions, PushOutcome, PushProvider, PushTarget } from "../../ports/push-provider.js";
import type { VapidKeys } from "../../ports/push-store.js";

export interface WebPushOptions {
  vapid: VapidKeys;
  /** `mailto:` or `https:` contact of the operator, carried in the VAPID token. */
  subject: string;
  /** Allow http:// and private addresses (tests, development). */
  allowPrivate: boolean;
  /** Per request, connect to answer (default 10 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** Push services answer with a few bytes; more is not read. */
const MAX_ANSWER_BYTES = 4096;

/**
 * web-push builds the request (VAPID JWT, encryption, headers); the request is sent here with node:http(s) so that
 * the resolved address can be checked against the private ranges before connecting (DNS rebinding), and so that a
 * loopback http endpoint works in tests when allowed.
 */
export class WebPushProvider implements PushProvider {
  readonly kind = "webpush";

  constructor(private readonly options: WebPushOptions) {}

  get publicKey(): string {
    return this.options.vapid.publicKey;
  }

  async deliver(target: PushTarget, payload: string, options: PushOptions): Promise<PushOutcome> {
    if (target.kind !== this.kind) throw new Error(`WebPushProvider cannot deliver to a ${target.kind} target`);
    const problem = endpointProblem(target.endpoint, this.options.allowPrivate);
    if (problem) return { status: "failed", reason: problem };
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      details = webpush.generateRequestDetails({ endpoint: target.endpoint, keys: target.keys }, payload, {
        vapidDetails: { subject: this.options.subject, ...this.options.vapid },
        TTL: options.ttlSeconds,
        urgency: options.urgency,
        ...(options.topic ? { topic: options.topic } : {}),
        contentEncoding: "aes128gcm",
      });
    } catch (error) {
      return { status: "failed", reason: `cannot build the request: ${(error as Error).message}` };
    }
    let answer: { status: number; retryAfter: string | undefined; body: string };
    try {
      answer = await this.send(details);
    } catch (error) {
      const e = error as NodeJS.ErrnoException;
      if (e.code === PRIVATE_ADDRESS_CODE) return { status: "failed", reason: e.message };
      return { status: "retry", reason: `network: ${e.code ?? e.message}` };
    }
    const { status } = answer;
    if (status >= 200 && status < 300) return { status: "delivered" };
    if (status === 404 || status === 410) return { status: "gone", reason: `push service answered ${status}` };
    if (status === 429 || status >= 500) {
      const afterMs = retryAfterMs(answer.retryAfter);
      return { status: "retry", reason: `push service answered ${status}`, ...(afterMs === undefined ? {} : { afterMs }) };
    }
    return { status: "failed", reason: `push service answered ${status}: ${answer.body.slice(0, 200)}` };
  }

  private send(details: {
    endpoint: string;
    method: string;
    headers: Record<string, string | number>;
    body: Buffer | null;
  }): Promise<{ status: number; retryAfter: string | undefined; body: string }> {
    const url = new URL(details.endpoint);
    const lookup = publicOnlyLookup(this.options.allowPrivate);
    const request = url.protocol === "http:" ? httpRequest : httpsRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        url,
        {
          method: details.method,
          headers: details.headers,
          timeout: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
          lookup: lookup as never,
        },
        (res: IncomingMessage) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            if (body.length < MAX_ANSWER_BYTES) body += chunk;
          });
          res.on("end", () => {
            const retryAfter = res.headers["retry-after"];
            resolve({ status: res.statusCode ?? 0, retryAfter: Array.isArray(retryAfter) ? retryAfter[0] : retryAfter, body });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(Object.assign(new Error("push request timed out"), { code: "ETIMEDOUT" })));
      req.on("error", reject);
      req.end(details.body ?? undefined);
    });
  }
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A fresh VAPID key pair (base64url). */
export function generateVapidKeys(): VapidKeys {
  return webpush.generateVAPIDKeys();
}
