// Starts one Parley node from the built server for benchmarks and reports its port to the parent process.
// Also answers the orchestrator's statistics requests (memory, CPU, open files) over IPC; SIGTERM closes gracefully
// (which also lets --cpu-prof write its profile).
import { startParley } from "../packages/server/dist/index.js";
import { serveStats } from "./lib/child.mjs";

const server = await startParley();
serveStats();
process.send?.({ port: Number(new URL(server.url).port) });
process.on("SIGTERM", () => server.close().then(() => process.exit(0)));
