// CPU accounting around a load step: the servers' share of a core, and how much CPU processes outside the benchmark
// (builds, tests, databases) took meanwhile, which says how far a number can be trusted on a shared machine.
import { readdirSync, readFileSync } from "node:fs";
import { cpuSecondsOf } from "./procs.mjs";

/** CPU seconds all CPUs spent busy since boot (everything but idle and iowait), from /proc/stat. */
export function systemBusySeconds() {
  try {
    const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq, steal] = f;
    return (user + nice + system + irq + softirq + (steal ?? 0)) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Pids of the running processes whose command name (/proc/<pid>/comm) is one of `names`. */
export function pidsByName(names) {
  const out = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${d}/comm`, "utf8").trim())) out.push(Number(d));
    } catch {}
  }
  return out;
}

/**
 * Runs `step()` and adds `serverCpu` (share of one core used by `servers`, each {pid} or {pids}), `infraCpu` (by the
 * processes named in `infra`, e.g. PostgreSQL and Redis) and `otherCpu` (cores used by every process other than
 * those, the generator `gen` (or generators, an array) and this orchestrator) to its result.
 */
export async function measured(servers, step, gen, { infra = [] } = {}) {
  const pids = servers.flatMap((s) => s.pids ?? [s.pid]);
  const genPids = [gen ?? []].flat().map((g) => g.pid);
  const sample = () => {
    const infraPids = infra.length > 0 ? pidsByName(infra) : [];
    return {
      servers: pids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
      infra: new Map(infraPids.map((pid) => [pid, cpuSecondsOf(pid)])),
      gen: genPids.reduce((sum, pid) => sum + cpuSecondsOf(pid), 0),
      self: process.cpuUsage(),
      system: systemBusySeconds(),
      t: performance.now(),
    };
  };
  const a = sample();
  const r = await step();
  const b = sample();
  const wall = (b.t - a.t) / 1000;
  const self = process.cpuUsage(a.self);
  const serversCpu = b.servers - a.servers;
  const genCpu = b.gen - a.gen;
  // Processes that started during the step (new PostgreSQL backends) count from zero.
  let infraCpu = 0;
  for (const [pid, cpu] of b.infra) if (!Number.isNaN(cpu)) infraCpu += cpu - (a.infra.get(pid) ?? 0);
  r.serverCpu = serversCpu / wall;
  r.infraCpu = infraCpu / wall;
  r.genCpuShare = genCpu / wall;
  r.otherCpu = Math.max(0, b.system - a.system - serversCpu - genCpu - infraCpu - (self.user + self.system) / 1e6) / wall;
  return r;
}

/** Cores kept busy by processes other than the benchmark's, over a short sample (the benchmark being idle). */
export async function busyCores(ms = 1000) {
  const a = systemBusySeconds();
  const t = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  return (systemBusySeconds() - a) / ((performance.now() - t) / 1000);
}

/**
 * Waits, at most `maxMs`, until the rest of the machine keeps less than `threshold` of a core busy for two samples
 * in a row; returns the last sample. A shared machine (builds, tests) otherwise decides the numbers.
 */
export async function waitQuiet({ threshold = 0.25, maxMs = 60_000, log } = {}) {
  const deadline = performance.now() + maxMs;
  let calm = 0;
  let last = 0;
  let told = false;
  while (performance.now() < deadline) {
    last = await busyCores(1000);
    calm = last < threshold ? calm + 1 : 0;
    if (calm >= 2) return last;
    if (!told && last >= threshold) {
      log?.(`  waiting for other processes to calm down (${(last * 100).toFixed(0)}% of a core busy)`);
      told = true;
    }
  }
  return last;
}

/** Other processes using more than this share of a core during a measured run make it "disturbed". */
export const DISTURBED = 0.3;

/**
 * Runs `once()` (→ {r, …} with r.otherCpu from measured()); when other processes disturbed it, runs it once more and
 * keeps the quieter of the two, with a note saying so.
 */
export async function leastDisturbed(ctx, label, once) {
  const first = await once();
  if (ctx.quick || !(first.r.otherCpu > DISTURBED)) return first;
  ctx.log(`  ${label}: other processes used ${Math.round(first.r.otherCpu * 100)}% of a core meanwhile; repeating once`);
  const second = await once();
  const keep = second.r.otherCpu < first.r.otherCpu ? second : first;
  return {
    ...keep,
    note:
      `${label}: repeated because other processes used ${Math.round(first.r.otherCpu * 100)}% of a core during the first run; ` +
      `the quieter run (${Math.round(keep.r.otherCpu * 100)}%) is shown.`,
  };
}
