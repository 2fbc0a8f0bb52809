// The push provider port: hands one notification to one device's push service and says what became of it.
//
// Contract for adapters (Web Push built in; APNs or FCM adapters implement the same, see docs/architecture.md):
// - `deliver` never throws for a delivery problem: it maps the push service's answer to an outcome. It may throw only
//   for a programming error (a target of another `kind`).
// - `delivered`: the push service accepted the notification (2xx).
// - `gone`: the subscription or device token no longer exists (Web Push 404/410, APNs 410 Unregistered, FCM
//   UNREGISTERED): the caller deletes it and never retries.
// - `retry`: a transient failure (429, 5xx, timeout, connection error); `afterMs` carries the service's Retry-After.
//   The caller retries with exponential backoff and jitter, a bounded number of times.
// - `failed`: a permanent failure for this notification (400, 401/403 bad credentials, 413 too large): not retried,
//   the subscription is kept and its failure counted.
// - It honours `ttlSeconds` (how long the service keeps an undelivered notification), `urgency` and `topic`
//   (a notification with the same topic replaces an undelivered older one; APNs: apns-collapse-id, FCM: collapse_key).
// - It bounds its own time (a request timeout) and never follows redirects to other hosts.

export interface PushTarget {
  /** Which provider serves the target ("webpush"); a deployment may run several providers side by side. */
  kind: string;
  endpoint: string;
  /** Web Push subscription keys (base64url): the device's P-256 public key and 16-byte auth secret. */
  keys: { p256dh: string; auth: string };
}

export interface PushOptions {
  ttlSeconds: number;
  urgency: "very-low" | "low" | "normal" | "high";
  /** Replaces an undelivered notification with the same topic (≤ 32 base64url characters). */
  topic?: string;
}

export type PushOutcome =
  | { status: "delivered" }
  | { status: "gone"; reason: string }
  | { status: "retry"; reason: string; afterMs?: number }
  | { status: "failed"; reason: string };

export interface PushProvider {
  /** The target kind this provider delivers ("webpush"). */
  readonly kind: string;
  /** `payload` is the notification's JSON; the provider encrypts or wraps it as its service requires. */
  deliver(target: PushTarget, payload: string, options: PushOptions): Promise<PushOutcome>;
}
