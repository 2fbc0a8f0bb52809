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

/**
 * The event loop's long busy stretches: runs of consecutive non-idle samples lasting at least `minMs`, each with the
 * functions that were on the stack for most of it (inclusive time), and the same summed over all long stretches. A
 * stretch may hold several callbacks run back to back; what matters to latency is that nothing else ran meanwhile.
 */
export function longTasks(file, { minMs = 15, window = undefined, n = 8 } = {}) {
  const profile = JSON.parse(readFileSync(file, "utf8"));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const label = (node) => {
    const cf = node.callFrame;
    const loc = cf.url ? ` ${where(cf.url)}:${cf.lineNumber + 1}` : "";
    return `${cf.functionName || "(anonymous)"}${loc}`;
  };
  const stacks = new Map();
  const stackOf = (id) => {
    let labels = stacks.get(id);
    if (labels) return labels;
    labels = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const name = byId.get(at).callFrame.functionName;
      if (name !== "(root)") labels.add(label(byId.get(at)));
    }
    stacks.set(id, labels);
    return labels;
  };
  const stretches = [];
  let current;
  let ts = profile.startTime;
  const close = () => {
    if (current && current.ms >= minMs) stretches.push(current);
    current = undefined;
  };
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    ts += profile.timeDeltas[i] ?? 0;
    if (window && (ts < window.from || ts > window.to)) {
      close();
      continue;
    }
    const id = profile.samples[i];
    if (byId.get(id).callFrame.functionName === "(idle)") {
      close();
      continue;
    }
    current ??= { at: ts, ms: 0, inclusive: new Map() };
    current.ms += dt;
    for (const l of stackOf(id)) current.inclusive.set(l, (current.inclusive.get(l) ?? 0) + dt);
  }
  close();
  const top = (inclusive, total) =>
    [...inclusive]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([fn, ms]) => `${((ms / total) * 100).toFixed(0)}% ${fn}`);
  const all = new Map();
  let allMs = 0;
  for (const s of stretches) {
    allMs += s.ms;
    for (const [l, ms] of s.inclusive) all.set(l, (all.get(l) ?? 0) + ms);
  }
  return {
    count: stretches.length,
    totalMs: allMs,
    overall: top(all, allMs || 1),
    stretches: stretches.sort((a, b) => b.ms - a.ms).map((s) => ({ at: s.at, ms: s.ms, top: top(s.inclusive, s.ms) })),
  };
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
