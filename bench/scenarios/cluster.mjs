// Scenario 7: cluster. Three Parley nodes on PostgreSQL + Redis (started through @parley/server/testing with a fresh
// schema and Redis prefix), the 1:1 ladder with every pair split across two nodes, and the 500-member fan-out with
// the members spread over the three nodes. Skipped with a line saying why when cluster mode or its services are
// not available.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { measured } from "../lib/cpu.mjs";
import { api } from "../lib/parley-client.mjs";
import { pinPid, RATE_LIMITS_OFF, ROOT, SERVER_CPU } from "../lib/procs.mjs";
import { fanoutRow, sizes as fanoutSizes, P99_TARGET_MS } from "./fanout.mjs";
import { ladder } from "./throughput.mjs";

export const name = "cluster";
export const title = "Cluster (3 nodes, PostgreSQL + Redis)";

const NODES = 3;
/** Shared services whose CPU use is reported in its own column. */
const INFRA = ["postgres", "redis-server"];
const PAIRS = 50;

/** Why cluster mode cannot run here, or undefined when it can. */
export async function unavailable() {
  const dist = join(ROOT, "packages/server/dist");
  if (
    !existsSync(join(dist, "adapters/postgres/postgres-store.js")) ||
    !existsSync(join(dist, "adapters/redis/redis-broker.js"))
  ) {
    return "cluster mode not available";
  }
  const { CONFIG_VARS } = await import(join(dist, "index.js"));
  if (CONFIG_VARS?.databaseUrl?.env !== "PARLEY_DATABASE_URL" || CONFIG_VARS?.redisUrl?.env !== "PARLEY_REDIS_URL") {
    return "cluster mode not available";
  }
  // The harness is test code: it lives in the test build (dist-test/), never in the shipped dist/.
  const testing = await import(join(ROOT, "packages/server/dist-test/testing.js")).catch(() => undefined);
  if (!testing?.Cluster) return "cluster mode not available (no @parley/server/testing Cluster harness)";
  try {
    await testing.probeClusterServices({ haproxy: false });
  } catch (error) {
    return `cluster mode available, but its services are not: ${error.message}`;
  }
  return undefined;
}

export async function register(nodes, count) {
  const users = new Array(count);
  const tag = Math.random().toString(36).slice(2, 8);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < count) {
        const i = next++;
        const r = await api(nodes[i % nodes.length].url, "POST", "/v1/auth/register", {
          username: `k${tag}_${i}`,
          password: "benchmark-password",
        });
        users[i] = { id: r.user.id, token: r.accessToken };
      }
    }),
  );
  return users;
}

export async function run(ctx) {
  const why = await unavailable();
  if (why) {
    const line = `cluster: skipped (${why})`;
    console.log(line);
    return { sections: [{ heading: "Cluster", rows: [{ cluster: line }] }], targets: [], data: { skipped: why } };
  }
  const { Cluster } = await import(join(ROOT, "packages/server/dist-test/testing.js"));
  const { members, rate } = fanoutSizes(ctx);
  ctx.log(`cluster: starting ${NODES} nodes`);
  const cluster = await Cluster.start({
    nodes: NODES,
    haproxy: false,
    env: { ...RATE_LIMITS_OFF, PARLEY_LOG_LEVEL: "error", PARLEY_ACCESS_TOKEN_TTL: "86400" },
  });
  let ladderResult;
  let fan;
  let pinned = false;
  try {
    const nodes = cluster.nodes.map((n) => ({ url: n.url, wsUrl: `${n.url.replace(/^http/, "ws")}/v1/ws` }));
    const started = performance.now();
    // Registration (argon2) runs before pinning, on both cores: it is set-up, not measurement.
    const users = await register(nodes, Math.max(members, PAIRS * 2));
    ctx.log(`cluster: ${users.length} users registered in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    pinned = cluster.nodes.every((n) => pinPid(n.child.pid, SERVER_CPU));
    const handle = {
      pids: cluster.nodes.map((n) => n.child.pid),
      get alive() {
        return cluster.nodes.every((n) => n.alive);
      },
      stop: async () => {},
    };

    ctx.log("cluster: 1:1 ladder, every pair across two nodes");
    ladderResult = await ladder(ctx, {
      label: `parley ${NODES} nodes`,
      start: async () => handle,
      infra: INFRA,
      setupArgs: () => ({ kind: "parley", nodes, pairs: PAIRS, users, receipts: false }),
      rungs: ctx.quick ? [500] : [1000, 2000, 4000, 8000, 12000, 16000],
    });

    ctx.log(`cluster: ${members}-member fan-out over ${NODES} nodes`);
    const gen = await ctx.startGenerator();
    try {
      const seconds = ctx.secondsOverride ?? (ctx.quick ? 2 : 10);
      await gen.call("lib/fanout-load.mjs", "setup", { nodes, users: users.slice(0, members) }, 300_000);
      await gen.call("lib/fanout-load.mjs", "step", { rate, seconds: ctx.warmupSeconds, drainMs: 3000 }, 60_000);
      await ctx.waitQuiet();
      fan = await measured(
        [handle],
        () => gen.call("lib/fanout-load.mjs", "step", { rate, seconds, drainMs: 3000 }, 180_000),
        gen,
        { infra: INFRA },
      );
      ctx.log(`  fan-out p50 ${fan.deliver.p50.toFixed(1)} ms, p99 ${fan.deliver.p99.toFixed(1)} ms`);
      await gen.call("lib/fanout-load.mjs", "close", {}, 20_000).catch(() => {});
    } finally {
      await gen.kill();
    }
  } finally {
    await cluster.close();
  }
  const placement = pinned
    ? `all ${NODES} nodes pinned to CPU ${SERVER_CPU}, the generator to the other; PostgreSQL and Redis unpinned`
    : "nodes not pinned";
  return {
    sections: [
      {
        heading: `1:1 across ${NODES} nodes: every rung`,
        rows: ladderResult.rows,
        notes: [
          `${PAIRS} pairs, sender and receiver of each pair on different nodes (every message crosses Redis); receipts off; ` +
            `${placement}. server CPU is the sum over the nodes; pg+redis CPU: every PostgreSQL and Redis process on the machine.`,
          `Highest sustained rate: ${ladderResult.best} msg/s (p99 send→deliver < 100 ms, nothing lost).`,
        ],
      },
      {
        heading: `Fan-out across ${NODES} nodes: one ${members}-member group, ${rate} msg/s, receipts on (latency in ms)`,
        rows: [fanoutRow(`parley, ${NODES} nodes`, fan)],
        notes: ["Members connect round robin to the nodes; the group lives in PostgreSQL, events travel over Redis."],
      },
    ],
    targets: [
      {
        target: `cluster fan-out (${members} members over ${NODES} nodes) p99 < ${P99_TARGET_MS} ms (informative)`,
        measured: `p99 ${fan.deliver.p99.toFixed(1)} ms, ${Math.round(fan.deliveriesPerSecond)} deliveries/s, ${fan.lost} lost`,
        pass: null,
      },
    ],
    data: { ladder: ladderResult, fanout: fan, pinned },
  };
}
