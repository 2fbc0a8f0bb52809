// An online copy of a SQLite database that may be serving (another process writing to it): one read transaction on
// the source, so the copy is one committed state, written to a new file encrypted with the same key as the source.
//
// Why not `db.backup()` (SQLite's backup API) or `VACUUM INTO`: both write the target through a connection this driver
// opens without a key, so an encrypted source either fails ("incompatible source and target") or would land on disk in
// plaintext; the backup API also restarts whenever another process writes during the copy, which a busy server does
// all the time. Here the target is opened (and keyed) first and the source attached to it with the same key.

import { renameSync, rmSync } from "node:fs";
import type Database from "better-sqlite3-multiple-ciphers";
import { openDatabase } from "./open-database.js";

/** How long the copy waits for a lock held by the serving process (a checkpoint) before failing. */
const BUSY_TIMEOUT_MS = 10_000;

export interface BackupSummary {
  /** `PRAGMA user_version` of the copy: the schema version (migrations.ts). */
  schemaVersion: number;
  /** Rows copied per table (shadow tables of full-text indexes included). */
  rows: Record<string, number>;
}

interface TableInfo {
  name: string;
  type: "table" | "view" | "shadow" | "virtual";
  wr: number;
}

const quote = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * Copies the database at `sourcePath` to `targetPath` (which must not exist), with `key` (the SQLite sub-key of the
 * at-rest key) on both or neither. The target is written under a temporary name and renamed when complete.
 */
export function backupDatabase(sourcePath: string, targetPath: string, key: Buffer | undefined): BackupSummary {
  // Opening the source alone first checks that it exists and that the key fits, with the store's error messages.
  openDatabase(sourcePath, key, { fileMustExist: true, readonly: true }).close();
  const partial = `${targetPath}.partial`;
  rmSync(partial, { force: true });
  const db = openDatabase(partial, key);
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma("foreign_keys = OFF");
    // Lifts the driver's defensive mode on this connection only: the shadow tables of the full-text index are copied
    // as they are rather than re-indexed.
    db.unsafeMode(true);
    // Without a KEY clause SQLite3 Multiple Ciphers would apply the main database's key, so it is given either way.
    if (key) db.prepare("ATTACH DATABASE ? AS src KEY ?").run(sourcePath, key);
    else db.prepare("ATTACH DATABASE ? AS src").run(sourcePath);
    const summary = db.transaction(() => copy(db))();
    const check = db.pragma("main.quick_check", { simple: true });
    if (check !== "ok") throw new Error(`the copy failed its integrity check: ${String(check)}`);
    db.exec("DETACH DATABASE src");
    db.close();
    renameSync(partial, targetPath);
    return summary;
  } catch (error) {
    if (db.open) db.close();
    rmSync(partial, { force: true });
    throw error;
  }
}

/** Inside one transaction: schema of tables, then their rows, then indexes, triggers and views (so none fire). */
function copy(db: Database.Database): BackupSummary {
  const tables = db.prepare("PRAGMA src.table_list").all() as TableInfo[];
  const kind = new Map(tables.map((t) => [t.name, t]));
  const schema = db.prepare("SELECT type, name, sql FROM src.sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid").all() as {
    type: string;
    name: string;
    sql: string;
  }[];
  // Tables and virtual tables; a virtual table creates its own shadow tables, filled below like the others.
  for (const entry of schema) {
    if (entry.type !== "table" || entry.name.startsWith("sqlite_") || kind.get(entry.name)?.type === "shadow") continue;
    db.exec(entry.sql);
  }
  const rows: Record<string, number> = {};
  for (const table of tables) {
    if (table.name.startsWith("sqlite_") || (table.type !== "table" && table.type !== "shadow")) continue;
    const columns = (db.prepare(`PRAGMA src.table_info(${quote(table.name)})`).all() as { name: string }[]).map((c) =>
      quote(c.name),
    );
    // Rowid tables keep their rowids: other rows (the full-text index) may refer to them.
    const list = (table.wr ? columns : ["rowid", ...columns]).join(", ");
    if (table.type === "shadow") db.exec(`DELETE FROM main.${quote(table.name)}`);
    db.exec(`INSERT INTO main.${quote(table.name)} (${list}) SELECT ${list} FROM src.${quote(table.name)}`);
    rows[table.name] = (db.prepare(`SELECT count(*) AS n FROM main.${quote(table.name)}`).get() as { n: number }).n;
  }
  if (kind.has("sqlite_sequence")) db.exec("INSERT INTO main.sqlite_sequence SELECT * FROM src.sqlite_sequence");
  for (const entry of schema) {
    if (entry.type === "index" || entry.type === "trigger" || entry.type === "view") db.exec(entry.sql);
  }
  const schemaVersion = db.pragma("src.user_version", { simple: true }) as number;
  db.pragma(`main.user_version = ${schemaVersion}`);
  return { schemaVersion, rows };
}
