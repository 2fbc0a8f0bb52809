#!/usr/bin/env node
// Parley benchmark suite (issue #10): starts its own servers and load generators as separate processes, drives them
// over loopback, prints tables with PASS/FAIL against the targets, and writes bench/results/bench-<date>.{json,md}
// (and, after a full run, the results block of docs/performance.md). Bounded in count and time: every step has a
// timeout, the whole run has a deadline, and every child is killed when it ends, however it ends.
//
// Usage: node bench/run.mjs [--quick] [--only shapes,throughput,…,channel] [--seconds N] [--no-profile]
//                           [--no-channel-cluster] [--docs | --no-docs]
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { waitQuiet } from "./lib/cpu.mjs";
import {
  BENCH_DIR,
  killAll,
  pinningInfo,
  ROOT,
  startDurableRef,
  startGenerator,
  startParley,
  startSocketIoRelay,
  startWsRelay,
} from "./lib/procs.mjs";
import { machineInfo, markdown, table, targetRows, updatePerformanceDoc } from "./lib/report.mjs";
import { seedUserPool } from "./lib/users.mjs";

// The storm runs before the memory scenario: memory binds its clients to several source addresses (to get past one
// address's port range), and the tens of thousands of bound sockets it leaves in TIME_WAIT for 60 s slow every
// connect() of a storm that follows (docs/performance.md, "Reconnect storm: what made it slow").
// The channel scenario runs last for the same reason: it opens tens of thousands of bound sockets.
const SCENARIOS = ["shapes", "throughput", "latency", "fanout", "storm", "memory", "cluster", "scaling", "channel"];

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    only: { type: "string" },
    seconds: { type: "string" },
    "no-profile": { type: "boolean", default: false },
    "no-channel-cluster": { type: "boolean", default: false },
    docs: { type: "boolean", default: false },
    "no-docs": { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  console.log(
    "Usage: node bench/run.mjs [--quick] [--only <scenario,...>] [--seconds N] [--no-profile] [--no-channel-cluster]\n" +
      "                          [--docs | --no-docs]\n" +
      `Scenarios: ${SCENARIOS.join(", ")}`,
  );
  process.exit(0);
}
const only = values.only
  ?.split(",")
  .map((s) => s.trim())
  .filter(Boolean);
for (const s of only ?? []) {
  if (!SCENARIOS.includes(s)) {
    console.error(`unknown scenario "${s}"; choose from ${SCENARIOS.join(", ")}`);
    process.exit(2);
  }
}
const seconds = values.seconds === undefined ? undefined : Number(values.seconds);
if (seconds !== undefined && !(seconds > 0 && seconds <= 120)) {
  console.error("--seconds must be a number of seconds between 0 and 120");
  process.exit(2);
}
if (!existsSync(join(ROOT, "packages/server/dist/index.js"))) {
  console.error("bench: packages/server/dist is missing; run `npm run build` first");
  process.exit(2);
}

const quick = values.quick;
const selected = SCENARIOS.filter((s) => !only || only.includes(s));
const started = performance.now();
const stamp = new Date().toISOString().replace(/[:.]/g, "-").slice(0, 19);
const resultsDir = join(BENCH_DIR, "results");
mkdirSync(resultsDir, { recursive: true });
const log = (msg) => console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)}s] ${msg}`);

// Hard limits: a run that overstays is stopped, its children killed, and what was measured so far is written.
const DEADLINE_MS = (quick ? 10 : 60) * 60_000;
const results = [];
let finished = false;
/** Total time the run may spend waiting for a quiet machine. */
let quietBudgetMs = quick ? 0 : 6 * 60_000;
const deadline = setTimeout(() => {
  log(`deadline of ${DEADLINE_MS / 60_000} min passed: stopping`);
  killAll();
  writeReports(true);
  process.exit(3);
}, DEADLINE_MS);
deadline.unref();
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.once(sig, () => {
    log(`${sig}: stopping`);
    killAll();
    writeReports(true);
    process.exit(130);
  });
}

const pinning = pinningInfo();
const machine = machineInfo(pinning);
log(`machine: ${machine.nproc} CPUs, ${machine.cpuModel}, Node ${machine.node}; pinning ${pinning.detail}`);
log(`scenarios: ${selected.join(", ")}${quick ? " (quick)" : ""}`);

const modules = {};
for (const s of selected) modules[s] = await import(`./scenarios/${s}.mjs`);

const ctx = {
  quick,
  stamp,
  resultsDir,
  log,
  pinning,
  skipProfile: values["no-profile"],
  /** The channel scenario's three-node part is skipped (and reported as skipped). */
  noChannelCluster: values["no-channel-cluster"],
  /** Seconds per load step (throughput rung, latency and fan-out runs use multiples of it). */
  stepSeconds: seconds ?? (quick ? 1 : 4),
  /** Seconds of warm-up load before a measured run (JIT, SQLite page cache). */
  warmupSeconds: quick ? 0.5 : 2,
  secondsOverride: seconds,
  pool: undefined,
  /** Before a measurement: waits (bounded, from a budget for the whole run) for other processes to calm down. */
  async waitQuiet() {
    if (quietBudgetMs <= 0) return;
    const t = performance.now();
    await waitQuiet({ log, maxMs: Math.min(quick ? 5000 : 60_000, quietBudgetMs) });
    quietBudgetMs -= performance.now() - t;
  },
  startParley: (opts = {}) => startParley({ pool: ctx.pool, ...opts }),
  startWsRelay,
  startSocketIoRelay,
  startDurableRef,
  startGenerator,
};

function writeReports(partial) {
  if (finished) return;
  finished = true;
  const total = (performance.now() - started) / 1000;
  const options = { quick, only, seconds, partial };
  const md = markdown({ machine, options, results, seconds: total, level: 2 });
  const json = { machine, options, seconds: total, results };
  const base = join(resultsDir, `bench-${stamp}${quick ? "-quick" : ""}`);
  writeFileSync(`${base}.json`, JSON.stringify(json, null, 2));
  writeFileSync(`${base}.md`, `# Parley benchmark\n\n${md}\n`);
  writeFileSync(join(resultsDir, "latest.md"), `# Parley benchmark\n\n${md}\n`);
  writeFileSync(join(resultsDir, "latest.json"), JSON.stringify(json, null, 2));
  const docs = values.docs || (!values["no-docs"] && !quick && !only && !partial);
  if (docs)
    updatePerformanceDoc(join(ROOT, "docs", "performance.md"), markdown({ machine, options, results, seconds: total, level: 4 }));
  console.log(`\nReports: ${base}.md, ${base}.json${docs ? ", docs/performance.md" : " (docs/performance.md not updated)"}`);
}

try {
  const usersNeeded = Math.max(0, ...selected.map((s) => modules[s].usersNeeded?.(ctx) ?? 0));
  if (usersNeeded > 0) {
    log(`user pool: registering ${usersNeeded} users through the HTTP API (argon2, once per run)`);
    ctx.pool = await seedUserPool(usersNeeded, log);
    log(`user pool: ${usersNeeded} users in ${ctx.pool.seconds.toFixed(1)} s`);
  }
  for (const s of selected) {
    const mod = modules[s];
    log(`── ${mod.title} ──`);
    const t0 = performance.now();
    let r;
    try {
      r = { name: s, title: mod.title, ...(await mod.run(ctx)) };
    } catch (error) {
      log(`${s} failed: ${error?.stack ?? error}`);
      r = { name: s, title: mod.title, error: String(error?.stack ?? error) };
    }
    killAll(); // nothing of one scenario may linger into the next
    r.seconds = (performance.now() - t0) / 1000;
    results.push(r);
    console.log(`\n## ${mod.title} (${r.seconds.toFixed(0)} s)\n`);
    if (r.error) console.log(`FAILED: ${r.error.split("\n")[0]}`);
    for (const sec of r.sections ?? []) {
      console.log(`### ${sec.heading}\n\n${table(sec.rows)}\n`);
      for (const n of sec.notes ?? []) console.log(n);
      console.log("");
    }
  }
} finally {
  killAll();
  if (ctx.pool) rmSync(ctx.pool.dir, { recursive: true, force: true });
}

console.log(`\n## Targets (${quick ? "quick mode: reduced sizes, indicative only" : "full suite"})\n`);
console.log(table(targetRows(results)));
console.log(`\nPinning: ${pinning.detail}. Machine: ${machine.nproc} × ${machine.cpuModel}, Node ${machine.node}.`);
writeReports(false);
clearTimeout(deadline);
process.exit(0);
