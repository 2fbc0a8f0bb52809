// Push notifications (services/push/): on or off, the VAPID identity and how deliveries are coalesced and retried.

import { base64Url, bool, bothOrNeither, type ConfigVars, int, matching } from "./parse.js";

export interface PushConfig {
  /** Push notifications (services/push/): off sends none and refuses subscriptions. */
  pushEnabled: boolean;
  /** VAPID key pair (base64url); generated on first start into the data directory (or the shared store) when unset. */
  vapidPublicKey: string | undefined;
  vapidPrivateKey: string | undefined;
  /** Contact for push services (`mailto:` or `https:` URL), sent in the VAPID token. */
  vapidSubject: string;
  /** Messages for one user in one conversation within this window become one notification with a count. */
  pushCoalesceMs: number;
  /** Time a push notification may wait in the push service for an offline device. */
  pushTtlSeconds: number;
  /** Delivery attempts per notification and subscription (429, 5xx, network errors retry with backoff). */
  pushMaxAttempts: number;
  /** First retry delay; doubled per attempt, with jitter. */
  pushRetryBaseMs: number;
  /** Allow http:// endpoints and private, loopback and link-local addresses (development and tests only). */
  pushAllowPrivateEndpoints: boolean;
}

export const PUSH_VARS: ConfigVars<PushConfig> = {
  pushEnabled: {
    env: "PARLEY_PUSH",
    default: true,
    description: "Send push notifications to users with no online device (Web Push); `false` refuses subscriptions.",
    parse: bool,
  },
  vapidPublicKey: {
    env: "PARLEY_VAPID_PUBLIC_KEY",
    default: undefined,
    description:
      "Web Push VAPID public key (base64url, with `PARLEY_VAPID_PRIVATE_KEY`); unset: generated on first start into the data directory, or the shared store in cluster mode.",
    parse: base64Url,
  },
  vapidPrivateKey: {
    env: "PARLEY_VAPID_PRIVATE_KEY",
    default: undefined,
    description: "Web Push VAPID private key (base64url) for `PARLEY_VAPID_PUBLIC_KEY`.",
    parse: base64Url,
  },
  vapidSubject: {
    env: "PARLEY_VAPID_SUBJECT",
    default: "mailto:admin@parley.invalid",
    description: "Contact for push services in the VAPID token: a `mailto:` address or `https:` URL of the operator.",
    parse: matching(/^(mailto:[^\s@]+@[^\s@]+|https:\/\/\S+)$/, "expected a mailto: address or an https: URL"),
  },
  pushCoalesceMs: {
    env: "PARLEY_PUSH_COALESCE_MS",
    default: 3000,
    description: "Messages to one user in one conversation within this window become one notification with a count.",
    parse: int(0, 600_000),
  },
  pushTtlSeconds: {
    env: "PARLEY_PUSH_TTL",
    default: 86_400,
    description: "How long (seconds) a push service keeps a notification for a device that is off.",
    parse: int(0, 2_419_200),
  },
  pushMaxAttempts: {
    env: "PARLEY_PUSH_MAX_ATTEMPTS",
    default: 5,
    description: "Delivery attempts per notification and device; 429, 5xx and network errors are retried with backoff.",
    parse: int(1, 20),
  },
  pushRetryBaseMs: {
    env: "PARLEY_PUSH_RETRY_BASE_MS",
    default: 1000,
    description: "First push retry delay in ms, doubled per attempt with ±50% jitter (a `Retry-After` wins).",
    parse: int(1, 600_000),
  },
  pushAllowPrivateEndpoints: {
    env: "PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS",
    default: false,
    description:
      "Accept http:// push endpoints and private, loopback or link-local addresses (development and tests only; never in production).",
    parse: bool,
  },
};

/** A VAPID key pair is given whole or generated whole. */
export function checkPush(config: PushConfig): void {
  bothOrNeither([config.vapidPublicKey, "PARLEY_VAPID_PUBLIC_KEY"], [config.vapidPrivateKey, "PARLEY_VAPID_PRIVATE_KEY"]);
}
