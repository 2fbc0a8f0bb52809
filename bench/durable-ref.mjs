// Reference: the plainest durable chat server one would write by hand (issue 16). `ws` + SQLite (better-sqlite3,
// WAL, synchronous FULL or NORMAL), one transaction per event-loop turn for every send that arrived in it (group
// commit), a per-conversation seq, UNIQUE (sender, client id) for idempotent sends, the ack and the delivery only after
// the commit. No authentication, receipts, presence, search or fan-out beyond the one recipient.
// Speaks the bare relay's frames (bench/ws-relay.mjs) so that the same generator code drives both:
//   {hello: name} → {ok}; {id, to, data} → recipient {from, data}, sender {ack: id, seq} once committed.
// The conversation is the sorted pair of names; the client id is the frame's id.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocketServer } from "ws";
import { serveStats } from "./lib/child.mjs";

// better-sqlite3 is a dependency of the server package; resolve it from there.
const require = createRequire(new URL("../packages/server/package.json", import.meta.url));
const Database = require("better-sqlite3-multiple-ciphers");

const synchronous = (process.env.SQLITE_SYNCHRONOUS ?? "full").toUpperCase() === "NORMAL" ? "NORMAL" : "FULL";
const dir = process.env.DATA_DIR ?? mkdtempSync(join(tmpdir(), "durable-ref-"));
const db = new Database(join(dir, "ref.db"));
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
const existing = db.prepare("SELECT seq FROM messages WHERE sender_id = ? AND client_id = ?").pluck();
const nextSeq = db
  .prepare(
    "INSERT INTO conversations (id, last_seq) VALUES (?, 1) ON CONFLICT (id) DO UPDATE SET last_seq = last_seq + 1 RETURNING last_seq",
  )
  .pluck();
const insert = db.prepare(
  "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
);
/** Appends every send of the turn in one transaction; returns each one's seq (a resent client id keeps its seq). */
const appendAll = db.transaction((batch) =>
  batch.map((m) => {
    const seen = existing.get(m.senderId, m.clientId);
    if (seen !== undefined) return seen;
    const seq = nextSeq.get(m.conversationId);
    insert.run(m.conversationId, seq, m.id, m.senderId, m.clientId, m.body, m.createdAt);
    return seq;
  }),
);

const clients = new Map();
let pending = [];
let errors = 0;
let commits = 0;

function flush() {
  const batch = pending;
  pending = [];
  let seqs;
  try {
    seqs = appendAll(batch);
    commits++;
  } catch (error) {
    errors += batch.length;
    for (const m of batch) m.ws.send(JSON.stringify({ ack: m.frame.id, error: String(error.message) }));
    return;
  }
  for (let i = 0; i < batch.length; i++) {
    const m = batch[i];
    clients.get(m.frame.to)?.send(JSON.stringify({ from: m.senderId, data: m.frame.data }));
    m.ws.send(JSON.stringify({ ack: m.frame.id, seq: seqs[i] }));
  }
}

const wss = new WebSocketServer({
  port: Number(process.env.PORT ?? 0),
  host: "127.0.0.1",
  perMessageDeflate: false,
  clientTracking: false,
});
wss.on("connection", (ws) => {
  let me;
  ws.on("error", () => {});
  ws.on("message", (raw) => {
    const frame = JSON.parse(raw.toString());
    if (frame.hello) {
      me = String(frame.hello);
      clients.set(me, ws);
      ws.send(JSON.stringify({ ok: true }));
      return;
    }
    const to = String(frame.to);
    if (pending.length === 0) setImmediate(flush);
    pending.push({
      ws,
      frame,
      id: randomBytes(12).toString("base64url"),
      conversationId: me < to ? `${me}|${to}` : `${to}|${me}`,
      senderId: me,
      clientId: String(frame.id),
      body: String(frame.data?.body ?? ""),
      createdAt: Date.now(),
    });
  });
  ws.on("close", () => {
    if (me && clients.get(me) === ws) clients.delete(me);
  });
});
serveStats(() => ({ clients: clients.size, errors, commits }));
wss.on("listening", () => process.send?.({ port: wss.address().port }));
process.on("SIGTERM", () => process.exit(0));
process.on("exit", () => {
  try {
    db.close();
  } catch {}
  if (!process.env.DATA_DIR) rmSync(dir, { recursive: true, force: true });
});
