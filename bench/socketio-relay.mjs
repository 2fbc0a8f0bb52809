// Baseline: what users would build instead of Parley. A Socket.IO relay with the same storage as Parley: SQLite
// (Parley's driver, unkeyed; WAL, the same `synchronous` setting as Parley's default), a per-conversation seq, a UNIQUE
// (sender, client id) index for idempotent sends, and one committed transaction per message before the ack.
// Clients connect with `auth: { name }`, emit `send` {to, conversationId, clientId, body} with an ack callback and
// receive `message` events. No authentication, no receipts, no group commit.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server } from "socket.io";
import { serveStats } from "./lib/child.mjs";

// The SQLite driver is a dependency of the server package; resolve it from there.
const require = createRequire(new URL("../packages/server/package.json", import.meta.url));
const Database = require("better-sqlite3-multiple-ciphers");

const synchronous = (process.env.SQLITE_SYNCHRONOUS ?? "full").toUpperCase() === "NORMAL" ? "NORMAL" : "FULL";
const dir = process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), "sio-relay-"));
const db = new Database(join(dir, "relay.db"));
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
const nextSeq = db.prepare(
  "INSERT INTO conversations (id, last_seq) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
);
const insert = db.prepare(
  "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
);
const existing = db.prepare("SELECT conversation_id, seq, id, created_at FROM messages WHERE sender_id = ? AND client_id = ?");
const append = db.transaction((m) => {
  const seq = nextSeq.get(m.conversationId).last_seq;
  insert.run(m.conversationId, seq, m.id, m.senderId, m.clientId, m.body, m.createdAt);
  return seq;
});

const http = createServer();
const io = new Server(http, { serveClient: false, perMessageDeflate: false, httpCompression: false });
const clients = new Map();
let errors = 0;
io.on("connection", (socket) => {
  const me = String(socket.handshake.auth?.name ?? socket.id);
  clients.set(me, socket);
  socket.on("disconnect", () => {
    if (clients.get(me) === socket) clients.delete(me);
  });
  socket.on("send", (msg, ack) => {
    const m = {
      id: randomBytes(12).toString("base64url"),
      conversationId: String(msg.conversationId),
      senderId: me,
      clientId: String(msg.clientId),
      body: String(msg.body),
      createdAt: Date.now(),
    };
    let seq;
    try {
      seq = append(m);
    } catch (error) {
      if (error.code !== "SQLITE_CONSTRAINT_UNIQUE" && error.code !== "SQLITE_CONSTRAINT_PRIMARYKEY") {
        errors++;
        if (typeof ack === "function") ack({ error: String(error.message) });
        return;
      }
      const row = existing.get(me, m.clientId);
      if (typeof ack === "function") ack({ id: row.id, seq: row.seq, createdAt: row.created_at, duplicate: true });
      return;
    }
    clients.get(String(msg.to))?.emit("message", { ...m, seq });
    if (typeof ack === "function") ack({ id: m.id, seq, createdAt: m.createdAt, duplicate: false });
  });
});
serveStats(() => ({ clients: clients.size, errors }));
http.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => process.send?.({ port: http.address().port }));
process.on("SIGTERM", () => process.exit(0));
process.on("exit", () => {
  try {
    db.close();
  } catch {}
  if (!process.env.DATA_DIR) rmSync(dir, { recursive: true, force: true });
});
