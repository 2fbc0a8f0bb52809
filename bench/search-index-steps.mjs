// Micro-benchmark of the embedded store's background search indexing (issue 16): how long each indexing step holds
// the event loop, and its CPU per message, while messages arrive at a steady rate as on a server.
//
// One store (file database, 1,000 users in 500 direct conversations by default), first filled with `--prefill`
// messages indexed the way the server indexes them (so the FTS5 index has the segment structure of a server that has
// run a while), then `--rate` messages per second for `--seconds`, one commit per 1 ms timer turn (what had become due),
// bodies like the benchmark's chat lines. The store's own indexer runs on its own timer; every synchronous call of it
// (indexBatch, or whatever it calls per step) is timed. Prints the count, p50, p99 and max of the step durations, the
// event loop's longest delay (monitorEventLoopDelay), the indexing CPU (process user + system during the steps) per
// indexed message, and the index's segment count at the end.
//   node bench/search-index-steps.mjs [--rate 3000] [--seconds 20] [--prefill 200000] [--conversations 500]
//   [--dist <server dist>]   another build's server dist (e.g. a copy made before a change; default this build's)
//   [--fts automerge=0,…]   FTS5 settings for the measured part
//   [--no-checkpoints]   no automatic WAL checkpoint during the measured part (one would run inside whichever commit
//                        crosses 1,000 pages, an indexing step's too)
//   [--step-ms 3]   the store's searchIndexStepMs (a build that sizes its indexing steps by time)
//   [--breakdown]   also time the parts of a slice: each of the indexer's statements (INDEXING_SQL: the INSERT
//                   tokenizing into FTS5's memory, the pending marks' DELETE), and the COMMIT with the rest (the FTS5
//                   segment write and the WAL write)
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "3000" },
    seconds: { type: "string", default: "20" },
    prefill: { type: "string", default: "200000" },
    conversations: { type: "string", default: "500" },
    breakdown: { type: "boolean", default: false },
    dist: { type: "string", default: join(import.meta.dirname, "../packages/server/dist") },
    fts: { type: "string" },
    "step-ms": { type: "string" },
    "no-checkpoints": { type: "boolean", default: false },
  },
});
const { SqliteStore } = await import(pathToFileURL(resolve(values.dist, "adapters/sqlite/sqlite-store.js")).href);

const CONVERSATIONS = Number(values.conversations);
const RATE = Number(values.rate);
const PAD = " lorem ipsum dolor sit amet, consectetur adipiscing elit";
const q = (a, f) => (a.length === 0 ? 0 : [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(a.length * f))]);
const cpuSince = (t) => {
  const d = process.cpuUsage(t);
  return d.user + d.system;
};

const dir = mkdtempSync(join(tmpdir(), "parley-index-steps-"));
const store = SqliteStore.open(join(dir, "p.db"), {
  searchIndexIntervalMs: 60_000,
  ...(values["step-ms"] === undefined ? {} : { searchIndexStepMs: Number(values["step-ms"]) }),
});
for (let c = 0; c < CONVERSATIONS; c++) {
  for (const u of [2 * c, 2 * c + 1]) {
    await store.createUser({ id: `u${u}`, username: `u${u}`, displayName: `u${u}`, passwordHash: "x", createdAt: 1 });
  }
  await store.openDirect({ id: `c${c}`, userA: `u${2 * c}`, userB: `u${2 * c + 1}`, messageId: `m0-${c}`, createdAt: 1 });
}
let n = 0;
function drafts(count) {
  return Array.from({ length: count }, () => {
    const c = (++n * 7919) % CONVERSATIONS;
    return {
      id: `m${n}`,
      conversationId: `c${c}`,
      senderId: `u${2 * c + (n & 1)}`,
      clientId: `cl${n}`,
      body: `${n}|${(performance.now() + 1e6 * Math.random()).toFixed(3)}|${PAD}`,
      createdAt: 2,
    };
  });
}

const indexer = store.searchIndexer;
// Prefill: sends in commits of 16, indexed in the indexer's background steps every 600 messages (200 ms at 3,000/s).
const prefill = Number(values.prefill);
const t0 = performance.now();
const drain = () => {
  if (typeof indexer.step === "function") while (indexer.step() || indexer.hasPending());
  else while (indexer.indexBatch() > 0);
};
// The prefill's indexing CPU per message: the cost over many merges of every level, which a 20 s run sees only
// in part (FTS5's merges of its largest segments are rare and large).
let prefillIndexCpu = 0;
const timedDrain = () => {
  const cpu = process.cpuUsage();
  drain();
  prefillIndexCpu += cpuSince(cpu);
};
for (let done = 0; done < prefill; done += 16) {
  await store.append(drafts(16));
  if (done % 592 === 0) timedDrain();
}
timedDrain();
console.log(
  `prefill: ${prefill} messages in ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
    `indexing CPU ${(prefillIndexCpu / Math.max(1, prefill)).toFixed(2)} µs/msg`,
);

// Every synchronous indexing step, timed: the method the indexer's timer calls per turn.
const steps = [];
const stepCpus = [];
/** Durations of the steps by kind: "slice" (indexing) or "merge" (a build that merges in steps of its own). */
const kinds = { slice: [], merge: [] };
const kindCpu = { slice: 0, merge: 0 };
const kindCpus = { slice: [], merge: [] };
let stepCpu = 0;
let indexedInSteps = 0;
const stepMethod = typeof indexer.step === "function" ? "step" : "indexBatch";
const original = indexer[stepMethod].bind(indexer);
indexer[stepMethod] = (...args) => {
  const kind = indexer.mergeOwed ? "merge" : "slice";
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = original(...args);
  steps.push(performance.now() - start);
  kinds[kind].push(steps.at(-1));
  stepCpus.push(cpuSince(cpu) / 1000);
  kindCpu[kind] += stepCpus.at(-1) * 1000;
  kindCpus[kind].push(stepCpus.at(-1));
  stepCpu += stepCpus.at(-1) * 1000;
  return result;
};

const parts = {};
if (values.breakdown) {
  // The indexer's own statements (search-indexer.ts, INDEXING_SQL), each run timed where the indexer runs it; what a
  // slice spends outside them is its COMMIT (the FTS5 segment write and the WAL write) and its bookkeeping.
  const { INDEXING_SQL } = await import(pathToFileURL(resolve(values.dist, "adapters/sqlite/search-indexer.js")).href);
  if (!INDEXING_SQL) throw new Error("--breakdown needs a build whose search-indexer.js exports INDEXING_SQL");
  const names = new Map(Object.entries(INDEXING_SQL).map(([name, sql]) => [sql, name]));
  for (const name of [...names.values(), "commit and the rest"]) parts[name] = [];
  /** Time spent inside the indexer's statements so far, ms. */
  let inStatements = 0;
  const Statement = Object.getPrototypeOf(store.db.prepare("SELECT 1"));
  const timed = (method) => {
    const original = Statement[method];
    Statement[method] = function (...args) {
      const name = names.get(this.source);
      if (name === undefined) return original.apply(this, args);
      const t = performance.now();
      try {
        return original.apply(this, args);
      } finally {
        const ms = performance.now() - t;
        parts[name].push(ms);
        inStatements += ms;
      }
    };
  };
  for (const method of ["run", "all", "get", "iterate"]) timed(method);
  const slice = indexer.indexBatch.bind(indexer);
  indexer.indexBatch = (...args) => {
    const before = inStatements;
    const start = performance.now();
    const result = slice(...args);
    parts["commit and the rest"].push(performance.now() - start - (inStatements - before));
    return result;
  };
}

// --fts "automerge=0,crisismerge=64": FTS5 configuration for the measured part.
for (const setting of values.fts?.split(",") ?? []) {
  const [name, value] = setting.split("=");
  store.db.prepare(`INSERT INTO message_search (message_search, rank) VALUES (?, ${Number(value)})`).run(name);
}
// --no-checkpoints: no automatic WAL checkpoint during the measured part, so that none lands in an indexing commit.
if (values["no-checkpoints"]) store.db.pragma("wal_autocheckpoint = 0");
// The store's own timer from now on, as on a server.
// (The prefill's appends left a 60 s timer running: cleared, so the next append schedules at the new interval.)
indexer.intervalMs = 200;
clearTimeout(indexer.timer);
indexer.timer = undefined;

const loop = monitorEventLoopDelay({ resolution: 1 });
loop.enable();
const sent0 = n;
const start = performance.now();
const end = start + Number(values.seconds) * 1000;
const appendCpu0 = process.cpuUsage();
let commits = 0;
while (performance.now() < end) {
  const due = Math.floor(((performance.now() - start) / 1000) * RATE) - (n - sent0);
  if (due > 0) {
    await store.append(drafts(due));
    commits++;
  }
  await new Promise((r) => setTimeout(r, 1));
}
loop.disable();
const totalCpu = cpuSince(appendCpu0);
const sent = n - sent0;
// What the timer had not got to yet: indexed (and merged) in the same steps, so the CPU per message counts it all.
const before = steps.length;
clearTimeout(indexer.timer);
drain();
indexedInSteps = sent;
const f = (x) => x.toFixed(2);
const segments = store.db.prepare("SELECT count(DISTINCT segid) FROM message_search_idx").pluck().get();
console.log(
  `${sent} messages in ${commits} commits over ${values.seconds} s (${(sent / Number(values.seconds)).toFixed(0)}/s), ` +
    `${CONVERSATIONS} conversations; indexing steps: ${before} (${steps.length} with the drain at the end), duration p50 ${f(q(steps, 0.5))} p99 ${f(q(steps, 0.99))} ` +
    `max ${f(q(steps, 1))} ms (CPU p99 ${f(q(stepCpus, 0.99))} max ${f(q(stepCpus, 1))} ms), in total ${f(steps.reduce((a, b) => a + b, 0))} ms; ` +
    `indexing CPU ${f(stepCpu / indexedInSteps)} µs/msg; whole process CPU ${f(totalCpu / sent)} µs/msg; ` +
    `event loop delay max ${f(loop.max / 1e6)} p99 ${f(loop.percentile(99) / 1e6)} ms; FTS5 segments ${segments}`,
);
for (const [name, a] of Object.entries(kinds)) {
  if (a.length > 0) {
    console.log(
      `  ${name} steps: ${a.length}, p50 ${f(q(a, 0.5))} p99 ${f(q(a, 0.99))} max ${f(q(a, 1))} ms, ` +
        `CPU p99 ${f(q(kindCpus[name], 0.99))} max ${f(q(kindCpus[name], 1))} ms, ${f(kindCpu[name] / indexedInSteps)} µs/msg`,
    );
  }
}
if (values.breakdown) {
  for (const [name, a] of Object.entries(parts)) {
    console.log(`  ${name}: p50 ${f(q(a, 0.5))} p99 ${f(q(a, 0.99))} max ${f(q(a, 1))} ms`);
  }
}
await store.close();
rmSync(dir, { recursive: true, force: true });
