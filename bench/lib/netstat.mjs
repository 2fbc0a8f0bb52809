// Kernel TCP counters (/proc/net/netstat, whole network namespace): listen-queue overflows explain connections that
// wait for SYN retransmits (1 s, 3 s, 7 s, …) while both the server and the clients are idle.
import { readFileSync } from "node:fs";

const KEYS = ["ListenOverflows", "ListenDrops", "TCPReqQFullDrop", "SyncookiesSent"];

export function tcpCounters() {
  try {
    const lines = readFileSync("/proc/net/netstat", "utf8").trim().split("\n");
    for (let i = 0; i + 1 < lines.length; i += 2) {
      if (!lines[i].startsWith("TcpExt:")) continue;
      const names = lines[i].split(/\s+/).slice(1);
      const values = lines[i + 1].split(/\s+/).slice(1).map(Number);
      return Object.fromEntries(KEYS.map((k) => [k, values[names.indexOf(k)] ?? 0]));
    }
  } catch {}
  return Object.fromEntries(KEYS.map((k) => [k, 0]));
}

export function tcpDelta(before, after = tcpCounters()) {
  return Object.fromEntries(KEYS.map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)]));
}
