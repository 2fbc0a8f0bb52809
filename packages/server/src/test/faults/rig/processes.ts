// The rig's processes, each inside its host's namespace: a PostgreSQL and a redis-server of the rig's own (so that
// restarting them harms nobody), haproxy with the shipped configuration, and Parley nodes. Every child is killed when
// the run ends, however it ends.

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HAPROXY_CFG, haproxyConfig } from "../../cluster-harness.js";
import { sleep, waitUntil } from "../../wait.js";
import { type Network, PG_BIN, sh } from "./netns.js";

const MAIN = fileURLToPath(new URL("../../../main.js", import.meta.url));

const CHILDREN = new Set<ChildProcess>();
/** Temporary directories (PostgreSQL data, node data, haproxy configuration), removed on exit whatever happened. */
const TEMP_DIRS = new Set<string>();
process.once("exit", () => {
  for (const c of CHILDREN) c.kill("SIGKILL");
  for (const dir of TEMP_DIRS) rmSync(dir, { recursive: true, force: true });
});

function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  TEMP_DIRS.add(dir);
  return dir;
}

/** A long-running process in a namespace, with the tail of its output for failure messages. */
class Proc {
  private logs: string[] = [];
  readonly exited: Promise<void>;

  constructor(readonly child: ChildProcess) {
    CHILDREN.add(child);
    const keep = (chunk: Buffer) => {
      this.logs.push(chunk.toString());
      if (this.logs.length > 200) this.logs.splice(0, 100);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) =>
      child.once("exit", () => {
        CHILDREN.delete(child);
        resolve();
      }),
    );
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  output(): string {
    return this.logs.join("").slice(-3000);
  }

  async signal(sig: NodeJS.Signals): Promise<void> {
    if (!this.alive) return;
    this.child.kill(sig);
    if (sig === "SIGKILL" || sig === "SIGQUIT" || sig === "SIGTERM") await this.exited;
  }
}

function spawnIn(net: Network, host: string, cmd: string, args: string[], env: Record<string, string> = {}): Proc {
  const [bin, argv] = net.exec(host, cmd, args);
  return new Proc(spawn(bin, argv, { env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] }));
}

/** The last answer of each health URL, for failure messages. */
const lastAnswers = new Map<string, string>();

async function tcpAnswers(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    lastAnswers.set(url, `HTTP ${res.status} ${await res.text()}`);
    return res.status === 200;
  } catch (error) {
    lastAnswers.set(url, (error as Error).message);
    return false;
  }
}

// ── PostgreSQL ───────────────────────────────────────────────────────────────────────────────────────────────────

export class RigPostgres {
  private proc: Proc | undefined;

  private constructor(
    private readonly net: Network,
    private readonly host: string,
    private readonly dir: string,
  ) {}

  /** initdb into a temporary directory (as user postgres), trusting the rig's subnet, then starts it. */
  static async start(net: Network, host: string): Promise<RigPostgres> {
    const dir = tempDir("parley-faults-pg-");
    const data = join(dir, "data");
    mkdirSync(data);
    await sh("chown", ["-R", "postgres:postgres", dir]);
    const pg = new RigPostgres(net, host, dir);
    await sh("setpriv", [...asPostgres(), `${PG_BIN}/initdb`, "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"]);
    writeFileSync(
      join(data, "pg_hba.conf"),
      `${readFileSync(join(data, "pg_hba.conf"), "utf8")}\nhost all all ${net.subnet}.0/24 trust\n`,
    );
    await pg.restart();
    return pg;
  }

  get url(): string {
    return `postgres://postgres@${this.net.host(this.host).address}:5432/postgres`;
  }

  /** Starts the postmaster (again) and waits until it accepts connections. */
  async restart(): Promise<void> {
    if (this.proc?.alive) return;
    const address = this.net.host(this.host).address;
    this.proc = spawnIn(this.net, this.host, "setpriv", [
      ...asPostgres(),
      `${PG_BIN}/postgres`,
      "-D",
      join(this.dir, "data"),
      "-c",
      `listen_addresses=${address}`,
      "-c",
      "port=5432",
      "-c",
      `unix_socket_directories=${this.dir}`,
      "-c",
      "max_connections=200",
    ]);
    const proc = this.proc;
    await waitUntil(
      "the rig's PostgreSQL to accept connections",
      async () => {
        if (!proc.alive) throw new Error(`postgres exited: ${proc.output()}`);
        try {
          await sh(`${PG_BIN}/pg_isready`, ["-h", address, "-p", "5432", "-t", "1"]);
          return true;
        } catch {
          return false;
        }
      },
      30_000,
      100,
    );
  }

  /** An immediate shutdown (SIGQUIT): no checkpoint, crash recovery at the next start; connections are cut. */
  async crash(): Promise<void> {
    await this.proc?.signal("SIGQUIT");
    this.proc = undefined;
  }

  async stop(): Promise<void> {
    await this.proc?.signal("SIGQUIT");
    this.proc = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** setpriv arguments that drop root for the postgres user (PostgreSQL refuses to run as root). */
function asPostgres(): string[] {
  return ["--reuid=postgres", "--regid=postgres", "--init-groups"];
}

// ── Redis ────────────────────────────────────────────────────────────────────────────────────────────────────────

export class RigRedis {
  private proc: Proc | undefined;

  constructor(
    private readonly net: Network,
    private readonly host: string,
  ) {}

  get url(): string {
    return `redis://${this.net.host(this.host).address}:6379`;
  }

  /** Starts redis-server (again): no persistence, so a restart comes back empty, as after a crash. */
  async restart(): Promise<void> {
    if (this.proc?.alive) return;
    const address = this.net.host(this.host).address;
    this.proc = spawnIn(this.net, this.host, "redis-server", [
      "--bind",
      address,
      "--port",
      "6379",
      "--save",
      "",
      "--appendonly",
      "no",
      "--protected-mode",
      "no",
    ]);
    const proc = this.proc;
    await waitUntil(
      "the rig's redis-server to answer",
      async () => {
        if (!proc.alive) throw new Error(`redis-server exited: ${proc.output()}`);
        try {
          return (await sh("redis-cli", ["-h", address, "-p", "6379", "ping"])).trim() === "PONG";
        } catch {
          return false;
        }
      },
      10_000,
      100,
    );
  }

  async kill(): Promise<void> {
    await this.proc?.signal("SIGKILL");
    this.proc = undefined;
  }
}

// ── haproxy ──────────────────────────────────────────────────────────────────────────────────────────────────────

export class RigHaproxy {
  private proc: Proc | undefined;
  private readonly dir = tempDir("parley-faults-lb-");

  constructor(
    private readonly net: Network,
    private readonly host: string,
  ) {}

  get url(): string {
    return `http://${this.net.host(this.host).address}:8080`;
  }

  /** deploy/haproxy.cfg with the rig's nodes, checked every 500 ms (out after 2 failures, back after 2 successes). */
  async start(nodes: { name: string; address: string }[]): Promise<void> {
    const file = join(this.dir, "haproxy.cfg");
    writeFileSync(
      file,
      haproxyConfig(readFileSync(HAPROXY_CFG, "utf8"), {
        bind: `${this.net.host(this.host).address}:8080`,
        servers: nodes.map((n) => ({ name: n.name, address: `${n.address}:8080` })),
        checkInterval: "500ms",
        fall: 2,
        rise: 2,
      }),
    );
    this.proc = spawnIn(this.net, this.host, "haproxy", ["-f", file, "-db"]);
    const proc = this.proc;
    await waitUntil(
      "haproxy to route to a ready node",
      async () => {
        if (!proc.alive) throw new Error(`haproxy exited: ${proc.output()}`);
        return tcpAnswers(`${this.url}/readyz`);
      },
      15_000,
      100,
    );
  }

  async stop(): Promise<void> {
    await this.proc?.signal("SIGKILL");
    this.proc = undefined;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ── Parley nodes ─────────────────────────────────────────────────────────────────────────────────────────────────

export class RigNode {
  private proc: Proc | undefined;
  private dataDir: string | undefined;

  constructor(
    private readonly net: Network,
    readonly name: string,
  ) {}

  get address(): string {
    return this.net.host(this.name).address;
  }

  get url(): string {
    return `http://${this.address}:8080`;
  }

  get pid(): number | undefined {
    return this.proc?.child.pid;
  }

  /** Starts `dist/main.js` in the node's namespace with `env` and waits until /readyz answers 200. */
  async start(env: Record<string, string>): Promise<void> {
    if (this.proc?.alive) return;
    this.dataDir ??= tempDir(`parley-faults-${this.name}-`);
    this.proc = spawnIn(this.net, this.name, process.execPath, [MAIN], {
      PARLEY_HOST: this.address,
      PARLEY_PORT: "8080",
      PARLEY_DATA_DIR: this.dataDir,
      PARLEY_NODE_ID: this.name,
      ...env,
    });
    const proc = this.proc;
    try {
      await waitUntil(
        `${this.name} to become ready`,
        async () => {
          if (!proc.alive) throw new Error(`${this.name} exited`);
          return tcpAnswers(`${this.url}/readyz`);
        },
        60_000,
        100,
      );
    } catch (error) {
      const health = lastAnswers.get(`${this.url}/readyz`) ?? "no answer";
      throw new Error(`${(error as Error).message} (/readyz: ${health}); its output: ${proc.output()}`);
    }
  }

  async ready(): Promise<boolean> {
    return tcpAnswers(`${this.url}/readyz`);
  }

  output(): string {
    return this.proc?.output() ?? "";
  }

  /** kill -9. */
  async kill(): Promise<void> {
    await this.proc?.signal("SIGKILL");
  }

  pause(): Promise<void> {
    return this.proc?.signal("SIGSTOP") ?? Promise.resolve();
  }

  resume(): Promise<void> {
    return this.proc?.signal("SIGCONT") ?? Promise.resolve();
  }

  /** SIGTERM (graceful), SIGKILL after 5 s; removes the data directory. */
  async stop(): Promise<void> {
    const proc = this.proc;
    if (proc?.alive) {
      proc.child.kill("SIGCONT");
      proc.child.kill("SIGTERM");
      await Promise.race([proc.exited, sleep(5000)]);
      await proc.signal("SIGKILL");
    }
    this.proc = undefined;
    if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
    this.dataDir = undefined;
  }
}

/** Kills every child of the rig at once (the SIGINT path; `exit` does the same). */
export function killAllRigChildren(): void {
  for (const c of CHILDREN) c.kill("SIGKILL");
}
