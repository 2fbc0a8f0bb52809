// A/B of two server builds at fixed 1:1 load: server CPU per message, alternating A and B so machine load hits both.
//   node bench/ab.mjs --a <dir with index.js> --b <dir> [--rate 6000] [--seconds 5] [--rounds 3] [--receipts]
//                     [--profile] [--long-tasks MS] [--encrypted-b] [--env K=V ...]
// Prints per run: server CPU (share of a core), CPU µs per message, ack/deliver p50/p99, other processes' CPU.
// --encrypted-b: B's conversations are end-to-end encrypted (ciphertext-sized opaque MLS data instead of text); with
// the same build as A and B, the server's cost of an encrypted message against a plaintext one.
// --profile runs the server with --cpu-prof and prints the top functions by self time during the measured step;
// --long-tasks MS (with --profile) also lists the event loop's busy stretches of at least MS ms and what they ran.
// Build dirs are copies of packages/server/dist placed inside the repository (e.g. bench/results/ab-base) so that
// their imports resolve; bench/parley-node.mjs loads them through PARLEY_BENCH_SERVER.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { measured } from "./lib/cpu.mjs";
import { killAll, startGenerator, startParley } from "./lib/procs.mjs";
import { hrNowUs, longTasks, summarizeProfile } from "./lib/profile.mjs";
import { seedUserPool } from "./lib/users.mjs";

const { values } = parseArgs({
  options: {
    a: { type: "string" },
    b: { type: "string" },
    rate: { type: "string", default: "6000" },
    seconds: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    pairs: { type: "string", default: "50" },
    receipts: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    "long-tasks": { type: "string" },
    "encrypted-b": { type: "boolean", default: false },
    env: { type: "string", multiple: true, default: [] },
  },
});
const rate = Number(values.rate);
const pairs = Number(values.pairs);
const builds = { A: values.a, B: values.b };
const env = Object.fromEntries(values.env.map((kv) => kv.split("=")));
const log = (m) => console.log(m);
const pool = await seedUserPool(pairs * 2, () => {});
const rows = [];
let window;
try {
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const key of round % 2 === 0 ? ["A", "B"] : ["B", "A"]) {
      const dir = builds[key];
      const profDir = values.profile ? mkdtempSync(join(tmpdir(), "parley-prof-")) : undefined;
      const server = await startParley({
        pool,
        execArgv: profDir
          ? ["--cpu-prof", `--cpu-prof-dir=${profDir}`, `--cpu-prof-interval=${values["long-tasks"] ? 250 : 1000}`]
          : [],
        env: { ...env, PARLEY_BENCH_SERVER: pathToFileURL(resolve(dir, "index.js")).href },
      });
      const gen = await startGenerator();
      try {
        await gen.call(
          "lib/pair-load.mjs",
          "setup",
          {
            kind: "parley",
            url: server.url,
            pairs,
            users: pool.users,
            receipts: values.receipts,
            encrypted: key === "B" && values["encrypted-b"],
          },
          120_000,
        );
        await gen.call("lib/pair-load.mjs", "step", { rate: Math.min(rate, 2000), seconds: 2, drainMs: 1000 });
        const from = hrNowUs();
        const r = await measured(
          [server],
          () => gen.call("lib/pair-load.mjs", "step", { rate, seconds: Number(values.seconds), drainMs: 3000 }, 600_000),
          gen,
        );
        window = { from, to: hrNowUs() };
        const row = {
          build: key,
          cpu: r.serverCpu,
          usPerMsg: (r.serverCpu * 1e6) / rate,
          ack: `${r.ack.p50.toFixed(2)}/${r.ack.p99.toFixed(1)}`,
          deliver: `${r.deliver.p50.toFixed(2)}/${r.deliver.p99.toFixed(1)}`,
          lost: r.lost,
          other: r.otherCpu,
        };
        rows.push(row);
        if (r.errors > 0) {
          const failed = server
            .output()
            .split("\n")
            .filter((l) => l.includes('"level":50') || l.includes("error"));
          log(`server errors (last 3):\n${failed.slice(-3).join("\n")}`);
        }
        log(
          `${key} @${rate}/s: server CPU ${(row.cpu * 100).toFixed(0)}% = ${row.usPerMsg.toFixed(1)} µs/msg, ack p50/p99 ${row.ack}, deliver p50/p99 ${row.deliver} ms, lost ${row.lost}, unacked ${r.unacked}, errors ${r.errors} ${JSON.stringify(r.errorCodes ?? {})}, closed ${r.closed}, generator ${Math.round(r.genRate)}/s, other ${(row.other * 100).toFixed(0)}%`,
        );
      } finally {
        await gen.call("lib/pair-load.mjs", "close", {}, 10_000).catch(() => {});
        await gen.kill();
        await server.stop();
        if (profDir) {
          for (const f of readdirSync(profDir).filter((n) => n.endsWith(".cpuprofile"))) {
            const p = summarizeProfile(join(profDir, f), 25, window);
            log(
              `profile ${key}: ${p.totalMs.toFixed(0)} ms, idle ${p.idlePct.toFixed(0)}%, GC ${p.gcPct.toFixed(0)}% of busy; ${p.byPackage}`,
            );
            for (const t of p.top) log(`  ${String(t["% of busy"]).padStart(5)}%  ${t.function}  ${t.location}`);
            if (values["long-tasks"] !== undefined) {
              const lt = longTasks(join(profDir, f), { minMs: Number(values["long-tasks"]), window });
              log(`long busy stretches ${key}: ${lt.count}, ${lt.totalMs.toFixed(0)} ms in all; on the stack for that time:`);
              for (const line of lt.overall) log(`    ${line}`);
              for (const s of lt.stretches.slice(0, 12)) {
                log(
                  `  ${s.ms.toFixed(1)} ms at +${((s.at - window.from) / 1000).toFixed(0)} ms: ${s.top.slice(0, 6).join(" | ")}`,
                );
              }
            }
          }
          rmSync(profDir, { recursive: true, force: true });
        }
      }
    }
  }
  for (const key of ["A", "B"]) {
    const us = rows
      .filter((r) => r.build === key)
      .map((r) => r.usPerMsg)
      .sort((x, y) => x - y);
    log(`${key}: µs/msg median ${us[Math.floor(us.length / 2)].toFixed(1)} (all ${us.map((u) => u.toFixed(1)).join(", ")})`);
  }
} finally {
  killAll();
}
process.exit(0);
