// One Parley server started from the built `main.js` in a child process, as an operator runs it, with a fresh data
// directory and the rate limits off: for the overhead benchmarks that compare the same load with a feature off and on.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "@parley/server/testing";

const MAIN = new URL("../../packages/server/dist/main.js", import.meta.url).pathname;
const RATE_LIMITS = ["REQUESTS", "MESSAGES", "AUTH_IP", "REGISTER_IP", "CONNECT_IP", "RECEIPTS"];

/** Starts the server with `env` on top of the defaults; resolves once `/healthz` answers. */
export async function startMainServer(env = {}) {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-"));
  const child = spawn(process.execPath, [MAIN], {
    env: {
      ...process.env,
      PARLEY_HOST: "127.0.0.1",
      PARLEY_PORT: String(port),
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: "warn",
      PARLEY_SQLITE_SYNCHRONOUS: "normal",
      ...Object.fromEntries(RATE_LIMITS.map((name) => [`PARLEY_RATE_${name}`, "off"])),
      ...env,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const base = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    const ready = await fetch(`${base}/healthz`).then(
      (res) => res.ok,
      () => false, // not listening yet
    );
    if (ready) break;
    if (attempt > 200 || child.exitCode !== null) {
      child.kill("SIGKILL");
      rmSync(dataDir, { recursive: true, force: true });
      throw new Error("the server did not start");
    }
    await sleep(50);
  }
  return {
    base,
    ws: `ws://127.0.0.1:${port}/v1/ws`,
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
