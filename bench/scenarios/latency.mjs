// Scenario 3: latency at fixed load. 1,000 connected clients (500 sender/receiver pairs) sending 2,000 messages/s in
// total, open loop; send→ack and send→deliver percentiles for Parley (receipts on, as the SDK sends them) and, for
// reference, the bare ws relay under the same load.
import { DISTURBED, leastDisturbed, measured } from "../lib/cpu.mjs";

export const name = "latency";
export const title = "Latency at fixed load";

const sizes = (ctx) => (ctx.quick ? { pairs: 50, rate: 400 } : { pairs: 500, rate: 2000 });
const P99_TARGET_MS = 25;

export function usersNeeded(ctx) {
  return sizes(ctx).pairs * 2;
}

/** One measured run against a fresh server from `start()`; returns {r}. */
async function once(ctx, label, start, setupArgs, seconds, rate) {
  const server = await start();
  const gen = await ctx.startGenerator();
  try {
    const setup = await gen.call("lib/pair-load.mjs", "setup", setupArgs(server), 300_000);
    ctx.log(`  ${label}: ${setup.connections} connections in ${setup.setupSeconds.toFixed(1)} s`);
    await gen.call("lib/pair-load.mjs", "step", { rate: rate / 2, seconds: ctx.warmupSeconds, drainMs: 2000 }); // warm-up
    await ctx.waitQuiet();
    const r = await measured(
      [server],
      () => gen.call("lib/pair-load.mjs", "step", { rate, seconds, drainMs: 3000 }, 180_000),
      gen,
    );
    ctx.log(`  ${label}: deliver p50 ${r.deliver.p50.toFixed(1)} ms, p99 ${r.deliver.p99.toFixed(1)} ms, lost ${r.lost}`);
    await gen.call("lib/pair-load.mjs", "close", {}, 20_000).catch(() => {});
    return { r };
  } finally {
    await gen.kill();
    await server.stop();
  }
}

export async function run(ctx) {
  const { pairs, rate } = sizes(ctx);
  const seconds = ctx.secondsOverride ?? (ctx.quick ? 2 : 10);
  const specs = [
    ["ws relay (reference)", () => ctx.startWsRelay(), (s) => ({ kind: "ws", wsUrl: s.wsUrl, pairs })],
    ["parley", () => ctx.startParley(), (s) => ({ kind: "parley", url: s.url, pairs, users: ctx.pool.users, receipts: true })],
  ];
  const runs = [];
  const repeated = [];
  for (const [label, start, setupArgs] of specs) {
    const { r, note } = await leastDisturbed(ctx, label, () => once(ctx, label, start, setupArgs, seconds, rate));
    runs.push([label, r]);
    if (note) repeated.push(note);
  }
  const rows = runs.map(([server, r]) => ({
    server,
    clients: pairs * 2,
    "msg/s": rate,
    sent: r.sent,
    lost: r.lost,
    errors: r.errors + r.unacked,
    "ack p50": r.ack.p50,
    "ack p95": r.ack.p95,
    "ack p99": r.ack.p99,
    "ack max": r.ack.max,
    "deliver p50": r.deliver.p50,
    "deliver p95": r.deliver.p95,
    "deliver p99": r.deliver.p99,
    "deliver max": r.deliver.max,
    "server CPU": `${Math.round(r.serverCpu * 100)}%`,
    "gen CPU": `${Math.round(r.genCpu * 100)}%`,
    "other CPU": `${Math.round(r.otherCpu * 100)}%`,
  }));
  const p = runs[1][1];
  return {
    sections: [
      {
        heading: `${pairs * 2} clients (${pairs} pairs), ${rate} msg/s in total for ${seconds} s (latency in ms)`,
        rows,
        notes: [
          "Parley: receipts on (each recipient marks delivered, coalesced every 100 ms); the relay has no receipts or storage.",
          ...repeated,
        ],
      },
    ],
    targets: [
      {
        target: `${pairs * 2} clients × ${rate} msg/s: p99 send→deliver < ${P99_TARGET_MS} ms`,
        measured: `p99 ${p.deliver.p99.toFixed(1)} ms (p50 ${p.deliver.p50.toFixed(1)}), ${p.lost} lost, ${p.errors + p.unacked} errors`,
        pass: p.deliver.p99 < P99_TARGET_MS && p.lost === 0 && p.errors + p.unacked === 0,
        disturbed: p.otherCpu > DISTURBED,
      },
    ],
    data: Object.fromEntries(runs),
  };
}
