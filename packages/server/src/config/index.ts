// Reads and validates configuration from environment variables; a bad value stops start-up naming the variable.
// Each group of settings lives in its own module (its fields, variables, defaults and checks); this one joins them.

import { AUTH_VARS, type AuthConfig } from "./auth.js";
import { checkHttp, HTTP_VARS, type HttpConfig } from "./http.js";
import { LIMIT_VARS, type LimitsConfig } from "./limits.js";
import { LINK_PREVIEW_VARS, type LinkPreviewConfig } from "./link-previews.js";
import { LIVE_VARS, type LiveConfig } from "./live.js";
import { MEDIA_VARS, type MediaConfig } from "./media.js";
import { NODE_VARS, type NodeConfig } from "./node.js";
import type { ConfigVars, VarSpec } from "./parse.js";
import { checkPush, PUSH_VARS, type PushConfig } from "./push.js";
import { RATE_VARS, type RateConfig } from "./rates.js";
import { RETENTION_VARS, type RetentionConfig } from "./retention.js";
import { SCANNING_VARS, type ScanningConfig } from "./scanning.js";
import { checkSso, SSO_VARS, type SsoConfig } from "./sso.js";
import { STORAGE_VARS, type StorageConfig } from "./storage.js";
import { TRACING_VARS, type TracingConfig } from "./tracing.js";

export { DEFAULT_CSP } from "./http.js";
export { ConfigError } from "./parse.js";

export interface Config
  extends NodeConfig,
    AuthConfig,
    LimitsConfig,
    LiveConfig,
    HttpConfig,
    RateConfig,
    StorageConfig,
    PushConfig,
    MediaConfig,
    ScanningConfig,
    SsoConfig,
    TracingConfig,
    RetentionConfig,
    LinkPreviewConfig {}

/** Every variable, its default and meaning; the README's configuration table documents each (test/docs.test.ts). */
export const CONFIG_VARS: ConfigVars<Config> = {
  ...NODE_VARS,
  ...AUTH_VARS,
  ...LIMIT_VARS,
  ...LIVE_VARS,
  ...HTTP_VARS,
  ...RATE_VARS,
  ...STORAGE_VARS,
  ...PUSH_VARS,
  ...MEDIA_VARS,
  ...SCANNING_VARS,
  ...SSO_VARS,
  ...TRACING_VARS,
  ...RETENTION_VARS,
  ...LINK_PREVIEW_VARS,
};

/** The rules between settings, checked once every variable has been read and the overrides applied. */
const CHECKS: readonly ((config: Config) => void)[] = [checkHttp, checkPush, checkSso];

/** Builds the configuration from `env`, then applies `overrides` (used by tests and embedders). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const config = {} as Record<string, unknown>;
  for (const [key, spec] of Object.entries(CONFIG_VARS) as [keyof Config, VarSpec<unknown>][]) {
    const raw = env[spec.env];
    config[key] = raw === undefined || raw === "" ? spec.default : spec.parse(raw, spec.env);
  }
  const result = { ...(config as unknown as Config), ...overrides };
  for (const check of CHECKS) check(result);
  return result;
}
