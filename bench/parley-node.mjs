// Starts one Parley node from the built server for benchmarks and reports its port to the parent process.
import { startParley } from "../packages/server/dist/index.js";

const server = await startParley();
process.send?.({ port: new URL(server.url).port });
process.on("SIGTERM", () => server.close().then(() => process.exit(0)));
