// Structured JSON logging (pino); message bodies, passwords and tokens are never logged.

import { type Logger, pino } from "pino";
import type { Config } from "./config.js";

export type { Logger };

export function createLogger(config: Pick<Config, "logLevel">): Logger {
  return pino({
    level: config.logLevel,
    base: { service: "parley" },
    redact: { paths: ["req.headers.authorization", "password", "token", "refreshToken", "accessToken", "body"], remove: true },
  });
}
