// Rate limits: one token-bucket rule per budget, `null` = off (services/rate-limits.ts says which requests draw from
// which).

import type { RateRule } from "../ports/rate-limiter.js";
import { type ConfigVars, rate } from "./parse.js";

export interface RateConfig {
  /** Every request of a user, on every transport. */
  rateRequests: RateRule | null;
  rateMessages: RateRule | null;
  rateTyping: RateRule | null;
  rateReceipts: RateRule | null;
  rateAuthIp: RateRule | null;
  rateRegisterIp: RateRule | null;
  rateConnectIp: RateRule | null;
  /** `POST /v1/uploads` and `uploads.complete` per user, on top of `rateRequests`. */
  rateUploads: RateRule | null;
  /** `messages.search` per user, on top of `rateRequests`: a search costs far more than other reads. */
  rateSearch: RateRule | null;
  /** `links.preview` per user, on top of `rateRequests`: a preview may fetch a web page and an image. */
  rateLinkPreviews: RateRule | null;
}

export const RATE_VARS: ConfigVars<RateConfig> = {
  rateLinkPreviews: {
    env: "PARLEY_RATE_LINK_PREVIEWS",
    default: { capacity: 30, windowMs: 60_000 },
    description: "`links.preview` per user (cached answers count too).",
    parse: rate,
  },
  rateRequests: {
    env: "PARLEY_RATE_REQUESTS",
    default: { capacity: 300, windowMs: 10_000 },
    description: "Requests per user, every operation on every transport (`<count>/<window>` or `off`).",
    parse: rate,
  },
  rateMessages: {
    env: "PARLEY_RATE_MESSAGES",
    default: { capacity: 200, windowMs: 20_000 },
    description: "`messages.send` per user.",
    parse: rate,
  },
  rateTyping: {
    env: "PARLEY_RATE_TYPING",
    default: { capacity: 30, windowMs: 10_000 },
    description: "`typing` per user.",
    parse: rate,
  },
  rateReceipts: {
    env: "PARLEY_RATE_RECEIPTS",
    default: { capacity: 300, windowMs: 10_000 },
    description: "`receipts.mark` per user.",
    parse: rate,
  },
  rateAuthIp: {
    env: "PARLEY_RATE_AUTH_IP",
    default: { capacity: 30, windowMs: 60_000 },
    description: "`auth.login`, `auth.register` and `auth.refresh` per client address.",
    parse: rate,
  },
  rateRegisterIp: {
    env: "PARLEY_RATE_REGISTER_IP",
    default: { capacity: 20, windowMs: 3_600_000 },
    description: "`auth.register` per client address.",
    parse: rate,
  },
  rateConnectIp: {
    env: "PARLEY_RATE_CONNECT_IP",
    default: { capacity: 120, windowMs: 60_000 },
    description: "WebSocket connections and long-poll sessions opened per client address.",
    parse: rate,
  },
  rateUploads: {
    env: "PARLEY_RATE_UPLOADS",
    default: { capacity: 30, windowMs: 60_000 },
    description: "`POST /v1/uploads`, `uploads.complete` and `POST /v1/me/avatar` per user (each also counts as a request).",
    parse: rate,
  },
  rateSearch: {
    env: "PARLEY_RATE_SEARCH",
    default: { capacity: 30, windowMs: 10_000 },
    description: "`messages.search` and `users.search` per user (each search also counts as a request).",
    parse: rate,
  },
};
