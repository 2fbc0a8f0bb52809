// Offline operations on an embedded data directory (the server stopped): encrypt a plaintext one (migrate) and move an
// encrypted one to a new key (rotate). Both are resumable: every file is replaced by an atomic rename only once its
// new version is complete and synced, and a marker file keeps the server from starting on a half-done directory.

import { randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { rename, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import Database from "better-sqlite3-multiple-ciphers";
import { syncDir } from "../local/local-blob-store.js";
import { applyKey, fileState, openDatabase, SQLITE_CIPHER } from "../sqlite/open-database.js";
import { AtRestError, type AtRestKey } from "./at-rest-key.js";
import { rewrapFile, sealFile, sealState } from "./sealed-blob.js";

export const DATABASE_FILE = "parley.db";
export const MEDIA_DIR = "media";
/** Present while a migrate or rotate runs; left behind when one is interrupted. */
const MARKER_FILE = "encryption-in-progress";
/** How the admin command is run; named in the messages that tell the operator what to do. */
export const COMMAND = "node packages/server/dist/main.js encryption";

export interface EncryptionReport {
  /** What happened to the database: encrypted or re-keyed now, already done (a resumed run), or there is none. */
  database: "encrypted" | "rekeyed" | "already" | "none";
  /** Blobs encrypted (migrate), re-wrapped for the new key (rotate), and found already done. */
  sealed: number;
  rewrapped: number;
  unchanged: number;
}

/** Refuses to start on a directory whose migrate or rotate did not finish. */
export function checkNotInterrupted(dataDir: string): void {
  const marker = join(dataDir, MARKER_FILE);
  if (!existsSync(marker)) return;
  // Read with a pattern, not JSON.parse: a marker cut short by a crash must still give this message.
  const operation = /"operation":"(migrate|rotate)"/.exec(readFileSync(marker, "utf8"))?.[1] ?? "migrate` or `rotate";
  throw new AtRestError(
    `\`encryption ${operation}\` was interrupted in ${dataDir}: run \`${COMMAND} ${operation}\` again with the same keys to finish it`,
  );
}

/** Encrypts a plaintext data directory with `key`; an interrupted run is finished by running it again. */
export async function migrateDataDir(dataDir: string, key: AtRestKey): Promise<EncryptionReport> {
  const path = join(dataDir, DATABASE_FILE);
  const database = takeDatabase(path, undefined, key);
  return withMarker(dataDir, "migrate", async () => ({
    database: database === "todo" ? await rekeyDatabase(path, undefined, key) : database,
    ...(await convertBlobs(dataDir, undefined, key)),
  }));
}

/** Moves an encrypted data directory from `from` to `to`; an interrupted run is finished by running it again. */
export async function rotateDataDir(dataDir: string, from: AtRestKey, to: AtRestKey): Promise<EncryptionReport> {
  if (from.id.equals(to.id)) throw new AtRestError("the new key is the current key");
  const path = join(dataDir, DATABASE_FILE);
  const database = takeDatabase(path, from, to);
  return withMarker(dataDir, "rotate", async () => ({
    database: database === "todo" ? await rekeyDatabase(path, from, to) : database,
    ...(await convertBlobs(dataDir, from, to)),
  }));
}

async function withMarker(dataDir: string, operation: string, run: () => Promise<EncryptionReport>): Promise<EncryptionReport> {
  const marker = join(dataDir, MARKER_FILE);
  writeFileSync(marker, JSON.stringify({ operation, startedAt: new Date().toISOString() }), { mode: 0o600 });
  syncFile(marker);
  await syncDir(dataDir);
  const report = await run();
  rmSync(marker);
  await syncDir(dataDir);
  return report;
}

function syncFile(path: string): void {
  const fd = openSync(path, "r+");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks, before anything is changed, that the database at `path` can go from `from` (undefined: plaintext) to `to`
 * and that no server has it open; answers whether it still has to be re-keyed. Switching the database from WAL back
 * to a rollback journal is the test (it needs the only connection) and also folds the WAL into the file, so that the
 * file alone is the whole database; the server switches it back to WAL at its next start.
 */
function takeDatabase(path: string, from: AtRestKey | undefined, to: AtRestKey): "none" | "already" | "todo" {
  const state = fileState(path);
  if (state === "missing") {
    if (!existsSync(dirname(path))) throw new AtRestError(`no data directory at ${dirname(path)}`);
    return "none";
  }
  if (state === "plain" && from) throw new AtRestError(`${path} is not encrypted: use \`${COMMAND} migrate\``);
  const already = state === "encrypted" && opens(path, to.sqliteKey);
  if (state === "encrypted" && !already && !from) {
    throw new AtRestError(`${path} is already encrypted, with another key: use \`${COMMAND} rotate\``);
  }
  const db = openDatabase(path, already ? to.sqliteKey : from?.sqliteKey, { timeout: 0 });
  try {
    db.pragma("journal_mode = DELETE");
  } catch (error) {
    if ((error as { code?: string }).code === "SQLITE_BUSY") {
      throw new Error(`${path} is in use: stop the server before running \`${COMMAND}\``);
    }
    throw error;
  } finally {
    db.close();
  }
  return already ? "already" : "todo";
}

/**
 * Re-keys the database at `path` (taken by `takeDatabase`) from `from` (undefined: plaintext) to `to`, on a copy that
 * replaces the original only once it is re-keyed, synced and checked: a crash at any point leaves either the old file
 * or the new one.
 */
async function rekeyDatabase(path: string, from: AtRestKey | undefined, to: AtRestKey): Promise<"encrypted" | "rekeyed"> {
  const copy = `${path}.rekey`;
  for (const leftover of [copy, `${copy}-journal`]) rmSync(leftover, { force: true });
  copyFileSync(path, copy);
  const target = new Database(copy);
  try {
    if (from) applyKey(target, from.sqliteKey);
    else target.pragma(`cipher = '${SQLITE_CIPHER}'`);
    target.rekey(to.sqliteKey);
  } finally {
    target.close();
  }
  syncFile(copy);
  const check = openDatabase(copy, to.sqliteKey);
  try {
    const result = check.pragma("quick_check", { simple: true });
    if (result !== "ok") throw new Error(`the re-keyed copy ${copy} fails its check: ${String(result)}`);
  } finally {
    check.close();
  }
  renameSync(copy, path);
  await syncDir(dirname(path));
  return from ? "rekeyed" : "encrypted";
}

function opens(path: string, key: Buffer): boolean {
  try {
    openDatabase(path, key).close();
    return true;
  } catch (error) {
    if (error instanceof AtRestError) return false;
    throw error;
  }
}

/** Every blob file under `media/` (two levels of hash-prefix directories; `tmp/` holds upload spools, not blobs). */
function blobFiles(media: string): { dir: string; name: string }[] {
  const files: { dir: string; name: string }[] = [];
  const list = (dir: string) => (existsSync(dir) ? readdirSync(dir, { withFileTypes: true }) : []);
  for (const a of list(media)) {
    if (!a.isDirectory() || !/^[0-9a-f]{2}$/.test(a.name)) continue;
    for (const b of list(join(media, a.name))) {
      if (!b.isDirectory() || !/^[0-9a-f]{2}$/.test(b.name)) continue;
      const dir = join(media, a.name, b.name);
      for (const f of list(dir)) if (f.isFile() && /^[0-9a-f]{64}$/.test(f.name)) files.push({ dir, name: f.name });
    }
  }
  return files;
}

async function convertBlobs(dataDir: string, from: AtRestKey | undefined, to: AtRestKey) {
  const media = join(dataDir, MEDIA_DIR);
  const tmp = join(media, "tmp");
  // Spools of interrupted uploads are plaintext; the server deletes them at start anyway.
  rmSync(tmp, { recursive: true, force: true });
  const counts = { sealed: 0, rewrapped: 0, unchanged: 0 };
  const files = blobFiles(media);
  if (files.length > 0) mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const touched = new Set<string>();
  for (const { dir, name } of files) {
    const path = join(dir, name);
    if ((await sealState(path, to, name)) === "this_key") {
      counts.unchanged++;
      continue;
    }
    const temp = join(tmp, `${name}.${randomBytes(6).toString("hex")}`);
    // Migrating, anything the key does not open is plaintext, even a file that happens to start like a sealed one.
    const state = from ? await sealState(path, from, name) : "plain";
    try {
      if (state === "this_key" && from) {
        await rewrapFile(path, temp, from, to, name);
        counts.rewrapped++;
      } else if (state === "plain" || !from) {
        await sealFile(path, temp, to, name);
        counts.sealed++;
      } else {
        throw new Error(`${path} opens with neither the current nor the new key (damaged?)`);
      }
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    touched.add(dir);
  }
  for (const dir of touched) await syncDir(dir);
  return counts;
}
