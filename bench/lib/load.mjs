// Open-loop load: messages are sent on a fixed schedule whatever the server answers, so a slow server shows up as
// latency and backlog rather than as a lower offered rate. Reports how far the generator itself fell behind.
import { percentiles } from "../stats.mjs";

/**
 * Calls `fire(n)` for n = 0 … rate·seconds−1 at `rate` per second, in bursts every `tickMs`. Resolves with the count,
 * the achieved rate, the generator's lateness (p99/max ms behind schedule) and its CPU use (share of one core).
 */
export function openLoop({ rate, seconds, fire, tickMs = 5 }) {
  const total = Math.max(1, Math.round(rate * seconds));
  const lags = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let n = 0;
  return new Promise((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * rate) + 1);
      if (n < due) lags.push(now - (start + (n / rate) * 1000));
      while (n < due) fire(n++);
      if (n < total) return;
      clearInterval(timer);
      const wall = (performance.now() - start) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const lag = percentiles(lags);
      resolve({
        sent: n,
        wallSeconds: wall,
        achievedRate: n / wall,
        lagP99: lag.p99,
        lagMax: lag.max,
        cpu: (cpu.user + cpu.system) / 1e6 / wall,
      });
    };
    const timer = setInterval(tick, tickMs);
    tick();
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `done()` every 20 ms until it is true or `timeoutMs` passed; returns whether it became true. */
export async function waitFor(done, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!done()) {
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Generator CPU use between two calls, as a share of one core. */
export function cpuMeter() {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  return () => {
    const c = process.cpuUsage(c0);
    return (c.user + c.system) / 1000 / (performance.now() - t0);
  };
}
