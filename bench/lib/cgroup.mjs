// CPU quotas for benchmark processes: one cgroup (v1 `cpu` controller, or v2 where mounted with `cpu` enabled) per
// process, limited to a share of one core, so that N nodes on a 2-core machine each get the same CPU as a node of a
// real deployment would own. Every cgroup made here is removed again (also after failures: `removeAll`).
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

// A short period: a node that used its share waits at most the rest of one period (the 100 ms default froze nodes for
// up to 70 ms at a time, which alone put the ladder's p99 over its 100 ms limit).
const PERIOD_US = 10_000;
const made = [];

/** Where quota cgroups can be made, and how; undefined (with the reason in `why`) when this machine allows none. */
export function cgroupSupport() {
  const v1 = "/sys/fs/cgroup/cpu";
  if (existsSync(join(v1, "cpu.cfs_quota_us"))) return probe({ root: v1, version: 1 });
  const v2 = existsSync("/sys/fs/cgroup/cgroup.controllers") ? "/sys/fs/cgroup" : "/sys/fs/cgroup/unified";
  try {
    if (readFileSync(join(v2, "cgroup.subtree_control"), "utf8").split(/\s+/).includes("cpu"))
      return probe({ root: v2, version: 2 });
  } catch {}
  return { why: "no writable cgroup with the cpu controller (v1 cpu or v2 with +cpu in subtree_control)" };
}

function probe(support) {
  const dir = join(support.root, `parley-bench-probe-${process.pid}`);
  try {
    mkdirSync(dir);
    rmdirSync(dir);
    return support;
  } catch (error) {
    return { why: `cannot make cgroups under ${support.root}: ${error.message}` };
  }
}

/** Puts `pid` (all its threads) into a fresh cgroup limited to `cores` of CPU time (0.25 = a quarter of one core). */
export function limitCpu(support, pid, cores, label) {
  const dir = join(support.root, `parley-bench-${process.pid}-${label}`);
  mkdirSync(dir, { recursive: true });
  made.push(dir);
  const quota = Math.round(cores * PERIOD_US);
  if (support.version === 1) {
    writeFileSync(join(dir, "cpu.cfs_period_us"), String(PERIOD_US));
    writeFileSync(join(dir, "cpu.cfs_quota_us"), String(quota));
  } else {
    writeFileSync(join(dir, "cpu.max"), `${quota} ${PERIOD_US}`);
  }
  writeFileSync(join(dir, "cgroup.procs"), String(pid));
  return dir;
}

/** Times the cgroup's processes were held back by the quota, and for how long (seconds), from cpu.stat. */
export function throttled(dir) {
  try {
    const stat = Object.fromEntries(
      readFileSync(join(dir, "cpu.stat"), "utf8")
        .trim()
        .split("\n")
        .map((l) => l.split(" ")),
    );
    const ns = Number(stat.throttled_time ?? 0);
    const us = Number(stat.throttled_usec ?? 0);
    return { periods: Number(stat.nr_throttled ?? 0), seconds: ns > 0 ? ns / 1e9 : us / 1e6 };
  } catch {
    return { periods: Number.NaN, seconds: Number.NaN };
  }
}

/** Moves any process still in a cgroup made here back to the root and removes the cgroups. */
export function removeAll(support) {
  while (made.length > 0) {
    const dir = made.pop();
    try {
      for (const pid of readFileSync(join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) {
        try {
          writeFileSync(join(support.root, "cgroup.procs"), pid);
        } catch {}
      }
      rmdirSync(dir);
    } catch (error) {
      if (error.code !== "ENOENT") console.error(`cgroup ${dir} not removed: ${error.message}`);
    }
  }
}
