// Starts one Parley node from the built server for benchmarks and reports its port to the parent process.
// Also answers the orchestrator's statistics requests (memory, CPU, open files) over IPC; SIGTERM closes gracefully
// (which also lets --cpu-prof write its profile).
import { serveStats } from "./lib/child.mjs";

// PARLEY_BENCH_SERVER: another build of the server's index.js (bench/ab.mjs compares two builds side by side).
const { startParley } = await import(process.env.PARLEY_BENCH_SERVER ?? "../packages/server/dist/index.js");

const server = await startParley();
serveStats();
process.send?.({ port: Number(new URL(server.url).port) });
process.on("SIGTERM", () => server.close().then(() => process.exit(0)));
