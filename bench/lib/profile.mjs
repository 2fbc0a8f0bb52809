// Reads a V8 .cpuprofile (node --cpu-prof) and sums self time per function and per package.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./procs.mjs";

function where(url) {
  if (!url) return "";
  let u = url.replace(/^file:\/\//, "");
  if (u.startsWith(ROOT)) u = u.slice(ROOT.length);
  const nm = u.lastIndexOf("node_modules/");
  if (nm >= 0) u = u.slice(nm + "node_modules/".length);
  return u;
}

function packageOf(node) {
  const name = node.callFrame.functionName;
  if (name === "(garbage collector)") return "(gc)";
  if (name === "(program)" || name === "(idle)" || name === "(root)") return name;
  const u = where(node.callFrame.url);
  if (u === "") return "(native/V8)";
  if (u.startsWith("node:")) return "node core";
  if (u.startsWith("packages/")) return u.split("/").slice(0, 2).join("/");
  if (u.startsWith("@")) return u.split("/").slice(0, 2).join("/");
  return u.split("/")[0];
}

/**
 * Top `n` functions by self time, the idle and GC shares, and self time per package. With `window` ({from, to} in µs
 * of the monotonic clock, as process.hrtime), only samples taken inside it count: the load step, not start-up.
 */
export function summarizeProfile(file, n = 15, window = undefined) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const collect = (inside) => {
    const self = new Map();
    let ts = profile.startTime;
    for (let i = 0; i < profile.samples.length; i++) {
      ts += profile.timeDeltas[i] ?? 0;
      if (!inside(ts)) continue;
      const id = profile.samples[i];
      self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    }
    return self;
  };
  let self = window ? collect((ts) => ts >= window.from && ts <= window.to) : undefined;
  const windowed = self !== undefined && self.size > 0;
  if (!windowed) self = collect(() => true);
  const perFunction = new Map();
  const perPackage = new Map();
  let total = 0;
  let idle = 0;
  let gc = 0;
  for (const [id, ms] of self) {
    const node = byId.get(id);
    const cf = node.callFrame;
    total += ms;
    if (cf.functionName === "(idle)") {
      idle += ms;
      continue;
    }
    if (cf.functionName === "(garbage collector)") gc += ms;
    const loc = cf.url ? `${where(cf.url)}:${cf.lineNumber + 1}` : "";
    const key = `${cf.functionName || "(anonymous)"}\u0000${loc}`;
    perFunction.set(key, (perFunction.get(key) ?? 0) + ms);
    const pkg = packageOf(node);
    perPackage.set(pkg, (perPackage.get(pkg) ?? 0) + ms);
  }
  const busy = total - idle;
  const top = [...perFunction]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, ms]) => {
      const [fn, loc] = key.split("\u0000");
      return { function: fn, location: loc, "self ms": Math.round(ms), "% of busy": Number(((ms / busy) * 100).toFixed(1)) };
    });
  const byPackage = [...perPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([pkg, ms]) => `${pkg} ${((ms / busy) * 100).toFixed(0)}%`)
    .join(", ");
  return { file, windowed, totalMs: total, idlePct: (idle / total) * 100, gcPct: (gc / busy) * 100, top, byPackage };
}

/** Now on the monotonic clock in µs, the time base of .cpuprofile sample timestamps. */
export const hrNowUs = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Runs `body(server)` against a Parley node started by `start(execArgv)` with --cpu-prof, stops it (the profile is
 * written on exit) and summarizes the samples inside the window `body` returns ({from, to} from hrNowUs).
 */
export async function profiled(ctx, name, start, body, n = 15) {
  const dir = join(ctx.resultsDir, "profiles", `${name}-${ctx.stamp}`);
  const server = await start(["--cpu-prof", `--cpu-prof-dir=${dir}`]);
  let window;
  try {
    window = await body(server);
  } finally {
    await server.stop(30_000);
  }
  const file = readdirSync(dir).find((f) => f.endsWith(".cpuprofile"));
  if (!file) throw new Error(`no profile written to ${dir}`);
  return { ...summarizeProfile(join(dir, file), n, window), window };
}

/** A report section for a profile summary. */
export function profileSection(heading, profile) {
  return {
    heading,
    rows: profile.top,
    notes: [
      `${profile.totalMs.toFixed(0)} ms of samples ${profile.windowed ? "taken during the measured run" : "over the whole process (start-up included)"} ` +
        `(${profile.idlePct.toFixed(0)}% idle; GC ${profile.gcPct.toFixed(0)}% of busy time). Self time by package: ${profile.byPackage}. ` +
        `Profile: ${profile.file.replace(ROOT, "")} (open in Chrome DevTools or speedscope).`,
    ],
  };
}
