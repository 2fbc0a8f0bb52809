// `main.js backup <dir>` and `main.js restore <dir>`: the embedded mode's backup, taken while the server serves, and
// its restore into a fresh data directory (the server stopped). Same environment as the server (PARLEY_DATA_DIR and
// the encryption-at-rest key settings); PostgreSQL deployments use the procedure in docs/operations.md instead.
//
// A backup directory holds parley.db (one committed state of the database, encrypted with the same key as the data
// directory when encryption at rest is on), media/ (uploaded files, sealed files staying sealed), jwt-secret and
// vapid-keys.json when present, and parley-backup.json describing it. The database is copied first and the files
// after it: a file written in between is an extra the media sweep removes once unreferenced; a file deleted in
// between was one no upload referenced any more, so the copy never misses a file its database refers to.

import { constants, copyFileSync, type Dirent, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type AtRestKey, loadKey } from "../adapters/at-rest/at-rest-key.js";
import { DATABASE_FILE, MEDIA_DIR } from "../adapters/at-rest/data-dir-encryption.js";
import { prepareDataDir } from "../adapters/local/data-dir.js";
import { openDatabase } from "../adapters/sqlite/open-database.js";
import { backupDatabase } from "../adapters/sqlite/sqlite-backup.js";
import { VAPID_FILE } from "../adapters/webpush/vapid-keys.js";
import { ConfigError, loadConfig } from "../config/index.js";
import type { CommandOutput } from "./encryption-command.js";

export const MANIFEST_FILE = "parley-backup.json";
/** Secrets kept beside the database: access tokens stay valid and push subscriptions stay bound after a restore. */
const SECRET_FILES = ["jwt-secret", VAPID_FILE];
/** Uploads in progress; not part of a backup. */
const MEDIA_TMP = join(MEDIA_DIR, "tmp");

const USAGE = `Usage: parley-server backup <dir>    copy the embedded data directory to <dir> (new or empty) while serving
       parley-server restore <dir>   put the backup in <dir> into PARLEY_DATA_DIR (a new or empty directory)

Both use the server's configuration (PARLEY_DATA_DIR and the encryption-at-rest key settings). A backup of an
encrypted data directory stays encrypted with the same key: keep the key apart from the backup.
PostgreSQL deployments: see docs/operations.md, "Backups".`;

export interface BackupManifest {
  format: 1;
  createdAt: string;
  schemaVersion: number;
  /** Label (fingerprint) of the at-rest key the copy is encrypted with; null when not encrypted. */
  encryptionKey: string | null;
  rows: Record<string, number>;
  files: number;
}

/** Copies the data directory `dataDir` into `target` (created; must be empty) while a server may be using it. */
export function backupDataDir(dataDir: string, target: string, key: AtRestKey | undefined): BackupManifest {
  requireEmpty(target, "the backup directory");
  const source = join(dataDir, DATABASE_FILE);
  if (!existsSync(source)) throw new ConfigError("PARLEY_DATA_DIR", `${dataDir} holds no ${DATABASE_FILE} to back up`);
  mkdirSync(target, { recursive: true, mode: 0o700 });
  const { schemaVersion, rows } = backupDatabase(source, join(target, DATABASE_FILE), key?.sqliteKey);
  const files = copyTree(join(dataDir, MEDIA_DIR), join(target, MEDIA_DIR), new Set([join(dataDir, MEDIA_TMP)]));
  for (const name of SECRET_FILES) {
    if (existsSync(join(dataDir, name))) copyFileSync(join(dataDir, name), join(target, name));
  }
  const manifest: BackupManifest = {
    format: 1,
    createdAt: new Date().toISOString(),
    schemaVersion,
    encryptionKey: key?.label ?? null,
    rows,
    files,
  };
  writeFileSync(join(target, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
  return manifest;
}

/** Puts the backup in `source` into the new or empty data directory `dataDir`; checks first that `key` opens it. */
export function restoreDataDir(source: string, dataDir: string, key: AtRestKey | undefined): BackupManifest {
  const manifestPath = join(source, MANIFEST_FILE);
  if (!existsSync(manifestPath)) throw new ConfigError("restore", `${source} is not a Parley backup (no ${MANIFEST_FILE})`);
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as BackupManifest;
  if (manifest.format !== 1) throw new ConfigError("restore", `${source} has backup format ${String(manifest.format)}, not 1`);
  // Fails with the store's own message when the key setting does not fit the copy (missing, extra or wrong key).
  openDatabase(join(source, DATABASE_FILE), key?.sqliteKey, { fileMustExist: true, readonly: true }).close();
  requireEmpty(dataDir, "PARLEY_DATA_DIR");
  prepareDataDir(dataDir);
  copyFileSync(join(source, DATABASE_FILE), join(dataDir, DATABASE_FILE));
  copyTree(join(source, MEDIA_DIR), join(dataDir, MEDIA_DIR), new Set());
  for (const name of SECRET_FILES) {
    if (existsSync(join(source, name))) copyFileSync(join(source, name), join(dataDir, name));
  }
  return manifest;
}

/**
 * Copies the files under `from` to `to` except the paths in `skip`; returns how many. A file or directory that
 * disappears during the copy (the media sweep deleting an unreferenced file) is left out rather than failing it.
 */
function copyTree(from: string, to: string, skip: ReadonlySet<string>): number {
  let entries: Dirent[];
  try {
    entries = readdirSync(from, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw error;
  }
  mkdirSync(to, { recursive: true, mode: 0o700 });
  let files = 0;
  for (const entry of entries) {
    const path = join(from, entry.name);
    if (skip.has(path)) continue;
    if (entry.isDirectory()) {
      files += copyTree(path, join(to, entry.name), skip);
      continue;
    }
    try {
      copyFileSync(path, join(to, entry.name), constants.COPYFILE_EXCL);
      files += 1;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  return files;
}

function requireEmpty(dir: string, what: string): void {
  if (existsSync(dir) && readdirSync(dir).length > 0) {
    throw new ConfigError(what, `${dir} is not empty: give a new or empty directory`);
  }
}

/** Runs `backup <dir>` or `restore <dir>`; resolves to the exit code (0 done, 1 failed, 2 bad usage or configuration). */
export async function runBackupCommand(
  command: "backup" | "restore",
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  output: CommandOutput,
): Promise<number> {
  if (args.length !== 1 || !args[0]) {
    output.err(USAGE);
    return 2;
  }
  try {
    const config = loadConfig(env);
    if (config.databaseUrl !== undefined) {
      throw new ConfigError("PARLEY_DATABASE_URL", "backup and restore are for the embedded mode; see docs/operations.md");
    }
    const dataDir = resolve(config.dataDir);
    const dir = resolve(args[0]);
    const key = loadKey({ key: config.encryptionKey, keyFile: config.encryptionKeyFile });
    if (command === "backup") {
      const manifest = backupDataDir(dataDir, dir, key);
      output.out(`backed up ${dataDir} to ${dir}: ${summary(manifest)}`);
    } else {
      const manifest = restoreDataDir(dir, dataDir, key);
      output.out(`restored ${dir} (taken ${manifest.createdAt}) into ${dataDir}: ${summary(manifest)}; start the server on it`);
    }
    return 0;
  } catch (error) {
    if (error instanceof ConfigError) {
      output.err(`${command}: ${error.message}`);
      return 2;
    }
    output.err(`${command} failed: ${(error as Error).message}`);
    return 1;
  }
}

function summary(manifest: BackupManifest): string {
  const messages = manifest.rows["messages"] ?? 0;
  const encrypted = manifest.encryptionKey ? `, encrypted with key ${manifest.encryptionKey}` : "";
  return `schema ${manifest.schemaVersion}, ${messages} messages, ${manifest.files} media files${encrypted}`;
}
