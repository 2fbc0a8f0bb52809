// The node itself: where it listens, where it keeps its data, what it logs and how it is observed.

import { bool, type ConfigVars, int, nonEmpty, oneOf, secret } from "./parse.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

export interface NodeConfig {
  host: string;
  port: number;
  dataDir: string;
  logLevel: (typeof LOG_LEVELS)[number];
  metricsEnabled: boolean;
  /** When set, `/metrics` requires `Authorization: Bearer <token>`. */
  metricsToken: string | undefined;
}

export const NODE_VARS: ConfigVars<NodeConfig> = {
  host: { env: "PARLEY_HOST", default: "0.0.0.0", description: "Address to listen on.", parse: nonEmpty },
  port: { env: "PARLEY_PORT", default: 8080, description: "HTTP and WebSocket port (0 picks a free one).", parse: int(0, 65535) },
  dataDir: {
    env: "PARLEY_DATA_DIR",
    default: "./data",
    description:
      "Directory for the SQLite database, generated secrets (token secret, VAPID keys) and uploaded files (`media/`, unless `PARLEY_S3_BUCKET` is set).",
    parse: nonEmpty,
  },
  logLevel: {
    env: "PARLEY_LOG_LEVEL",
    default: "info",
    description: "fatal, error, warn, info, debug, trace or silent.",
    parse: oneOf(LOG_LEVELS),
  },
  metricsEnabled: {
    env: "PARLEY_METRICS",
    default: true,
    description: "Serve Prometheus metrics at `/metrics`.",
    parse: bool,
  },
  metricsToken: {
    env: "PARLEY_METRICS_TOKEN",
    default: undefined,
    description: "When set, `/metrics` requires `Authorization: Bearer <token>`.",
    parse: secret(16),
  },
};
