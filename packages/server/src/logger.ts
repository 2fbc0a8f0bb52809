// Structured JSON logging (pino); message bodies, passwords and tokens are never logged.

import { type DestinationStream, type Logger, pino } from "pino";
import type { Config } from "./config/index.js";

export type { DestinationStream, Logger };

/**
 * Secrets and content are removed wherever they would appear, as a second line of defence: the code logs ids,
 * operation names, codes and timings, never arguments or frames.
 */
const REDACT = [
  "password",
  "token",
  "refreshToken",
  "accessToken",
  "body",
  "args",
  "frame",
  "*.password",
  "*.token",
  "*.refreshToken",
  "*.accessToken",
  "*.body",
  "*.args",
  "req.headers.authorization",
  "req.headers.cookie",
  'req.headers["sec-websocket-protocol"]',
];

export function createLogger(config: Pick<Config, "logLevel">, destination?: DestinationStream): Logger {
  const options = { level: config.logLevel, base: { service: "parley" }, redact: { paths: REDACT, remove: true } };
  return destination ? pino(options, destination) : pino(options);
}
