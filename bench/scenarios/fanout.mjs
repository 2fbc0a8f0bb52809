// Scenario 4: group fan-out. One 500-member group receiving 20 messages/s (≈10,000 deliveries/s), every recipient
// sending its delivered receipt coalesced per client every 100 ms as the SDK does; delivery latency percentiles.
import { DISTURBED, leastDisturbed, measured } from "../lib/cpu.mjs";
import { hrNowUs, profiled, profileSection } from "../lib/profile.mjs";

export const name = "fanout";
export const title = "Group fan-out";

export const sizes = (ctx) => (ctx.quick ? { members: 50, rate: 20 } : { members: 500, rate: 20 });
export const P99_TARGET_MS = 50;

export function usersNeeded(ctx) {
  return sizes(ctx).members;
}

export function fanoutRow(label, r) {
  return {
    setup: label,
    members: r.members,
    "msg/s": r.rate,
    "deliveries/s": Math.round(r.deliveriesPerSecond),
    undelivered: r.lost,
    errors: r.errors + r.unacked,
    "deliver p50": r.deliver.p50,
    "deliver p95": r.deliver.p95,
    "deliver p99": r.deliver.p99,
    "deliver max": r.deliver.max,
    "ack p99": r.ack.p99,
    "receipts.mark/s": Math.round(r.receiptMarksPerSecond),
    "receipt events/s": Math.round(r.receiptEventsPerSecond),
    "receipt MB/s": r.receiptMBps,
    "server CPU": `${Math.round(r.serverCpu * 100)}%`,
    "gen CPU": `${Math.round(r.genCpu * 100)}%`,
    ...(r.infraCpu > 0 ? { "pg+redis CPU": `${Math.round(r.infraCpu * 100)}%` } : {}),
    "other CPU": `${Math.round(r.otherCpu * 100)}%`,
  };
}

/** Connects the group to `server`, warms up, measures one run; returns the result and the measured window. */
async function execute(ctx, server, { members, rate, seconds }) {
  const gen = await ctx.startGenerator();
  try {
    const nodes = [{ url: server.url, wsUrl: server.wsUrl }];
    const setup = await gen.call("lib/fanout-load.mjs", "setup", { nodes, users: ctx.pool.users.slice(0, members) }, 300_000);
    ctx.log(`  ${setup.members} members connected in ${setup.setupSeconds.toFixed(1)} s`);
    await gen.call("lib/fanout-load.mjs", "step", { rate, seconds: ctx.warmupSeconds, drainMs: 3000 }, 60_000); // warm-up
    await ctx.waitQuiet();
    const from = hrNowUs();
    const r = await measured(
      [server],
      () => gen.call("lib/fanout-load.mjs", "step", { rate, seconds, drainMs: 3000 }, 180_000),
      gen,
    );
    const to = hrNowUs();
    await gen.call("lib/fanout-load.mjs", "close", {}, 20_000).catch(() => {});
    return { r, window: { from, to } };
  } finally {
    await gen.kill();
  }
}

export async function run(ctx) {
  const { members, rate } = sizes(ctx);
  const seconds = ctx.secondsOverride ?? (ctx.quick ? 2 : 10);
  const { r, note } = await leastDisturbed(ctx, "fan-out", async () => {
    const server = await ctx.startParley();
    try {
      const out = await execute(ctx, server, { members, rate, seconds });
      ctx.log(
        `  deliver p50 ${out.r.deliver.p50.toFixed(1)} ms, p99 ${out.r.deliver.p99.toFixed(1)} ms, ${Math.round(out.r.deliveriesPerSecond)}/s`,
      );
      return out;
    } finally {
      await server.stop();
    }
  });
  let profile;
  if (!ctx.skipProfile && !ctx.quick) {
    ctx.log("fanout: the same run again under --cpu-prof");
    profile = await profiled(
      ctx,
      "parley-fanout",
      (execArgv) => ctx.startParley({ execArgv }),
      async (s) => (await execute(ctx, s, { members, rate, seconds })).window,
      10,
    ).catch((error) => ctx.log(`  profile failed: ${error.message}`));
  }
  return {
    sections: [
      {
        heading: `One ${members}-member group, ${rate} msg/s for ${seconds} s, receipts on (latency in ms)`,
        rows: [fanoutRow("parley, 1 node", r)],
        notes: [
          "Senders rotate among 10 members; each message goes to the other members' connections (one each). " +
            "undelivered: deliveries still missing 3 s after the last send.",
          "receipts.mark/s: delivered receipts sent by the clients; receipt events/s and MB/s: `receipts` events the server sent to them.",
          Object.keys(r.errorCodes ?? {}).length > 0 ? `Errors by code: ${JSON.stringify(r.errorCodes)}.` : "",
          note ?? "",
        ].filter(Boolean),
      },
      ...(profile ? [profileSection("CPU profile: Parley during the fan-out run (top 10 functions by self time)", profile)] : []),
    ],
    targets: [
      {
        target: `${members}-member fan-out at ${rate * (members - 1)} deliveries/s with receipts: p99 < ${P99_TARGET_MS} ms`,
        measured: `p99 ${r.deliver.p99.toFixed(1)} ms (p50 ${r.deliver.p50.toFixed(1)}), ${Math.round(r.deliveriesPerSecond)} deliveries/s, ${r.lost} undelivered`,
        pass: r.deliver.p99 < P99_TARGET_MS && r.lost === 0 && r.errors + r.unacked === 0,
        disturbed: r.otherCpu > DISTURBED,
      },
    ],
    data: { ...r, profile },
  };
}
