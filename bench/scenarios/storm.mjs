// Scenario 6: reconnect storm. 10,000 clients (1,000 users × 10 devices, in groups of 10 users) connected; all drop
// at once; while they are away every group receives 10 messages; then all reconnect (SDK-style jittered backoff),
// hello and sync. Measured: time from the start of the reconnect until every client holds every missed message.
import { DISTURBED, leastDisturbed, measured } from "../lib/cpu.mjs";
import { tcpCounters, tcpDelta } from "../lib/netstat.mjs";
import { hrNowUs, profiled, profileSection } from "../lib/profile.mjs";

export const name = "storm";
export const title = "Reconnect storm";

const sizes = (ctx) =>
  ctx.quick
    ? { users: 100, devicesPerUser: 5, groupSize: 10, perConversation: 5 }
    : { users: 1000, devicesPerUser: 10, groupSize: 10, perConversation: 10 };
const TARGET_SECONDS = 10;

export function usersNeeded(ctx) {
  return sizes(ctx).users + 1;
}

/** Connects the clients to `server`, drops them, sends the missed messages, measures the reconnect. */
async function execute(ctx, server, { users, devicesPerUser, groupSize, perConversation }) {
  const gen = await ctx.startGenerator();
  try {
    const setup = await gen.call(
      "lib/storm-load.mjs",
      "setup",
      {
        url: server.url,
        wsUrl: server.wsUrl,
        users: ctx.pool.users.slice(0, users),
        writer: ctx.pool.users[users],
        devicesPerUser,
        groupSize,
      },
      600_000,
    );
    ctx.log(`  ${setup.clients} clients in ${setup.groups} groups connected in ${setup.setupSeconds.toFixed(1)} s`);
    await ctx.waitQuiet();
    await gen.call("lib/storm-load.mjs", "drop", {}, 60_000);
    const sent = await gen.call("lib/storm-load.mjs", "sendMissed", { perConversation }, 120_000);
    ctx.log(`  all dropped; ${sent.messages} messages sent meanwhile in ${sent.seconds.toFixed(1)} s; reconnecting`);
    const from = hrNowUs();
    const tcp0 = tcpCounters();
    const r = await measured(
      [server],
      () => gen.call("lib/storm-load.mjs", "reconnect", { timeoutMs: ctx.quick ? 30_000 : 60_000 }, 180_000),
      gen,
    );
    r.tcp = tcpDelta(tcp0);
    const to = hrNowUs();
    await gen.call("lib/storm-load.mjs", "close", {}, 20_000).catch(() => {});
    return { r, sent, window: { from, to } };
  } finally {
    await gen.kill();
  }
}

export async function run(ctx) {
  const size = sizes(ctx);
  const { users, devicesPerUser, groupSize, perConversation } = size;
  const clients = users * devicesPerUser;
  const { r, sent, note } = await leastDisturbed(ctx, "storm", async () => {
    const server = await ctx.startParley();
    try {
      const out = await execute(ctx, server, size);
      ctx.log(`  ${out.r.synced}/${out.r.clients} synced; all within ${out.r.allSyncedSeconds.toFixed(2)} s`);
      return out;
    } finally {
      await server.stop();
    }
  });
  let profile;
  if (!ctx.skipProfile && !ctx.quick) {
    ctx.log("storm: the same storm again under --cpu-prof");
    profile = await profiled(
      ctx,
      "parley-storm",
      (execArgv) => ctx.startParley({ execArgv }),
      async (s) => (await execute(ctx, s, size)).window,
      10,
    ).catch((error) => ctx.log(`  profile failed: ${error.message}`));
  }
  const ok = r.synced === clients && r.missingEntries === 0;
  return {
    sections: [
      {
        heading: `${clients.toLocaleString("en")} clients drop at once and reconnect + sync`,
        rows: [
          {
            clients,
            "missed msgs/client": perConversation,
            synced: r.synced,
            incomplete: r.incomplete,
            "all synced (s)": r.allSyncedSeconds,
            "p50 (s)": r.p50Seconds,
            "p99 (s)": r.p99Seconds,
            attempts: r.attempts,
            "failed attempts": r.failedAttempts,
            "server CPU": `${Math.round(r.serverCpu * 100)}%`,
            "gen CPU": `${Math.round(r.genCpuShare * 100)}%`,
            "other CPU": `${Math.round(r.otherCpu * 100)}%`,
            "listen overflows": r.tcp.ListenOverflows,
          },
        ],
        notes: [
          `${users} users × ${devicesPerUser} devices (connections sharing the user's session), groups of ${groupSize} users plus a writer; ` +
            `the writer sent ${sent.messages} messages while everyone was away. Each client waits a random 0–500 ms, then connects, ` +
            "says hello and runs the sync loop from its cursor; a failed attempt backs off like the SDK (full jitter, doubling). " +
            "Times are from the start of the reconnect; CPU columns are shares of one core over that window.",
          r.failureReasons.length > 0 ? `Failed attempts: ${r.failureReasons.map(([w, n]) => `${n}× ${w}`).join("; ")}.` : "",
          "Clients connect from 127.0.0.1 without binding a source port (the kernel picks it at connect time; see bench/lib/storm-load.mjs).",
          "listen overflows: connection attempts the kernel dropped because the server's accept queue was full " +
            "(/proc/net/netstat ListenOverflows over the reconnect); each costs the client a SYN retransmit (1 s, then 2 s, 4 s …).",
          note ?? "",
        ].filter(Boolean),
      },
      {
        heading: "Reconnect storm: phases of the clients that synced",
        rows: r.phases,
        notes: [
          "start: the attempt began (after its random delay); open: TCP connected and the WebSocket upgrade answered; " +
            "welcome: the answer to hello arrived; firstPage / lastPage: the first and the last page of the sync loop " +
            `(${r.pages} pages in all). "ended" is seconds since the reconnect started; "took" the time since the previous phase.`,
        ],
      },
      ...(profile ? [profileSection("CPU profile: Parley during the reconnect (top 10 functions by self time)", profile)] : []),
    ],
    targets: [
      {
        target: `reconnect storm of ${clients.toLocaleString("en")}: all synced within ${TARGET_SECONDS} s`,
        measured: ok
          ? `all ${clients} synced within ${r.allSyncedSeconds.toFixed(2)} s (p50 ${r.p50Seconds.toFixed(2)} s)`
          : `${r.synced} of ${clients} synced, ${r.missingEntries} entries missing`,
        pass: ok && r.allSyncedSeconds <= TARGET_SECONDS,
        disturbed: r.otherCpu > DISTURBED,
      },
    ],
    data: { ...r, sent, profile },
  };
}
