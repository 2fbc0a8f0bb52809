#!/usr/bin/env node
// Cross-node delivery: Parley in cluster mode (PostgreSQL + Redis) with one node against three nodes, where every
// sender is on a different node than its recipient, so each message crosses Redis. Open-loop load on loopback;
// each node is its own process (started through @parley/server/testing with a fresh schema and Redis prefix).
// Usage: node bench/cluster.mjs [--pairs 60] [--rates 500,1000,2000] [--seconds 5] [--warmup 1] [--no-receipts]
import { readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { parseArgs } from "node:util";
import WebSocket from "ws";
import { Cluster, probeClusterServices } from "../packages/server/dist-test/testing.js";
import { api } from "./lib/parley-client.mjs";
import { RATE_LIMITS_OFF } from "./lib/procs.mjs";
import { percentiles, table } from "./stats.mjs";

const { values } = parseArgs({
  options: {
    pairs: { type: "string", default: "60" },
    rates: { type: "string", default: "500,1000,2000" },
    seconds: { type: "string", default: "5" },
    warmup: { type: "string", default: "1" },
    receipts: { type: "boolean", default: true },
  },
});
const PAIRS = Number(values.pairs);
const RATES = values.rates.split(",").map(Number);
const SECONDS = Number(values.seconds);
/** Seconds of load before measuring (JIT, connection pools, prepared statements). */
const WARMUP = Number(values.warmup);

const open = (url) =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ["parley.v1"], { perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });

const post = (base, path, body, token) => api(base, "POST", path, body, token);

/** PAIRS sender/receiver pairs; pair i's sender talks to nodes[i % n], its receiver to the next node (if any). */
async function connectPairs(nodes, onDeliver, onAck) {
  const run = Math.random().toString(36).slice(2, 8);
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) {
    const sNode = nodes[i % nodes.length];
    const rNode = nodes[(i + 1) % nodes.length];
    const [s, r] = [
      await post(sNode, "/v1/auth/register", { username: `c${run}s${i}`, password: "benchmark-pw" }),
      await post(rNode, "/v1/auth/register", { username: `c${run}r${i}`, password: "benchmark-pw" }),
    ];
    const conv = await post(sNode, "/v1/conversations/direct", { userId: r.user.id }, s.accessToken);
    const [sw, rw] = await Promise.all([
      open(`${sNode.replace("http", "ws")}/v1/ws`),
      open(`${rNode.replace("http", "ws")}/v1/ws`),
    ]);
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
    let receiptScheduled = false;
    let rid = 0;
    rw.on("message", (raw) => {
      const f = JSON.parse(raw.toString());
      if (f.type !== "event" || f.event !== "message" || f.data.kind !== "text") return;
      onDeliver(Number(f.data.body.slice(0, f.data.body.indexOf(":"))));
      if (!values.receipts) return;
      pendingReceipt = Math.max(pendingReceipt, f.data.seq);
      if (receiptScheduled) return;
      receiptScheduled = true;
      setTimeout(() => {
        receiptScheduled = false;
        rw.send(
          JSON.stringify({ rid: `r${rid++}`, op: "receipts.mark", args: { conversationId: conv.id, delivered: pendingReceipt } }),
        );
      }, 100);
    });
    pairs.push({
      send: (id) =>
        sw.send(
          JSON.stringify({
            rid: String(id),
            op: "messages.send",
            args: { conversationId: conv.id, clientId: `c${id}`, body: `${id}:x` },
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

/** CPU seconds (user + system) a process has used so far, from /proc (Linux; NaN elsewhere). */
function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return Number.NaN;
  }
}

async function runAt(nodes, rate, pids) {
  const sentAt = new Map();
  const ack = [];
  const deliver = [];
  const pairs = await connectPairs(
    nodes,
    (id) => {
      const t = sentAt.get(id);
      if (t !== undefined) deliver.push(performance.now() - t);
    },
    (id) => {
      const t = sentAt.get(id);
      if (t !== undefined) ack.push(performance.now() - t);
    },
  );
  // Ids below `firstMeasured` are warm-up traffic: sent at the same rate, not recorded.
  let id = 0;
  const firstMeasured = Math.floor(WARMUP * rate);
  let cpuAtStart;
  const started = performance.now();
  await new Promise((resolve) => {
    const timer = setInterval(() => {
      const elapsed = performance.now() - started;
      if (elapsed >= (WARMUP + SECONDS) * 1000) {
        clearInterval(timer);
        resolve();
        return;
      }
      const due = Math.floor((elapsed / 1000) * rate) - id;
      for (let k = 0; k < due; k++) {
        const n = id++;
        if (n === firstMeasured) cpuAtStart = pids.map(cpuSeconds);
        if (n >= firstMeasured) sentAt.set(n, performance.now());
        pairs[n % pairs.length].send(n);
      }
    }, 10);
  });
  const measured = id - firstMeasured;
  await new Promise((r) => setTimeout(r, 2000));
  const cpu = pids.map(cpuSeconds).reduce((sum, c, i) => sum + c - cpuAtStart[i], 0);
  for (const p of pairs) p.close();
  const d = percentiles(deliver);
  const a = percentiles(ack);
  return {
    sent: measured,
    delivered: deliver.length,
    lost: measured - deliver.length,
    "deliv/s": deliver.length / SECONDS,
    // Server CPU per delivered message, all nodes together (PostgreSQL and Redis not included).
    "cpu ms/msg": (cpu * 1000) / Math.max(1, deliver.length),
    ackP50: a.p50,
    ackP99: a.p99,
    p50: d.p50,
    p99: d.p99,
    max: d.max,
  };
}

try {
  await probeClusterServices({ haproxy: false });
} catch (error) {
  console.error(`bench/cluster: ${error.message}`);
  process.exit(1);
}

const loadAtStart = loadavg();
const rows = [];
for (const nodeCount of [1, 3]) {
  for (const rate of RATES) {
    // A fresh deployment per run, so that one run's backlog cannot slow the next.
    // BENCH_CPU_PROF=<dir> writes a CPU profile of every node (as in pair-throughput.mjs).
    const nodeArgs = process.env.BENCH_CPU_PROF ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    const cluster = await Cluster.start({
      nodes: nodeCount,
      haproxy: false,
      env: { ...RATE_LIMITS_OFF, PARLEY_LOG_LEVEL: "error" },
      nodeArgs,
    });
    try {
      const r = await runAt(
        cluster.nodes.map((n) => n.url),
        rate,
        cluster.nodes.map((n) => n.child.pid),
      );
      rows.push({ setup: nodeCount === 1 ? "1 node" : "3 nodes, cross-node", "rate/s": rate, ...r });
      console.error(`${nodeCount} node(s) @ ${rate}/s: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, lost ${r.lost}`);
    } finally {
      await cluster.close();
    }
  }
}
console.log(
  `\n1:1 delivery in cluster mode (PostgreSQL + Redis), ${PAIRS} pairs, ${SECONDS}s per run, latency in ms (send → recipient), receipts ${values.receipts ? "on" : "off"}`,
);
// Every process (nodes, PostgreSQL, Redis, this load generator) shares the machine: say how busy it was.
console.log(`${availableParallelism()} CPUs, load average at start ${loadAtStart.map((l) => l.toFixed(2)).join(" ")}\n`);
console.log(table(rows));
