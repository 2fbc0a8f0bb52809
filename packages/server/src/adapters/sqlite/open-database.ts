// Opens the SQLite file, applying the at-rest key when there is one: the one place that does, so the store, the
// checkpoint worker and the offline encryption tools all open the database the same way and fail the same way.

import { closeSync, openSync, readSync } from "node:fs";
import Database from "better-sqlite3-multiple-ciphers";
import { AtRestError } from "../at-rest/at-rest-key.js";

/**
 * SQLite3 Multiple Ciphers' ChaCha20-Poly1305 scheme: every page is encrypted and authenticated (a changed page fails
 * to read), with a random salt per database. Named rather than left to the build's default so a driver update cannot
 * change the format underneath an existing file.
 */
export const SQLITE_CIPHER = "chacha20";
/** The first 16 bytes of every unencrypted SQLite database; an encrypted one starts with its random salt instead. */
const PLAIN_HEADER = Buffer.from("SQLite format 3\0", "latin1");

/** What the file at `path` holds: nothing yet, an unencrypted database, or something else (an encrypted one). */
export function fileState(path: string): "missing" | "plain" | "encrypted" {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "missing";
    throw error;
  }
  try {
    const head = Buffer.alloc(PLAIN_HEADER.length);
    const read = readSync(fd, head, 0, head.length, 0);
    if (read === 0) return "missing";
    return head.subarray(0, read).equals(PLAIN_HEADER.subarray(0, read)) ? "plain" : "encrypted";
  } finally {
    closeSync(fd);
  }
}

/** Applies `key` to a freshly opened connection (before its first statement) and keeps temporary tables in memory. */
export function applyKey(db: Database.Database, key: Buffer): void {
  db.pragma(`cipher = '${SQLITE_CIPHER}'`);
  db.key(key);
  // Sorts and temporary tables would otherwise spill into unencrypted temporary files.
  db.pragma("temp_store = MEMORY");
}

/**
 * Opens the database at `path` with `key` (its SQLite sub-key, at-rest-key.ts) or without one, and reads its schema,
 * so that a key that does not fit fails here, with a message saying what to do, instead of at the first query.
 */
export function openDatabase(path: string, key: Buffer | undefined, options: Database.Options = {}): Database.Database {
  const state = path === ":memory:" || path === "" ? "missing" : fileState(path);
  if (state === "plain" && key) {
    throw new AtRestError(
      `${path} is not encrypted. To encrypt this data directory, stop the server and run \`parley-server encryption migrate\` (docs/security.md §3.10)`,
    );
  }
  if (state === "encrypted" && !key) {
    throw new AtRestError(
      `${path} is encrypted (or is not a SQLite database): set PARLEY_ENCRYPTION_KEY_FILE or PARLEY_ENCRYPTION_KEY to its key`,
    );
  }
  const db = new Database(path, options);
  try {
    if (key) applyKey(db, key);
    db.prepare("SELECT count(*) FROM sqlite_schema").get();
  } catch (error) {
    db.close();
    if (key && (error as { code?: string }).code === "SQLITE_NOTADB") {
      throw new AtRestError(`the key does not open ${path} (wrong key, or the file is damaged)`);
    }
    throw error;
  }
  return db;
}
