// Clients of the two baselines, with the same shape as the Parley client's hot path: send(id, body) → ack(id),
// and recipient callbacks with the body.
import { io } from "socket.io-client";
import WebSocket from "ws";

/**
 * The bare `ws` relay (bench/ws-relay.mjs) and the durable reference (bench/durable-ref.mjs): {hello: name} → {ok};
 * {id, to, data} → recipient {from, data}, sender {ack} (the reference: after its commit, or {ack, error}).
 */
export function connectWsRelay(url, name, { localAddress, timeoutMs = 20_000 } = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, {
      perMessageDeflate: false,
      handshakeTimeout: timeoutMs,
      ...(localAddress ? { localAddress } : {}),
    });
    const conn = { ws, onAck: undefined, onData: undefined, closed: false };
    let settled = false;
    const timer = setTimeout(() => fail(new Error("relay hello timed out")), timeoutMs);
    function fail(error) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    }
    ws.on("error", fail);
    ws.on("close", () => {
      conn.closed = true;
      fail(new Error("closed during hello"));
    });
    ws.on("open", () => ws.send(JSON.stringify({ hello: name })));
    ws.on("message", (raw) => {
      const f = JSON.parse(raw.toString());
      if (!settled) {
        settled = true;
        clearTimeout(timer);
        resolve(conn);
        return;
      }
      if (f.ack !== undefined) {
        // The durable reference answers a failed commit with {ack, error}.
        if (f.error !== undefined) conn.errors = (conn.errors ?? 0) + 1;
        else conn.onAck?.(f.ack);
      } else conn.onData?.(f.data);
    });
    conn.send = (id, to, body) => ws.send(JSON.stringify({ id, to, data: { id, body } }));
    conn.close = () => ws.close();
    conn.terminate = () => ws.terminate();
  });
}

/** The Socket.IO + SQLite relay (bench/socketio-relay.mjs), WebSocket transport only. */
export function connectSocketIo(url, name, { timeoutMs = 20_000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = io(url, {
      transports: ["websocket"],
      auth: { name },
      forceNew: true,
      reconnection: false,
      timeout: timeoutMs,
    });
    const conn = { socket, onAck: undefined, onData: undefined, errors: 0 };
    socket.once("connect", () => resolve(conn));
    socket.once("connect_error", (e) => reject(e));
    socket.on("message", (m) => conn.onData?.(m));
    conn.send = (id, to, conversationId, clientId, body) =>
      socket.emit("send", { to, conversationId, clientId, body }, (ack) => {
        if (ack?.error) conn.errors++;
        else conn.onAck?.(id, ack);
      });
    conn.close = () => socket.close();
  });
}
