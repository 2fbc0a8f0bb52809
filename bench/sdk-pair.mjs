#!/usr/bin/env node
// Two SDK clients on one Parley node (in a separate process): one sends N messages through the SDK's outbox as fast
// as acks allow; reports messages/s and send→deliver latency at the receiving SDK.
// Usage: node bench/sdk-pair.mjs [--messages 20000] [--window 200]
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ParleyClient } from "../packages/client/dist/node.js";
import { percentiles, table } from "./stats.mjs";

const { values } = parseArgs({
  options: { messages: { type: "string", default: "20000" }, window: { type: "string", default: "200" } },
});
const N = Number(values.messages);
const WINDOW = Number(values.window);
const root = new URL("..", import.meta.url).pathname;
const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-"));
const child = fork(join(root, "bench", "parley-node.mjs"), [], {
  env: { ...process.env, PARLEY_DATA_DIR: dataDir, PARLEY_PORT: "0", PARLEY_LOG_LEVEL: "warn" },
  stdio: ["ignore", "ignore", "inherit", "ipc"],
});
const port = await new Promise((resolve) => child.once("message", (m) => resolve(m.port)));
const server = `http://127.0.0.1:${port}`;

const alice = new ParleyClient({ server });
const bob = new ParleyClient({ server });
await alice.register("alice", "benchmark-pw");
const bobUser = await bob.register("bob", "benchmark-pw");
await Promise.all([alice.connect(), bob.connect()]);
const conv = await alice.openDirect(bobUser.id);

const sentAt = new Map();
const latency = [];
let received = 0;
const done = new Promise((resolve) =>
  bob.on("message", (m) => {
    if (m.kind !== "text") return;
    const t = sentAt.get(m.body);
    if (t !== undefined) latency.push(performance.now() - t);
    if (++received === N) resolve();
  }),
);
const started = performance.now();
let inFlight = 0;
let next = 0;
await new Promise((resolve) => {
  const pump = () => {
    while (inFlight < WINDOW && next < N) {
      const body = `m${next++}`;
      sentAt.set(body, performance.now());
      inFlight++;
      alice.send(conv.id, body).then(() => {
        inFlight--;
        if (next < N) pump();
        else if (inFlight === 0) resolve();
      });
    }
  };
  pump();
});
await done;
const seconds = (performance.now() - started) / 1000;
const p = percentiles(latency);
console.log(`\nTwo SDK clients, one direct conversation, ${N} messages, ${WINDOW} unacked at most\n`);
console.log(
  table([{ messages: N, "msgs/s": Math.round(N / seconds), "p50 ms": p.p50, "p95 ms": p.p95, "p99 ms": p.p99, "max ms": p.max }]),
);
alice.close();
bob.close();
child.kill("SIGTERM");
await new Promise((r) => child.once("exit", r));
rmSync(dataDir, { recursive: true, force: true });
