// The data directory: created private (0700) whatever the process umask, and an existing one that others can enter is
// tightened, because it holds the database, its WAL, uploaded files and generated secrets.

import { chmodSync, mkdirSync, statSync } from "node:fs";

/** Owner only: read, write, enter. */
export const DATA_DIR_MODE = 0o700;

/** What `prepareDataDir` found and did, for the start-up log. */
export type DataDirOutcome =
  | { kind: "private" }
  | { kind: "tightened"; from: number }
  | { kind: "open"; mode: number; reason: string };

/**
 * Creates `dir` (and missing parents) with mode 0700; a directory that already exists with group or other bits is
 * changed to 0700. When that is not allowed (another owner, a read-only mount) start-up goes on and the caller warns:
 * refusing to start would break deployments whose volume permissions the operator set on purpose.
 */
export function prepareDataDir(dir: string): DataDirOutcome {
  // `mode` of mkdirSync is masked by the umask, which can only remove bits from 0700: the result is 0700 or tighter.
  mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  const mode = statSync(dir).mode & 0o777;
  if ((mode & 0o077) === 0) return { kind: "private" };
  try {
    chmodSync(dir, DATA_DIR_MODE);
    return { kind: "tightened", from: mode };
  } catch (error) {
    return { kind: "open", mode, reason: (error as Error).message };
  }
}
