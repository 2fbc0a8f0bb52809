#!/usr/bin/env node
// Delivery latency over long polling against WebSocket: the same pairs, the same open-loop rate, one transport at a
// time, on one Parley node (its own process). Long polling runs through the SDK's LongPollSocket, WebSocket through
// `ws`; both speak raw protocol frames, so the difference is the transport alone.
// Usage: node bench/long-poll.mjs [--pairs 20] [--rates 50,200,1000] [--seconds 8] [--hold 25000]
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { LongPollSocket } from "../packages/client/dist/index.js";
import { api } from "./lib/parley-client.mjs";
import { RATE_LIMITS_OFF } from "./lib/procs.mjs";
import { percentiles, table } from "./stats.mjs";

const { values } = parseArgs({
  options: {
    pairs: { type: "string", default: "20" },
    rates: { type: "string", default: "50,200,1000" },
    seconds: { type: "string", default: "8" },
    hold: { type: "string", default: "25000" },
  },
});
const PAIRS = Number(values.pairs);
const RATES = values.rates.split(",").map(Number);
const SECONDS = Number(values.seconds);
const root = new URL("..", import.meta.url).pathname;

async function startParley() {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-lp-"));
  const child = fork(join(root, "bench", "parley-node.mjs"), [], {
    env: {
      ...process.env,
      ...RATE_LIMITS_OFF,
      PARLEY_DATA_DIR: dataDir,
      PARLEY_PORT: "0",
      PARLEY_HOST: "127.0.0.1",
      PARLEY_LOG_LEVEL: "warn",
      PARLEY_LONG_POLL_HOLD_MS: values.hold,
    },
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  });
  const port = await new Promise((resolve, reject) => {
    child.once("error", reject);
    child.on("message", (m) => m?.port && resolve(m.port));
  });
  return {
    base: `http://127.0.0.1:${port}`,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const post = (base, path, body, token) => api(base, "POST", path, body, token);

/** A socket of either transport, welcomed: `send(frame)` and an `onFrame` callback. */
function connect(transport, base, token) {
  const socket =
    transport === "websocket"
      ? new WebSocket(`${base.replace(/^http/, "ws")}/v1/ws`, ["parley.v1"], { perMessageDeflate: false })
      : new LongPollSocket({ baseUrl: base });
  return new Promise((resolve, reject) => {
    const conn = { onFrame: () => {}, send: (f) => socket.send(JSON.stringify(f)), close: () => socket.close(1000) };
    socket.onerror = () => {};
    socket.onclose = (e) => reject(new Error(`closed ${e.code} before the welcome`));
    socket.onopen = () => socket.send(JSON.stringify({ rid: "h", op: "hello", args: { versions: [1], token } }));
    socket.onmessage = (event) => {
      const frame = JSON.parse(typeof event.data === "string" ? event.data : event.data.toString());
      if (frame.rid === "h") {
        if (frame.type !== "result") return reject(new Error(frame.error.message));
        socket.onclose = null;
        return resolve(conn);
      }
      conn.onFrame(frame);
    };
  });
}

async function runAt(base, transport, rate) {
  const run = Math.random().toString(36).slice(2, 8);
  const sentAt = new Map();
  const deliver = [];
  const ack = [];
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const [s, r] = await Promise.all(
      ["s", "r"].map((k) => post(base, "/v1/auth/register", { username: `lp${run}${k}${i}`, password: "benchmark-pw" })),
    );
    const conv = await post(base, "/v1/conversations/direct", { userId: r.user.id }, s.accessToken);
    const [sender, receiver] = await Promise.all([
      connect(transport, base, s.accessToken),
      connect(transport, base, r.accessToken),
    ]);
    sender.onFrame = (f) => {
      const t = f.type === "result" ? sentAt.get(Number(f.rid)) : undefined;
      if (t !== undefined) ack.push(performance.now() - t);
    };
    receiver.onFrame = (f) => {
      if (f.type !== "event" || f.event !== "message" || f.data.kind !== "text") return;
      const t = sentAt.get(Number(f.data.body));
      if (t !== undefined) deliver.push(performance.now() - t);
    };
    pairs.push({ sender, receiver, conversationId: conv.id });
  }
  // Let every long poll settle into its held state before the clock starts.
  await new Promise((r) => setTimeout(r, 300));
  let id = 0;
  const started = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      if (elapsed >= SECONDS * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      // Open loop: catch up on the schedule even when a tick fires late.
      const due = Math.floor((elapsed / 1000) * rate) - id;
      for (let k = 0; k < due; k++) {
        const n = id++;
        const p = pairs[n % pairs.length];
        sentAt.set(n, performance.now());
        p.sender.send({
          rid: String(n),
          op: "messages.send",
          args: { conversationId: p.conversationId, clientId: `c${n}`, body: String(n) },
        });
      }
    }, 5);
  });
  await new Promise((r) => setTimeout(r, 2000));
  for (const p of pairs) {
    p.sender.close();
    p.receiver.close();
  }
  const d = percentiles(deliver);
  const a = percentiles(ack);
  return {
    transport,
    "rate/s": rate,
    sent: id,
    delivered: deliver.length,
    lost: id - deliver.length,
    "ack p50": a.p50,
    "ack p99": a.p99,
    p50: d.p50,
    p95: d.p95,
    p99: d.p99,
    max: d.max,
  };
}

const server = await startParley();
const rows = [];
try {
  for (const rate of RATES) {
    for (const transport of ["websocket", "long-poll"]) {
      const row = await runAt(server.base, transport, rate);
      rows.push(row);
      console.error(`${transport} @ ${rate}/s: p50 ${row.p50.toFixed(2)} ms, p99 ${row.p99.toFixed(2)} ms, lost ${row.lost}`);
    }
  }
} finally {
  await server.stop();
}
console.log(
  `\nsend → deliver over each transport, ${PAIRS} pairs (sender and receiver on the same transport), ${SECONDS} s per run, ` +
    `latency in ms, poll hold ${values.hold} ms, one Parley node (SQLite, synchronous=full)\n`,
);
console.log(table(rows));
