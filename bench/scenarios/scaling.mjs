// Scenario 8 (run with --only scaling): does adding a node add capacity? 1, 2 and 3 Parley nodes on PostgreSQL and
// Redis, each node held to the same share of a core by a cgroup CPU quota (PARLEY_BENCH_NODE_CPU, default 0.3), so
// that on a 2-core machine N nodes have N times the CPU of one, as N machines would. For each N: the 1:1 ladder with
// every pair across two nodes (one node: both on it), and at a fixed low rate the cost of one message in every
// component: node CPU, PostgreSQL CPU and WAL bytes, Redis CPU, commands and bytes. docs/scaling.md builds its model
// from these numbers.
import { join } from "node:path";
import { cgroupSupport, limitCpu, removeAll, throttled } from "../lib/cgroup.mjs";
import { measured, pidsByName } from "../lib/cpu.mjs";
import { engineCounters, engineDelta } from "../lib/engine-stats.mjs";
import { cpuSecondsOf, RATE_LIMITS_OFF, ROOT } from "../lib/procs.mjs";
import { register, unavailable } from "./cluster.mjs";
import { ladder } from "./throughput.mjs";

export const name = "scaling";
export const title = "Scaling: 1, 2 and 3 nodes, each held to the same CPU share";

const PAIRS = 50;
const COUNTS = [1, 2, 3];

/** CPU seconds of the processes named `names` (summed), for the engines' own columns. */
function cpuOf(names) {
  return pidsByName(names).reduce((sum, pid) => sum + (cpuSecondsOf(pid) || 0), 0);
}

/** Per-message costs at a fixed rate the quota-limited nodes carry easily. */
async function costs(ctx, handle, nodes, users, rate) {
  const gen = await ctx.startGenerator();
  try {
    await gen.call("lib/pair-load.mjs", "setup", { kind: "parley", nodes, pairs: PAIRS, users, receipts: false }, 180_000);
    await gen.call("lib/pair-load.mjs", "step", { rate, seconds: 1, drainMs: 2000 });
    await ctx.waitQuiet();
    const before = { engines: await engineCounters(), pg: cpuOf(["postgres"]), redis: cpuOf(["redis-server"]) };
    const r = await measured(
      [handle],
      () => gen.call("lib/pair-load.mjs", "step", { rate, seconds: ctx.stepSeconds * 2, drainMs: 3000 }, 120_000),
      gen,
    );
    const pgCpu = cpuOf(["postgres"]) - before.pg;
    const redisCpu = cpuOf(["redis-server"]) - before.redis;
    const delta = await engineDelta(before.engines, await engineCounters());
    const messages = r.sent;
    const wall = ctx.stepSeconds * 2;
    return {
      rate,
      messages,
      lost: r.lost,
      p99: r.deliver.p99,
      nodeUs: (r.serverCpu * wall * 1e6) / messages,
      pgUs: (pgCpu * 1e6) / messages,
      redisUs: (redisCpu * 1e6) / messages,
      walBytes: delta.walBytes / messages,
      redisCommands: delta.redisCommands / messages,
      redisBytes: delta.redisBytes / messages,
    };
  } finally {
    await gen.call("lib/pair-load.mjs", "close", {}, 10_000).catch(() => {});
    await gen.kill();
  }
}

export async function run(ctx) {
  const why = (await unavailable()) ?? cgroupSupport().why;
  if (why) {
    const line = `scaling: skipped (${why})`;
    console.log(line);
    return { sections: [{ heading: "Scaling", rows: [{ scaling: line }] }], targets: [], data: { skipped: why } };
  }
  const support = cgroupSupport();
  const share = Number(process.env.PARLEY_BENCH_NODE_CPU ?? 0.3);
  const costRate = ctx.quick ? 100 : 200;
  const { Cluster } = await import(join(ROOT, "packages/server/dist-test/testing.js"));
  const results = [];
  try {
    for (const count of COUNTS) {
      ctx.log(`scaling: ${count} node(s), each held to ${share} of a core`);
      const cluster = await Cluster.start({
        nodes: count,
        haproxy: false,
        env: { ...RATE_LIMITS_OFF, PARLEY_LOG_LEVEL: "error", PARLEY_ACCESS_TOKEN_TTL: "86400" },
      });
      try {
        const nodes = cluster.nodes.map((n) => ({ url: n.url, wsUrl: `${n.url.replace(/^http/, "ws")}/v1/ws` }));
        // Registration (argon2) before the quotas: it is set-up, not measurement.
        const users = await register(nodes, PAIRS * 2);
        const groups = cluster.nodes.map((n, i) => limitCpu(support, n.child.pid, share, `n${count}-${i}`));
        const handle = {
          pids: cluster.nodes.map((n) => n.child.pid),
          get alive() {
            return cluster.nodes.every((n) => n.alive);
          },
          stop: async () => {},
        };
        const cost = await costs(ctx, handle, nodes, users, costRate);
        ctx.log(
          `  per message: node ${cost.nodeUs.toFixed(0)} µs, pg ${cost.pgUs.toFixed(0)} µs + ${cost.walBytes.toFixed(0)} WAL bytes, ` +
            `redis ${cost.redisUs.toFixed(0)} µs, ${cost.redisCommands.toFixed(2)} commands, ${cost.redisBytes.toFixed(0)} bytes`,
        );
        const throttledBefore = groups.map(throttled);
        const result = await ladder(ctx, {
          label: `${count} node${count > 1 ? "s" : ""} × ${share} core`,
          start: async () => handle,
          infra: ["postgres", "redis-server"],
          setupArgs: () => ({ kind: "parley", nodes, pairs: PAIRS, users, receipts: false }),
          rungs: ctx.quick ? [200, 400, 800] : [100, 150, 200, 300, 400, 500, 600, 700, 800, 1000, 1200, 1500, 2000, 2500, 3000],
        });
        const throttledSeconds = groups.reduce((sum, g, i) => sum + (throttled(g).seconds - throttledBefore[i].seconds), 0);
        results.push({
          count,
          best: result.best,
          rows: result.rows,
          cost,
          throttledSeconds,
          generatorBound: result.generatorBound,
        });
        ctx.log(`  ${count} node(s): ${result.best} msg/s sustained (quota throttled ${throttledSeconds.toFixed(1)} s)`);
      } finally {
        await cluster.close();
      }
    }
  } finally {
    removeAll(support);
  }
  const best = results.map((r) => r.best);
  const adds = best.every((b, i) => i === 0 || b > best[i - 1]);
  return {
    sections: [
      {
        heading: `Capacity by node count, each node held to ${share} of a core (cgroup CPU quota)`,
        rows: results.map((r) => ({
          nodes: r.count,
          "highest 1:1 rate (p99 < 100 ms)": r.best,
          "quota throttling during the ladder (s)": r.throttledSeconds.toFixed(1),
          "limited by": r.generatorBound ? "generator" : "nodes' quota or engines",
        })),
        notes: [
          `${PAIRS} pairs, each pair's two users on different nodes (one node: both on it); receipts off; ` +
            "PostgreSQL, Redis and the generator are not limited (they share the machine's two cores).",
        ],
      },
      {
        heading: `Cost of one message by component at ${costRate} msg/s (model inputs for docs/scaling.md)`,
        rows: results.map((r) => ({
          nodes: r.count,
          "node CPU µs": r.cost.nodeUs.toFixed(0),
          "PostgreSQL CPU µs": r.cost.pgUs.toFixed(0),
          "WAL bytes": r.cost.walBytes.toFixed(0),
          "Redis CPU µs": r.cost.redisUs.toFixed(0),
          "Redis commands": r.cost.redisCommands.toFixed(2),
          "Redis bytes": r.cost.redisBytes.toFixed(0),
          "p99 ms": r.cost.p99.toFixed(1),
        })),
        notes: ["Node CPU is the sum over the nodes; PostgreSQL and Redis: all their processes on the machine."],
      },
      ...results.map((r) => ({ heading: `Ladder, ${r.count} node(s)`, rows: r.rows })),
    ],
    targets: [
      {
        target: "adding a node adds capacity (each node held to the same CPU share)",
        measured: best.map((b, i) => `${COUNTS[i]} node(s): ${b} msg/s`).join(", "),
        pass: adds,
      },
    ],
    data: { share, results },
  };
}
