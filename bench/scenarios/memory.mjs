// Scenario 5: server memory per idle authenticated connection at 10,000 and 50,000 connections, Parley with
// compression off (default) and on, and the bare ws relay for comparison. RSS and V8 heap of the server process are
// read inside it after a full GC; per connection = growth over a warmed-up baseline of a few hundred connections.
import { sleep } from "../lib/load.mjs";

export const name = "memory";
export const title = "Memory per idle connection";

const KB = 1024;
const TARGET_KB = 12;
const sizes = (ctx) =>
  ctx.quick ? { base: 200, counts: [1000], users: 100 } : { base: 500, counts: [10_000, 50_000], users: 1000 };

export function usersNeeded(ctx) {
  return sizes(ctx).users;
}

async function parleyConnections(server) {
  try {
    const res = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    const m = /^parley_connections_open\{[^}]*transport="(?:ws|websocket)"[^}]*\} (\d+)/m.exec(text);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function measure(ctx, config, addressBlock) {
  const { base, counts, users } = sizes(ctx);
  const server = await config.start();
  const gen = await ctx.startGenerator();
  const addresses = Array.from({ length: 8 }, (_, i) => `127.0.${addressBlock}.${i + 1}`);
  const grow = (target) =>
    gen.call(
      "lib/idle-load.mjs",
      "grow",
      {
        kind: config.kind,
        wsUrl: server.wsUrl,
        users: ctx.pool.users.slice(0, users),
        target,
        addresses,
        compression: config.compression,
      },
      600_000,
    );
  const rows = [];
  let limits;
  let capped;
  try {
    await grow(base);
    await sleep(1000);
    const s0 = await server.stats({ gc: true });
    limits = { server: s0.fileLimit, generator: (await gen.stats()).fileLimit };
    // One descriptor per connection on each side: above the open-file limit a count cannot be reached at all.
    const room = Math.min(Number(limits.server.soft) || Infinity, Number(limits.generator.soft) || Infinity) - 1000;
    for (const wanted of counts) {
      const n = Math.min(wanted, room);
      if (n < wanted) capped = { wanted, reached: n, limit: Math.min(Number(limits.server.soft), Number(limits.generator.soft)) };
      if (rows.length > 0 && n <= rows.at(-1).connections) break;
      const g = await grow(n);
      ctx.log(`  ${config.label}: ${g.open} open (${g.failed} failed) at ${Math.round(g.perSecond)}/s`);
      await sleep(ctx.quick ? 500 : 2000);
      const s = await server.stats({ gc: true });
      const status = await gen.call("lib/idle-load.mjs", "status");
      const serverCount = config.kind === "parley" ? await parleyConnections(server) : s.clients;
      const added = g.open - base;
      rows.push({
        server: config.label,
        connections: g.open,
        "held (server count)": serverCount ?? "?",
        "failed to open": g.failed,
        "closed by server": status.closed,
        "open/s": Math.round(g.perSecond),
        "RSS MB": s.rss / 2 ** 20,
        "heap MB": s.heapUsed / 2 ** 20,
        "KB/conn RSS": (s.rss - s0.rss) / added / KB,
        "KB/conn heap": (s.heapUsed - s0.heapUsed) / added / KB,
        "KB/conn external": (s.external + s.arrayBuffers - s0.external - s0.arrayBuffers) / added / KB,
        _firstFailure: g.firstFailure,
        _alive: server.alive,
      });
      if (g.failed > 0) ctx.log(`  first failure: ${g.firstFailure}`);
      if (!server.alive) break;
    }
  } finally {
    await server.kill(); // no graceful close of 50,000 sockets: the numbers are taken
    await gen.kill();
    await server.stop();
  }
  return { rows, limits, capped };
}

export async function run(ctx) {
  const configs = [
    { key: "parley", label: "parley (compression off, default)", kind: "parley", start: () => ctx.startParley() },
    {
      key: "parleyDeflate",
      label: "parley (PARLEY_WS_COMPRESSION=true)",
      kind: "parley",
      compression: true,
      start: () => ctx.startParley({ env: { PARLEY_WS_COMPRESSION: "true" } }),
    },
    { key: "ws", label: "ws relay", kind: "ws", start: () => ctx.startWsRelay() },
  ];
  const out = {};
  const rows = [];
  let limits;
  for (const [i, c] of configs.entries()) {
    ctx.log(`memory: ${c.label}`);
    out[c.key] = await measure(ctx, c, 10 + i);
    limits ??= out[c.key].limits;
    rows.push(...out[c.key].rows);
  }
  const { counts, users } = sizes(ctx);
  const top = counts.at(-1);
  const capped = out.parley.capped;
  const parleyTop = out.parley.rows.at(-1);
  const kbAtTop = parleyTop?.["KB/conn RSS"];
  const serverHeld = parleyTop?.["held (server count)"];
  const held = parleyTop
    ? Math.min(
        parleyTop.connections - parleyTop["closed by server"],
        typeof serverHeld === "number" ? serverHeld : Number.POSITIVE_INFINITY,
      )
    : 0;
  const relayTop = out.ws.rows.at(-1);
  const clean = (r) => Object.fromEntries(Object.entries(r).filter(([k]) => !k.startsWith("_")));
  return {
    sections: [
      {
        heading: `Idle authenticated connections: server memory (after a full GC)`,
        rows: rows.map(clean),
        notes: [
          `Per connection = growth over a baseline of ${sizes(ctx).base} connections, divided by the connections added. ` +
            `Parley connections share ${users} users' access tokens (${Math.round(top / users)} connections per device session), ` +
            "so per-user state is amortized over many connections; the pool users were registered once through the HTTP API.",
          `Open-file limits: server ${limits?.server.soft}, generator ${limits?.generator.soft} (raised with \`ulimit -n\` in the child's shell wrapper); ` +
            "connections come from 8 loopback source addresses per server (ephemeral ports are per source address).",
          "Compression on: the clients offer permessage-deflate and the server negotiates it (threshold 1 KiB, no context takeover); idle connections send nothing compressible.",
          relayTop
            ? `Bare ws relay: ${relayTop["KB/conn RSS"].toFixed(2)} KB per connection (RSS), the floor of Node + ws for an open socket.`
            : "",
        ].filter(Boolean),
      },
    ],
    targets: [
      {
        target: `≤ ${TARGET_KB} KB per idle authenticated connection (default settings)`,
        measured:
          kbAtTop === undefined ? "not measured" : `${kbAtTop.toFixed(2)} KB RSS per connection at ${parleyTop.connections}`,
        pass: kbAtTop !== undefined && kbAtTop <= TARGET_KB,
      },
      capped
        ? {
            target: `${top.toLocaleString("en")} idle connections on one node`,
            measured:
              `not measurable here: the open-file limit is ${capped.limit} per process and could not be raised; ` +
              `${held} held at the limit; ${top.toLocaleString("en")} would need ≈ ${Math.round((kbAtTop * top) / KB + parleyTop["RSS MB"] - (kbAtTop * parleyTop.connections) / KB)} MB RSS at the measured rate`,
            pass: null,
          }
        : {
            target: `${top.toLocaleString("en")} idle connections on one node`,
            measured: `${held} held${parleyTop?.["failed to open"] ? `, ${parleyTop["failed to open"]} failed to open` : ""}`,
            pass: held >= top && parleyTop?._alive !== false,
          },
    ],
    data: out,
  };
}
