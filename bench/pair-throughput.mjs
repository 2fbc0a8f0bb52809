#!/usr/bin/env node
// 1:1 throughput and latency: Parley (durable SQLite store, receipts on) against a bare `ws` relay, side by side.
// Each server runs in its own process; this process is the open-loop load generator on loopback.
// Usage: node bench/pair-throughput.mjs [--pairs 50] [--rates 2000,5000,10000] [--seconds 5]
// (Superseded by the suite: `npm run bench`, bench/scenarios/throughput.mjs. Kept for quick side-by-side runs.)
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { api } from "./lib/parley-client.mjs";
import { RATE_LIMITS_OFF } from "./lib/procs.mjs";
import { percentiles, table } from "./stats.mjs";

const { values } = parseArgs({
  options: {
    pairs: { type: "string", default: "50" },
    rates: { type: "string", default: "2000,5000,10000" },
    seconds: { type: "string", default: "5" },
    receipts: { type: "boolean", default: true },
  },
});
const PAIRS = Number(values.pairs);
const RATES = values.rates.split(",").map(Number);
const SECONDS = Number(values.seconds);
const root = new URL("..", import.meta.url).pathname;

function startProcess(script, env) {
  return new Promise((resolve, reject) => {
    const execArgv = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const child = fork(script, [], { env: { ...process.env, ...env }, execArgv, stdio: ["ignore", "ignore", "inherit", "ipc"] });
    child.once("error", reject);
    child.once("message", (m) => resolve({ child, port: m.port }));
  });
}

async function startParley() {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-"));
  const script = join(root, "bench", "parley-node.mjs");
  const { child, port } = await startProcess(script, {
    ...RATE_LIMITS_OFF,
    PARLEY_DATA_DIR: dataDir,
    PARLEY_PORT: "0",
    PARLEY_LOG_LEVEL: "warn",
  });
  return { child, port, cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

const open = (url, protocols) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });

const post = (base, path, body, token) => api(base, "POST", path, body, token);

/** Connects PAIRS sender/receiver pairs to Parley; returns send(pairIndex, payload) and hooks. */
async function parleyClients(port, onDeliver, onAck) {
  const base = `http://127.0.0.1:${port}`;
  const run = Math.random().toString(36).slice(2, 8);
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const [s, r] = await Promise.all(
      ["s", "r"].map((k) => post(base, "/v1/auth/register", { username: `b${run}${k}${i}`, password: "benchmark-pw" })),
    );
    const conv = await post(base, "/v1/conversations/direct", { userId: r.user.id }, s.accessToken);
    const [sw, rw] = await Promise.all([s, r].map(() => open(`ws://127.0.0.1:${port}/v1/ws`, ["parley.v1"])));
    let rid = 0;
    const hello = (ws, token) =>
      new Promise((resolve) => {
        ws.once("message", resolve);
        ws.send(JSON.stringify({ rid: "h", op: "hello", args: { versions: [1], token } }));
      });
    await hello(sw, s.accessToken);
    await hello(rw, r.accessToken);
    sw.on("message", (raw) => {
      const f = JSON.parse(raw.toString());
      if (f.type === "result" && f.result.seq) onAck(Number(f.rid));
    });
    let pendingReceipt = 0;
    let receiptTimer;
    rw.on("message", (raw) => {
      const f = JSON.parse(raw.toString());
      if (f.type === "event" && f.event === "message" && f.data.kind === "text") {
        onDeliver(Number(f.data.body.slice(0, f.data.body.indexOf(":"))));
        if (values.receipts) {
          pendingReceipt = Math.max(pendingReceipt, f.data.seq);
          if (receiptTimer === undefined)
            receiptTimer = setTimeout(() => {
              receiptTimer = undefined;
              rw.send(
                JSON.stringify({
                  rid: `r${rid++}`,
                  op: "receipts.mark",
                  args: { conversationId: conv.id, delivered: pendingReceipt },
                }),
              );
            }, 100);
        }
      }
    });
    pairs.push({
      send: (id, sentAt) =>
        sw.send(
          JSON.stringify({
            rid: String(id),
            op: "messages.send",
            args: { conversationId: conv.id, clientId: `c${id}`, body: `${id}:${sentAt}` },
          }),
        ),
      close: () => {
        sw.close();
        rw.close();
      },
    });
  }
  return pairs;
}

async function relayClients(port, onDeliver, onAck) {
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const [sw, rw] = await Promise.all([0, 1].map(() => open(`ws://127.0.0.1:${port}`)));
    const hello = (ws, name) =>
      new Promise((resolve) => {
        ws.once("message", resolve);
        ws.send(JSON.stringify({ hello: name }));
      });
    await hello(sw, `s${i}`);
    await hello(rw, `r${i}`);
    sw.on("message", (raw) => {
      const f = JSON.parse(raw.toString());
      if (f.ack !== undefined) onAck(f.ack);
    });
    rw.on("message", (raw) => onDeliver(JSON.parse(raw.toString()).data.id));
    pairs.push({
      send: (id, sentAt) => sw.send(JSON.stringify({ id, to: `r${i}`, data: { id, body: `${id}:${sentAt}` } })),
      close: () => {
        sw.close();
        rw.close();
      },
    });
  }
  return pairs;
}

async function runAt(connect, rate) {
  const sentAt = new Map();
  const ack = [];
  const deliver = [];
  const pairs = await connect(
    (id) => {
      const t = sentAt.get(id);
      if (t !== undefined) deliver.push(performance.now() - t);
    },
    (id) => {
      const t = sentAt.get(id);
      if (t !== undefined) ack.push(performance.now() - t);
    },
  );
  let id = 0;
  const tickMs = 10;
  let credit = 0;
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
      credit = Math.max(0, due);
      for (let k = 0; k < credit; k++) {
        const n = id++;
        sentAt.set(n, performance.now());
        pairs[n % pairs.length].send(n, Date.now());
      }
    }, tickMs);
  });
  await new Promise((r) => setTimeout(r, 1500));
  for (const p of pairs) p.close();
  const d = percentiles(deliver);
  const a = percentiles(ack);
  return {
    sent: id,
    delivered: deliver.length,
    lost: id - deliver.length,
    ackP50: a.p50,
    ackP99: a.p99,
    p50: d.p50,
    p95: d.p95,
    p99: d.p99,
    max: d.max,
  };
}

const rows = [];
for (const rate of RATES) {
  for (const [name, start, connect] of [
    ["ws relay", () => startProcess(join(root, "bench", "ws-relay.mjs"), { PORT: "0" }), relayClients],
    ["parley", startParley, parleyClients],
  ]) {
    const server = await start();
    const r = await runAt((d, a) => connect(server.port, d, a), rate);
    server.child.kill("SIGTERM");
    await new Promise((res) => server.child.once("exit", res));
    server.cleanup?.();
    rows.push({ server: name, "rate/s": rate, ...r });
    console.error(`${name} @ ${rate}/s: p99 ${r.p99.toFixed(1)} ms, lost ${r.lost}`);
  }
}
console.log(
  `\n1:1 delivery, ${PAIRS} pairs, ${SECONDS}s per run, latency in ms (send → recipient), receipts ${values.receipts ? "on" : "off"}\n`,
);
console.log(table(rows));
