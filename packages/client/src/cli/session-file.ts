// The saved CLI session: server URL and credentials in $PARLEY_HOME/credentials.json, readable by the owner only.

import { chmodSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import type { Credentials } from "../auth.js";

export interface SavedSession {
  server: string;
  credentials: Credentials;
}

export function parleyHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.PARLEY_HOME || join(homedir(), ".parley");
}

export function sessionPath(home: string): string {
  return join(home, "credentials.json");
}

export function loadSession(home: string): SavedSession | undefined {
  let text: string;
  try {
    text = readFileSync(sessionPath(home), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const data = JSON.parse(text) as Partial<SavedSession>;
  if (typeof data.server !== "string" || typeof data.credentials?.refreshToken !== "string") return undefined;
  return data as SavedSession;
}

/**
 * Writes synchronously: refreshed tokens arrive in event handlers, possibly just before the process exits, and a
 * rotated refresh token that is not saved locks the user out. The temp file is created 0600 before any secret is in
 * it, then renamed over the old file so a crash never leaves half a file.
 */
export function saveSession(home: string, session: SavedSession): void {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const path = sessionPath(home);
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(session, null, 2)}\n`, { mode: 0o600 });
  chmodSync(temp, 0o600); // the mode option is ignored when the file already existed
  renameSync(temp, path);
}

export function deleteSession(home: string): void {
  rmSync(sessionPath(home), { force: true });
}
