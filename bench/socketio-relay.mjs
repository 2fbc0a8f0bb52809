// Baseline: what users would build instead of Parley. A Socket.IO relay with the same storage as Parley: SQLite
// (Parley's driver, unkeyed; WAL, the same `synchronous` setting as Parley's default), a per-conversation seq, a UNIQUE
// (sender, client id) index for idempotent sends, and one committed transaction per message before the ack.
// Clients connect with `auth: { name }`, emit `send` {to, conversationId, clientId, body} with an ack callback and
// receive `message` events. No authentication, no receipts, no group commit.
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { Server } from "socket.io";
import { serveStats } from "./lib/child.mjs";
import { openReferenceDb } from "./lib/reference-db.mjs";

const { db, nextSeq, insert } = openReferenceDb("relay");
const existing = db.prepare("SELECT conversation_id, seq, id, created_at FROM messages WHERE sender_id = ? AND client_id = ?");
const append = db.transaction((m) => {
  const seq = nextSeq.get(m.conversationId);
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
