// Child processes of the benchmark: servers under test and load generators, each pinned to its own core when
// `taskset` works, with a raised open-file limit, tracked so that every one of them is killed when the run ends
// (normally, on an error, on Ctrl+C or when a deadline passes).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BENCH_DIR = fileURLToPath(new URL("..", import.meta.url));
export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const SERVER_CPU = "0";
export const GENERATOR_CPU = "1";
/** Open files wanted by every child: 50,000 connections need one descriptor each on both sides. */
export const NOFILE = 200_000;

/** Every per-user and per-address rate limit off: the benchmark sends far more per user than the defaults allow. */
export const RATE_LIMITS_OFF = {
  ...Object.fromEntries(
    ["REQUESTS", "MESSAGES", "TYPING", "RECEIPTS", "AUTH_IP", "REGISTER_IP", "CONNECT_IP", "UPLOADS"].map((k) => [
      `PARLEY_RATE_${k}`,
      "off",
    ]),
  ),
  // Every simulated client connects from 127.0.0.1: the per-address connection cap would refuse all but 100.
  PARLEY_MAX_CONNECTIONS_PER_ADDRESS: "0",
};

const live = new Set();
/** Data directories of servers still running; removed on exit whatever happens. */
const dataDirs = new Set();

/** Kills every child still running (SIGKILL): the last resort on exit, errors and deadlines. */
export function killAll() {
  for (const c of live) {
    try {
      process.kill(c.pid, "SIGKILL");
    } catch {}
  }
  live.clear();
}
process.once("exit", () => {
  killAll();
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

let pinning;
/** Whether children can be pinned to cores: needs `taskset`, permission to use it and at least two CPUs. */
export function pinningInfo() {
  if (pinning) return pinning;
  const cpus = availableParallelism();
  const probe = spawnSync("taskset", ["-c", GENERATOR_CPU, "true"], { stdio: "ignore" });
  const ok = cpus >= 2 && probe.status === 0;
  pinning = {
    applied: ok,
    cpus,
    detail: ok
      ? `servers on CPU ${SERVER_CPU}, load generators on CPU ${GENERATOR_CPU} (taskset)`
      : cpus < 2
        ? "not applied: fewer than 2 CPUs"
        : "not applied: taskset missing or not permitted",
  };
  return pinning;
}

/** Pins a running process (all its threads) to `cpu`; returns whether it worked. */
export function pinPid(pid, cpu) {
  if (!pinningInfo().applied) return false;
  return spawnSync("taskset", ["-a", "-p", "-c", cpu, String(pid)], { stdio: "ignore" }).status === 0;
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN when it is gone. */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (CLK_TCK 100)
  } catch {
    return Number.NaN;
  }
}

/** Resident set size of a process in bytes, from /proc; NaN when it is gone. */
export function rssOf(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export class Child {
  #seq = 0;
  #pending = new Map();
  #log = [];
  #exited;

  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.pid = child.pid;
    this.port = undefined;
    this.exitCode = undefined;
    live.add(child);
    const keep = (chunk) => {
      this.#log.push(chunk.toString());
      if (this.#log.length > 200) this.#log.splice(0, 100);
      if (process.env.BENCH_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    child.on("message", (m) => {
      if (m?.reply === undefined) return;
      const p = this.#pending.get(m.reply);
      if (!p) return;
      this.#pending.delete(m.reply);
      clearTimeout(p.timer);
      if (m.error !== undefined) p.reject(new Error(`${name}: ${m.error}`));
      else p.resolve(m.result ?? m.stats);
    });
    this.#exited = new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        live.delete(child);
        this.exitCode = code ?? signal;
        for (const p of this.#pending.values()) {
          clearTimeout(p.timer);
          p.reject(new Error(`${name} exited (${this.exitCode}) during a request: ${this.output().slice(-1500)}`));
        }
        this.#pending.clear();
        resolve(this.exitCode);
      }),
    );
  }

  /**
   * Starts `node <script>` (pinned to `cpu` when given and possible, open-file limit raised through a shell
   * wrapper) and waits for its first IPC message ({port} from servers, {ready} from generators).
   */
  static async start(name, script, { args = [], env = {}, cpu, execArgv = [], wrapper = [], readyTimeoutMs = 60_000 } = {}) {
    // wrapper: a command the node process runs under (a profiler, valgrind).
    let cmd = [...wrapper, process.execPath, ...execArgv, script, ...args];
    if (cpu !== undefined && pinningInfo().applied) cmd = ["taskset", "-c", cpu, ...cmd];
    // `ulimit -n` above the hard limit needs privileges; without them the child keeps the inherited limit (reported).
    cmd = ["/bin/sh", "-c", `ulimit -n ${NOFILE} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$@"`, "sh", ...cmd];
    const child = spawn(cmd[0], cmd.slice(1), {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe", "ipc"],
    });
    const c = new Child(name, child);
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`${name} did not start within ${readyTimeoutMs} ms: ${c.output().slice(-2000)}`));
      }, readyTimeoutMs);
      child.once("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} while starting: ${c.output().slice(-2000)}`));
      });
      const first = (m) => {
        if (m?.port === undefined && m?.ready === undefined) return;
        child.off("message", first);
        clearTimeout(timer);
        c.port = m.port;
        resolve();
      };
      child.on("message", first);
    }).catch(async (error) => {
      await c.kill();
      throw error;
    });
    return c;
  }

  get alive() {
    return this.exitCode === undefined;
  }

  output() {
    return this.#log.join("");
  }

  #request(message, timeoutMs) {
    if (!this.alive) return Promise.reject(new Error(`${this.name} is not running (exit ${this.exitCode})`));
    const id = ++this.#seq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${message.cmd} ${message.fn ?? ""} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, { resolve, reject, timer });
      this.child.send({ ...message, id });
    });
  }

  /** Memory (after a full GC when `gc`), CPU time and open files of the child, measured inside it. */
  stats({ gc = false, timeoutMs = 30_000 } = {}) {
    return this.#request({ cmd: "stats", gc }, timeoutMs);
  }

  /** Generators: runs `generator[fn](args)` of bench/<module> in the child and returns its result. */
  call(module, fn, args = {}, timeoutMs = 120_000) {
    return this.#request({ cmd: "call", module, fn, args }, timeoutMs);
  }

  cpuSeconds() {
    return cpuSecondsOf(this.pid);
  }

  /** SIGTERM (graceful), SIGKILL after `graceMs`. */
  async stop(graceMs = 5000) {
    if (!this.alive) return this.#exited;
    try {
      this.child.kill("SIGTERM");
    } catch {}
    const timer = setTimeout(() => this.kill(), graceMs);
    await this.#exited;
    clearTimeout(timer);
  }

  async kill() {
    if (this.alive) {
      try {
        this.child.kill("SIGKILL");
      } catch {}
    }
    await this.#exited;
  }
}

/** A Parley node from packages/server/dist in its own data directory (a copy of the seeded user pool, if given). */
export async function startParley({ pool, env = {}, cpu = SERVER_CPU, execArgv = [], wrapper = [], name = "parley" } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-bench-"));
  dataDirs.add(dataDir);
  if (pool) copyFileSync(pool.dbFile, join(dataDir, "parley.db"));
  let server;
  try {
    server = await Child.start(name, join(BENCH_DIR, "parley-node.mjs"), {
      cpu,
      execArgv: ["--expose-gc", ...execArgv],
      wrapper,
      readyTimeoutMs: wrapper.length > 0 ? 300_000 : 60_000,
      env: {
        PARLEY_HOST: "127.0.0.1",
        PARLEY_PORT: "0",
        PARLEY_DATA_DIR: dataDir,
        PARLEY_LOG_LEVEL: "error",
        PARLEY_JWT_SECRET: pool?.secret ?? randomBytes(32).toString("base64url"),
        PARLEY_ACCESS_TOKEN_TTL: "86400",
        ...RATE_LIMITS_OFF,
        ...env,
      },
    });
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  /** Graceful stop that keeps the data directory (to copy the database). */
  server.halt = server.stop.bind(server);
  server.stop = async (graceMs) => {
    await server.halt(graceMs);
    rmSync(dataDir, { recursive: true, force: true });
    dataDirs.delete(dataDir);
  };
  server.url = `http://127.0.0.1:${server.port}`;
  server.wsUrl = `ws://127.0.0.1:${server.port}/v1/ws`;
  server.dataDir = dataDir;
  return server;
}

export async function startWsRelay({ cpu = SERVER_CPU } = {}) {
  const server = await Child.start("ws-relay", join(BENCH_DIR, "ws-relay.mjs"), {
    cpu,
    execArgv: ["--expose-gc"],
    env: { PORT: "0" },
  });
  server.url = `http://127.0.0.1:${server.port}`;
  server.wsUrl = `ws://127.0.0.1:${server.port}`;
  return server;
}

export async function startSocketIoRelay({ cpu = SERVER_CPU, synchronous = "full" } = {}) {
  const server = await Child.start("socketio-relay", join(BENCH_DIR, "socketio-relay.mjs"), {
    cpu,
    execArgv: ["--expose-gc"],
    env: { PORT: "0", SQLITE_SYNCHRONOUS: synchronous },
  });
  server.url = `http://127.0.0.1:${server.port}`;
  server.wsUrl = server.url;
  return server;
}

/** The plain durable reference (bench/durable-ref.mjs): `ws` + SQLite group commit, FULL or NORMAL. */
export async function startDurableRef({ cpu = SERVER_CPU, synchronous = "full" } = {}) {
  const server = await Child.start(`durable-ref-${synchronous}`, join(BENCH_DIR, "durable-ref.mjs"), {
    cpu,
    execArgv: ["--expose-gc"],
    env: { PORT: "0", SQLITE_SYNCHRONOUS: synchronous },
  });
  server.url = `http://127.0.0.1:${server.port}`;
  server.wsUrl = `ws://127.0.0.1:${server.port}`;
  return server;
}

/** A load-generator process (bench/lib/generator.mjs) pinned to the generator core. */
export function startGenerator({ cpu = GENERATOR_CPU, name = "generator" } = {}) {
  return Child.start(name, join(BENCH_DIR, "lib", "generator.mjs"), { cpu, execArgv: ["--max-old-space-size=8192"] });
}
