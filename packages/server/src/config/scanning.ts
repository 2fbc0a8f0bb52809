// Upload scanning: clamd's address, what an upload without a verdict becomes, and how long a scan may take.

import type { ClamdAddress } from "../adapters/clamav/clamd-scanner.js";
import { ConfigError, type ConfigVars, int, oneOf } from "./parse.js";

export interface ScanningConfig {
  /** Media: clamd's socket; when set, every upload is scanned before it is stored (undefined: no scanning). */
  clamdAddress: ClamdAddress | undefined;
  /** Media: what happens to an upload when the scanner gives no verdict: refused, or accepted and marked unscanned. */
  scanOnFailure: "refuse" | "flag";
  /** Media: a scan (or a readiness ping) that takes longer counts as the scanner being unreachable. */
  scanTimeoutMs: number;
}

export const SCANNING_VARS: ConfigVars<ScanningConfig> = {
  clamdAddress: {
    env: "PARLEY_CLAMD_ADDRESS",
    default: undefined,
    description:
      "Scan every upload with ClamAV before it is stored: clamd's Unix socket (an absolute path, e.g. `/run/clamav/clamd.ctl`) or TCP address (`host:port`). Unset: uploads are not scanned.",
    parse: clamdAddress,
  },
  scanOnFailure: {
    env: "PARLEY_SCAN_ON_FAILURE",
    default: "refuse",
    description:
      "When clamd gives no verdict (unreachable, timed out, the file over its `StreamMaxLength`): `refuse` the upload (`unavailable`, or `upload_too_large` for the size), or `flag`: accept it marked `unscanned`.",
    parse: oneOf(["refuse", "flag"], { caseInsensitive: true }),
  },
  scanTimeoutMs: {
    env: "PARLEY_SCAN_TIMEOUT_MS",
    default: 60_000,
    description: "Longest time one scan may take (connect, stream the file, verdict); longer counts as clamd unreachable.",
    parse: int(100, 3_600_000),
  },
};

/** `/absolute/path` (or `unix:/path`) for a Unix socket, `host:port` (or `tcp://host:port`) for TCP. */
function clamdAddress(raw: string, env: string): ClamdAddress {
  const v = raw.trim().replace(/^unix:/, "");
  if (v.startsWith("/")) return { path: v };
  const match = /^(?:tcp:\/\/)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(v);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535) {
    throw new ConfigError(env, `expected an absolute socket path or host:port, got "${raw}"`);
  }
  return { host: match[1]!.replace(/^\[(.*)\]$/, "$1"), port };
}
