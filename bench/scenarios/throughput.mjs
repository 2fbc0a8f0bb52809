// Scenario 2: 1:1 throughput. For each server (ws relay, Socket.IO + SQLite, Parley) the highest rate sustained with
// p99 send→deliver under 100 ms and no errors, losses or missing acks, found by stepping the rate up and stopping a
// server's ladder at its first failure (if the first rung fails, stepping down instead). Then Parley once more with
// --cpu-prof at the first rate it failed, to show where the time goes.
import { DISTURBED, measured } from "../lib/cpu.mjs";
import { hrNowUs, profiled, profileSection } from "../lib/profile.mjs";

export const name = "throughput";
export const title = "1:1 throughput";

const P99_LIMIT_MS = 100;
const PAIRS = 50;

export function usersNeeded() {
  return PAIRS * 2;
}

function rungs(ctx) {
  // On a fast day the relay passed 48k at 65% of a core, so the ladder goes on until the generator (one core) gives
  // out; a rung it cannot keep up with fails as "generator" and the relay's number is then a lower bound.
  return ctx.quick ? [2000] : [2000, 4000, 8000, 12000, 16000, 24000, 32000, 40000, 48000, 56000, 64000, 72000, 80000];
}
const DOWN = [1000, 500, 250];

/** Why a step does not count as sustained, or "" when it does. */
export function verdict(r, limitMs = P99_LIMIT_MS) {
  const why = [];
  if (r.lost > 0) why.push(`${r.lost} lost`);
  if (r.unacked > 0) why.push(`${r.unacked} unacked`);
  if (r.errors > 0)
    why.push(
      `${r.errors} errors (${Object.entries(r.errorCodes ?? {})
        .map(([k, v]) => `${v}× ${k}`)
        .join(", ")})`,
    );
  if (!(r.deliver.p99 < limitMs)) why.push(`p99 ${r.deliver.p99.toFixed(0)} ms`);
  if (r.genRate < r.rate * 0.97) why.push(`generator reached only ${Math.round(r.genRate)}/s`);
  return why.join(", ");
}

/**
 * Steps one server's ladder (spec: label, start() → server with pid or pids, alive and stop(), setupArgs(server),
 * rungs); returns the rows and the highest sustained rate (0 when none).
 */
export async function ladder(ctx, spec) {
  const rows = [];
  let best = 0;
  let firstFail;
  /** Whether the first failure looks like the generator's limit rather than the server's. */
  let generatorBound = false;
  /** Whether the failure that ended the ladder happened while other processes took a good part of a core. */
  let disturbedEnd = false;
  let last;
  const server = await spec.start();
  const gen = await ctx.startGenerator();
  try {
    const setup = await gen.call("lib/pair-load.mjs", "setup", spec.setupArgs(server), 180_000);
    ctx.log(`  ${spec.label}: ${setup.connections} connections in ${setup.setupSeconds.toFixed(1)} s`);
    // Warm-up (JIT, SQLite page cache), not reported.
    await gen.call("lib/pair-load.mjs", "step", { rate: 1000, seconds: Math.min(1, ctx.warmupSeconds), drainMs: 2000 });
    const run = async (rate, retried = false) => {
      await ctx.waitQuiet();
      const r = await measured(
        [server],
        () => gen.call("lib/pair-load.mjs", "step", { rate, seconds: ctx.stepSeconds, drainMs: 3000 }, 120_000),
        gen,
        { infra: spec.infra ?? [] },
      );
      const why = verdict(r);
      // A failure while other processes took a good part of a core says little about the server: repeat it once.
      const disturbed = why !== "" && r.otherCpu > DISTURBED && !retried && !ctx.quick && server.alive;
      rows.push(row(spec.label, r, disturbed ? `${why} (disturbed: repeated)` : why));
      ctx.log(
        `  ${spec.label} @ ${rate}/s: p99 ${r.deliver.p99.toFixed(1)} ms, lost ${r.lost}, server CPU ${(r.serverCpu * 100).toFixed(0)}%, ` +
          `generator CPU ${(r.genCpu * 100).toFixed(0)}%, other processes ${(r.otherCpu * 100).toFixed(0)}% → ${why || "ok"}`,
      );
      await new Promise((res) => setTimeout(res, 500));
      if (disturbed) return run(rate, true);
      last = r;
      return why === "";
    };
    for (const rate of spec.rungs) {
      if (await run(rate)) best = rate;
      else {
        firstFail = rate;
        generatorBound = last.genCpu > 0.9 || (last.genRate < rate * 0.97 && last.serverCpu < 0.9);
        disturbedEnd = last.otherCpu > DISTURBED;
        break;
      }
      if (!server.alive) break;
    }
    if (best === 0 && server.alive && !ctx.quick) {
      for (const rate of DOWN.filter((r) => r < spec.rungs[0])) {
        if (await run(rate)) {
          best = rate;
          break;
        }
      }
    }
  } finally {
    await gen.call("lib/pair-load.mjs", "close", {}, 10_000).catch(() => {});
    await gen.kill();
    await server.stop();
  }
  return { rows, best, firstFail, generatorBound, disturbedEnd };
}

export function row(label, r, why) {
  return {
    server: label,
    "rate/s": r.rate,
    sent: r.sent,
    lost: r.lost,
    errors: r.errors + r.unacked,
    "ack p50": r.ack.p50,
    "ack p99": r.ack.p99,
    "deliver p50": r.deliver.p50,
    "deliver p99": r.deliver.p99,
    "deliver max": r.deliver.max,
    "server CPU": `${Math.round(r.serverCpu * 100)}%`,
    "gen CPU": `${Math.round(r.genCpu * 100)}%`,
    ...(r.infraCpu > 0 ? { "pg+redis CPU": `${Math.round(r.infraCpu * 100)}%` } : {}),
    "other CPU": `${Math.round(r.otherCpu * 100)}%`,
    result: why === "" ? "ok" : `FAIL: ${why}`,
  };
}

export async function run(ctx) {
  const pool = ctx.pool;
  const parleyArgs = (server) => ({ kind: "parley", url: server.url, pairs: PAIRS, users: pool.users, receipts: false });
  const specs = [
    {
      key: "ws",
      label: "ws relay",
      start: () => ctx.startWsRelay(),
      setupArgs: (s) => ({ kind: "ws", wsUrl: s.wsUrl, pairs: PAIRS }),
    },
    {
      key: "sio",
      label: "socket.io+sqlite",
      start: () => ctx.startSocketIoRelay({ synchronous: "full" }),
      setupArgs: (s) => ({ kind: "sio", url: s.url, pairs: PAIRS }),
    },
    { key: "parley", label: "parley", start: () => ctx.startParley(), setupArgs: parleyArgs },
  ];
  if (!ctx.quick) {
    // Secondary rows: the same two durable servers without the fsync per commit (no targets attached).
    specs.push(
      {
        key: "sioNormal",
        label: "socket.io+sqlite (sync=normal)",
        start: () => ctx.startSocketIoRelay({ synchronous: "normal" }),
        setupArgs: (s) => ({ kind: "sio", url: s.url, pairs: PAIRS }),
      },
      {
        key: "parleyNormal",
        label: "parley (sync=normal)",
        start: () => ctx.startParley({ env: { PARLEY_SQLITE_SYNCHRONOUS: "normal" } }),
        setupArgs: parleyArgs,
      },
    );
  }
  const results = {};
  const rows = [];
  for (const spec of specs) {
    ctx.log(`throughput: ${spec.label}`);
    results[spec.key] = await ladder(ctx, { ...spec, rungs: rungs(ctx) });
    rows.push(...results[spec.key].rows);
  }
  const ws = results.ws.best;
  const sio = results.sio.best;
  const parley = results.parley.best;
  const ratio = (a, b) => (b > 0 ? a / b : Number.POSITIVE_INFINITY);
  const summary = specs.map((s) => ({
    server: s.label,
    "sustained msg/s": results[s.key].best,
    "first failing rate": results[s.key].firstFail ?? "none (top rung passed)",
    "limited by":
      results[s.key].firstFail === undefined
        ? "ladder top"
        : results[s.key].generatorBound
          ? "load generator"
          : results[s.key].disturbedEnd
            ? "server, or other processes (failed twice while disturbed)"
            : "server",
  }));
  /** The server's real ceiling is above what was measured (top rung passed, or the generator gave out first). */
  const topped = (key) => results[key].best > 0 && (results[key].firstFail === undefined || results[key].generatorBound);
  const notes = [
    `${PAIRS} pairs (${PAIRS * 2} connections), ${ctx.stepSeconds} s per rung, one fresh server per ladder, receipts off (the relays have none);`,
    `a rung passes with p99 send→deliver < ${P99_LIMIT_MS} ms, nothing lost or unacknowledged, no errors and the generator on schedule.`,
    "Latencies in ms. socket.io+sqlite: one committed SQLite transaction per message, synchronous=FULL like Parley's default.",
  ];
  if (topped("ws") || topped("parley"))
    notes.push(
      "A server limited by the ladder top or by the load generator (one core) may sustain more: its number is a lower bound and a ratio against it an upper bound.",
    );

  // CPU profile of Parley at the first rate it could not sustain (or the top rung).
  let profile;
  const profileRate = results.parley.firstFail ?? rungs(ctx).at(-1);
  if (!ctx.skipProfile) {
    ctx.log(`throughput: CPU profile of Parley at ${profileRate}/s`);
    profile = await profileParley(ctx, profileRate, parleyArgs).catch((error) => {
      ctx.log(`  profile failed: ${error.message}`);
      return undefined;
    });
  }

  const targets = [
    {
      target: "1:1 throughput ≥ 0.5× ws relay",
      disturbed: results.parley.disturbedEnd || results.ws.disturbedEnd,
      measured: `${parley}/s vs ${topped("ws") ? "≥ " : ""}${ws}/s = ${topped("ws") ? "≤ " : ""}${ratio(parley, ws).toFixed(2)}×${topped("ws") ? " (relay not saturated)" : ""}`,
      // With the relay not saturated the ratio is an upper bound: it can prove a FAIL, not a PASS.
      pass: ratio(parley, ws) >= 0.5 ? (topped("ws") ? null : true) : topped("parley") ? null : false,
    },
    {
      target: "1:1 throughput ≥ 2× socket.io+sqlite",
      disturbed: results.parley.disturbedEnd || results.sio.disturbedEnd,
      measured: `${parley}/s vs ${sio}/s = ${sio > 0 ? ratio(parley, sio).toFixed(2) + "×" : "∞ (socket.io sustained no rung)"}`,
      pass: ratio(parley, sio) >= 2 ? true : topped("parley") || topped("sio") ? null : false,
    },
  ];
  const sections = [
    { heading: "1:1 throughput: highest sustained rate", rows: summary, notes },
    {
      heading: "1:1 throughput: every rung",
      rows,
      notes: [
        "server CPU and gen CPU: share of one core used by the server process(es) and by the load generator; other CPU: " +
          "CPU used meanwhile by every other process on the machine (in cores × 100%), a measure of disturbance.",
      ],
    },
  ];
  if (profile)
    sections.push(profileSection(`CPU profile: Parley at ${profileRate} msg/s 1:1 (top 15 functions by self time)`, profile));
  return {
    sections,
    targets,
    data: { results, ratios: { parleyOverWs: ratio(parley, ws), parleyOverSocketIo: ratio(parley, sio) }, profile },
  };
}

async function profileParley(ctx, rate, parleyArgs) {
  let step;
  const profile = await profiled(
    ctx,
    "parley-1to1",
    (execArgv) => ctx.startParley({ execArgv }),
    async (server) => {
      const gen = await ctx.startGenerator();
      try {
        await gen.call("lib/pair-load.mjs", "setup", parleyArgs(server), 180_000);
        await gen.call("lib/pair-load.mjs", "step", { rate: 1000, seconds: 1, drainMs: 2000 });
        const from = hrNowUs();
        step = await gen.call(
          "lib/pair-load.mjs",
          "step",
          { rate, seconds: Math.max(3, ctx.stepSeconds), drainMs: 3000 },
          120_000,
        );
        const to = hrNowUs();
        await gen.call("lib/pair-load.mjs", "close", {}, 10_000).catch(() => {});
        return { from, to };
      } finally {
        await gen.kill();
      }
    },
  );
  return { ...profile, rate, step: { p99: step?.deliver.p99, lost: step?.lost } };
}
