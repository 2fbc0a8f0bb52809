// Baseline: a bare `ws` relay (no auth, no storage). Each client says who it is; frames {to, data} go to that client.
import { WebSocketServer } from "ws";

const port = Number(process.env.PORT ?? 0);
const wss = new WebSocketServer({ port, host: "127.0.0.1", perMessageDeflate: false });
const clients = new Map();
wss.on("connection", (ws) => {
  let me;
  ws.on("message", (raw) => {
    const frame = JSON.parse(raw.toString());
    if (frame.hello) {
      me = frame.hello;
      clients.set(me, ws);
      ws.send(JSON.stringify({ ok: true }));
      return;
    }
    const target = clients.get(frame.to);
    if (target) target.send(JSON.stringify({ from: me, data: frame.data }));
    ws.send(JSON.stringify({ ack: frame.id }));
  });
  ws.on("close", () => me && clients.delete(me));
});
wss.on("listening", () => process.send?.({ port: wss.address().port }));
