// The SQLite store of the two durable reference servers (socketio-relay.mjs, durable-ref.mjs): WAL, the chosen
// `synchronous`, a per-conversation seq and UNIQUE (sender, client id), the table shape issue 16 compares against.
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

// The SQLite driver is a dependency of the server package; resolve it from there.
const require = createRequire(new URL("../../packages/server/package.json", import.meta.url));
const Database = require("better-sqlite3-multiple-ciphers");

/** Opens the database in DATA_DIR (or a temporary directory removed at exit); SQLITE_SYNCHRONOUS picks the mode. */
export function openReferenceDb(name) {
  const synchronous = (process.env.SQLITE_SYNCHRONOUS ?? "full").toUpperCase() === "NORMAL" ? "NORMAL" : "FULL";
  const dir = process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), `${name}-`));
  const db = new Database(join(dir, `${name}.db`));
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${synchronous}`);
  db.exec(`
    CREATE TABLE IF NOT EXISTS conversations (id TEXT PRIMARY KEY, last_seq INTEGER NOT NULL) STRICT;
    CREATE TABLE IF NOT EXISTS messages (
      conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, id TEXT NOT NULL, sender_id TEXT NOT NULL,
      client_id TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL,
      PRIMARY KEY (conversation_id, seq)
    ) STRICT, WITHOUT ROWID;
    CREATE UNIQUE INDEX IF NOT EXISTS messages_client ON messages (sender_id, client_id);
  `);
  process.on("exit", () => {
    try {
      db.close();
    } catch {}
    if (!process.env.DATA_DIR) rmSync(dir, { recursive: true, force: true });
  });
  return {
    db,
    /** The conversation's next seq (creating the conversation at 1). */
    nextSeq: db
      .prepare(
        "INSERT INTO conversations (id, last_seq) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
      )
      .pluck(),
    insert: db.prepare(
      "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
  };
}
