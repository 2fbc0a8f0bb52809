// Helpers for the benchmark's child processes (servers under test and load generators): answers the orchestrator's
// statistics requests over IPC and exits when the orchestrator goes away, so no child outlives a crashed run.
import { readdirSync, readFileSync } from "node:fs";

/** Open-file limit of this process as the kernel sees it (after any `ulimit -n` of the wrapper shell). */
export function openFileLimit() {
  try {
    const line = readFileSync("/proc/self/limits", "utf8")
      .split("\n")
      .find((l) => l.startsWith("Max open files"));
    const [soft, hard] = line.slice("Max open files".length).trim().split(/\s+/);
    return { soft: Number(soft) || soft, hard: Number(hard) || hard };
  } catch {
    return { soft: "unknown", hard: "unknown" };
  }
}

function openFiles() {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return -1;
  }
}

/**
 * Serves `{ cmd: "stats", id, gc }` requests: memory (after a full GC when `gc` and --expose-gc), CPU time, open files
 * and the file limit. `extra()` may add fields (for example a relay's client count).
 */
export function serveStats(extra = () => ({})) {
  if (!process.send) return;
  process.on("message", (m) => {
    if (m?.cmd !== "stats") return;
    if (m.gc && typeof globalThis.gc === "function") {
      globalThis.gc();
      globalThis.gc();
    }
    const mem = process.memoryUsage();
    process.send({
      reply: m.id,
      stats: { ...mem, cpu: process.cpuUsage(), fds: openFiles(), fileLimit: openFileLimit(), pid: process.pid, ...extra() },
    });
  });
  // The orchestrator died or dropped us: do not linger as an orphan holding ports and CPU.
  process.on("disconnect", () => process.exit(0));
}
