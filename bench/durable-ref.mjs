// Reference: the plainest durable chat server one would write by hand (issue 16). `ws` + SQLite (better-sqlite3,
// WAL, synchronous FULL or NORMAL), one transaction per event-loop turn for every send that arrived in it (group
// commit), a per-conversation seq, UNIQUE (sender, client id) for idempotent sends, the ack and the delivery only after
// the commit. No authentication, receipts, presence, search or fan-out beyond the one recipient.
// Speaks the bare relay's frames (bench/ws-relay.mjs) so that the same generator code drives both:
//   {hello: name} → {ok}; {id, to, data} → recipient {from, data}, sender {ack: id, seq} once committed.
// The conversation is the sorted pair of names; the client id is the frame's id.
import { randomBytes } from "node:crypto";
import { WebSocketServer } from "ws";
import { serveStats } from "./lib/child.mjs";
import { openReferenceDb } from "./lib/reference-db.mjs";

const { db, nextSeq, insert } = openReferenceDb("ref");
const existing = db.prepare("SELECT seq FROM messages WHERE sender_id = ? AND client_id = ?").pluck();
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
