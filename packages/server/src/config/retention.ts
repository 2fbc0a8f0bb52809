// Retention: the server's maximum message age until an administrator sets one, and how often each node sweeps.

import { RETENTION_MAX_SECONDS, RETENTION_MIN_SECONDS } from "@parley/protocol";
import { type ConfigVars, int } from "./parse.js";

export interface RetentionConfig {
  /** Entries older than this many seconds are deleted (null: kept forever) until `admin.settings.update` sets one. */
  maxMessageAgeDefault: number | null;
  /** How often each node deletes expired entries (ms; 0 = never). */
  retentionSweepIntervalMs: number;
}

export const RETENTION_VARS: ConfigVars<RetentionConfig> = {
  maxMessageAgeDefault: {
    env: "PARLEY_MAX_MESSAGE_AGE",
    default: null,
    description:
      "Messages older than this many seconds (3600 and up) are deleted with their files, until an administrator sets the maximum in the app; unset keeps them forever.",
    parse: int(RETENTION_MIN_SECONDS, RETENTION_MAX_SECONDS),
  },
  retentionSweepIntervalMs: {
    env: "PARLEY_RETENTION_SWEEP_INTERVAL_MS",
    default: 60_000,
    description:
      "How often each node deletes messages past their retention or disappearing timer, and announces end-to-end encryption devices whose session expired (`0` = never).",
    parse: int(0, 86_400_000),
  },
};
