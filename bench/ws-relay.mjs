// Baseline: a bare `ws` relay (no auth, no storage). Each client says who it is; frames {to, data} go to that client,
// and {to: "*", data} to every other client (the channel scenario's fan-out: one encoding, one write per client).
import { WebSocketServer } from "ws";
import { serveStats } from "./lib/child.mjs";

const port = Number(process.env.PORT ?? 0);
const wss = new WebSocketServer({ port, host: "127.0.0.1", perMessageDeflate: false, clientTracking: false });
const clients = new Map();
wss.on("connection", (ws) => {
  let me;
  ws.on("error", () => {});
  ws.on("message", (raw) => {
    const frame = JSON.parse(raw.toString());
    if (frame.hello) {
      me = frame.hello;
      clients.set(me, ws);
      ws.send(JSON.stringify({ ok: true }));
      return;
    }
    if (frame.to === "*") {
      const out = Buffer.from(JSON.stringify({ from: me, data: frame.data }));
      for (const [name, c] of clients) if (name !== me) c.send(out, { binary: false });
      ws.send(JSON.stringify({ ack: frame.id }));
      return;
    }
    const target = clients.get(frame.to);
    if (target) target.send(JSON.stringify({ from: me, data: frame.data }));
    ws.send(JSON.stringify({ ack: frame.id }));
  });
  ws.on("close", () => {
    if (me && clients.get(me) === ws) clients.delete(me);
  });
});
serveStats(() => ({ clients: clients.size }));
wss.on("listening", () => process.send?.({ port: wss.address().port }));
process.on("SIGTERM", () => process.exit(0));
