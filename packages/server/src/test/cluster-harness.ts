// Starts Parley cluster deployments for tests and benchmarks: node processes on PostgreSQL (fresh schema) and Redis
// (fresh prefix), a private redis-server to kill, haproxy in front; and removes all of it again, also after failures.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import pg from "pg";
import { sleep, waitUntil } from "./wait.js";

export { sleep, waitUntil };

export const TEST_DATABASE_URL = process.env["PARLEY_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";
export const TEST_REDIS_URL = process.env["PARLEY_TEST_REDIS_URL"] ?? "redis://127.0.0.1:6379";

const MAIN = fileURLToPath(new URL("../main.js", import.meta.url));
const run = promisify(execFile);

/** Children to kill if the test process exits without cleaning up (a crash, a timeout of the runner). */
const children = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of children) c.kill("SIGKILL");
});
// Interrupted (Ctrl+C on a benchmark, a runner's timeout): `exit` handlers do not run on a signal by default.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    for (const c of children) c.kill("SIGKILL");
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

// ── services ─────────────────────────────────────────────────────────────────────────────────────────────────────

export async function probePostgres(url = TEST_DATABASE_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000, query_timeout: 2000 });
  client.on("error", () => {});
  try {
    await client.connect();
    await client.query("SELECT 1");
  } catch (error) {
    throw new Error(`PostgreSQL at ${url}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}

export async function probeRedis(url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 2000 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    throw new Error(`Redis at ${url}: ${(error as Error).message}`);
  } finally {
    redis.disconnect();
  }
}

export async function probeBinary(name: string, versionArgs = ["-v"]): Promise<void> {
  try {
    await run(name, versionArgs, { timeout: 5000 });
  } catch (error) {
    throw new Error(
      `${name}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "not installed" : (error as Error).message}`,
    );
  }
}

export async function dropSchema(schema: string, url = TEST_DATABASE_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on("error", () => {});
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Deletes every key of a deployment prefix (`parley:<prefix>:*`). */
export async function deletePrefix(prefix: string, url = TEST_REDIS_URL): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, retryStrategy: () => null });
  redis.on("error", () => {});
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `parley:${prefix}:*`, "COUNT", 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

export const uniqueName = (label: string) => `${label}_${randomBytes(5).toString("hex")}`;

// ── a redis-server of the test's own, to kill and restart ────────────────────────────────────────────────────────

export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.restart();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts it (again) on the same port; an empty dataset, as after a crash without persistence. */
  async restart(): Promise<void> {
    if (this.child) return;
    const child = track(
      spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
        stdio: "ignore",
      }),
    );
    this.child = child;
    const spawned = new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    await spawned;
    await waitUntil(
      "redis-server to answer",
      () =>
        probeRedis(this.url).then(
          () => true,
          () => false,
        ),
      5000,
    );
  }

  /** SIGKILL: every connection drops at once. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }
}

// ── node processes ───────────────────────────────────────────────────────────────────────────────────────────────

export class NodeProcess {
  private logs: string[] = [];
  private exited: Promise<number | null>;

  private constructor(
    readonly name: string,
    readonly port: number,
    readonly child: ChildProcess,
    private readonly dataDir: string,
  ) {
    const keep = (chunk: Buffer) => {
      this.logs.push(chunk.toString());
      if (this.logs.length > 200) this.logs.splice(0, 100);
    };
    child.stdout?.on("data", keep);
    child.stderr?.on("data", keep);
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Starts `node [nodeArgs] dist/main.js` with `env` on a free port and waits until /readyz answers 200. */
  static async start(
    name: string,
    env: Record<string, string>,
    options: { port?: number; nodeArgs?: string[] } = {},
  ): Promise<NodeProcess> {
    const { port, nodeArgs = [] } = options;
    const p = port ?? (await freePort());
    const dataDir = mkdtempSync(join(tmpdir(), `parley-${name}-`));
    const child = track(
      spawn(process.execPath, [...nodeArgs, MAIN], {
        env: {
          PATH: process.env["PATH"] ?? "",
          PARLEY_HOST: "127.0.0.1",
          PARLEY_PORT: String(p),
          PARLEY_DATA_DIR: dataDir,
          PARLEY_LOG_LEVEL: "warn",
          PARLEY_NODE_ID: name,
          ...env,
        },
        stdio: ["ignore", "pipe", "pipe"],
      }),
    );
    const node = new NodeProcess(name, p, child, dataDir);
    try {
      await waitUntil(
        `${name} to become ready`,
        async () => {
          if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}: ${node.output()}`);
          return (await node.ready()) === 200;
        },
        20_000,
        50,
      );
    } catch (error) {
      await node.stop();
      throw error;
    }
    return node;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Recent stdout and stderr, for failure messages. */
  output(): string {
    return this.logs.join("").slice(-4000);
  }

  /** /readyz status, 0 when nothing answers. */
  async ready(): Promise<number> {
    try {
      const res = await fetch(`${this.url}/readyz`, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return res.status;
    } catch {
      return 0;
    }
  }

  /** SIGKILL: no graceful close, sockets reset by the kernel, presence left to expire. */
  async kill(): Promise<void> {
    if (this.alive) this.child.kill("SIGKILL");
    await this.exited;
  }

  /** SIGTERM (graceful), SIGKILL after 5 s; removes the data directory. */
  async stop(): Promise<void> {
    if (this.alive) {
      this.child.kill("SIGTERM");
      const timer = setTimeout(() => this.child.kill("SIGKILL"), 5000);
      await this.exited;
      clearTimeout(timer);
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

// ── haproxy ──────────────────────────────────────────────────────────────────────────────────────────────────────

/** The shipped load balancer configuration, which the cluster tests run with their own ports and intervals. */
export const HAPROXY_CFG = fileURLToPath(new URL("../../../../deploy/haproxy.cfg", import.meta.url));

export interface HaproxyOptions {
  bind: string;
  servers: { name: string; address: string }[];
  /** Health check interval; a server is out after `fall` failed checks and back after `rise` good ones. */
  checkInterval?: string;
  fall?: number;
  rise?: number;
}

/**
 * `template` (deploy/haproxy.cfg) with the bind address, the server list of every backend (keeping each backend's
 * per-server options such as `cookie`) and the check timing replaced; everything else is as shipped.
 */
export function haproxyConfig(template: string, options: HaproxyOptions): string {
  let cfg = template.replace(/^([ \t]*)bind \S+/m, `$1bind ${options.bind}`);
  cfg = cfg.replace(
    /default-server inter \S+ fall \d+ rise \d+/g,
    `default-server inter ${options.checkInterval ?? "2s"} fall ${options.fall ?? 2} rise ${options.rise ?? 2}`,
  );
  return cfg.replace(/(?:^[ \t]*server .*\n?)+/gm, (block) => {
    const sticky = / cookie \S+/.test(block);
    return options.servers
      .map((srv) => `  server ${srv.name} ${srv.address} check${sticky ? ` cookie ${srv.name}` : ""}\n`)
      .join("");
  });
}

export class Haproxy {
  private constructor(
    readonly port: number,
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {}

  static async start(servers: { name: string; port: number }[]): Promise<Haproxy> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "parley-haproxy-"));
    const file = join(dir, "haproxy.cfg");
    writeFileSync(
      file,
      haproxyConfig(readFileSync(HAPROXY_CFG, "utf8"), {
        bind: `127.0.0.1:${port}`,
        servers: servers.map((s) => ({ name: s.name, address: `127.0.0.1:${s.port}` })),
        checkInterval: "200ms",
        fall: 1,
        rise: 2,
      }),
    );
    // -db: stay in the foreground (no daemon, no systemd), so the test owns the process.
    const child = track(spawn("haproxy", ["-f", file, "-db"], { stdio: ["ignore", "ignore", "pipe"] }));
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    const lb = new Haproxy(port, child, dir);
    await waitUntil(
      "haproxy to route to a ready node",
      async () => {
        if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${stderr}`);
        try {
          const res = await fetch(`${lb.url}/readyz`, { signal: AbortSignal.timeout(1000) });
          await res.body?.cancel();
          return res.status === 200;
        } catch {
          return false;
        }
      },
      10_000,
    );
    return lb;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) {
      const exited = new Promise((resolve) => this.child.once("exit", resolve));
      this.child.kill("SIGKILL");
      await exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

// ── a whole deployment ───────────────────────────────────────────────────────────────────────────────────────────

export interface ClusterOptions {
  nodes: number;
  /** Put haproxy in front (default true). */
  haproxy?: boolean;
  /** Extra environment for every node (limits, timeouts). */
  env?: Record<string, string>;
  redisUrl?: string;
  databaseUrl?: string;
  /** Extra Node.js arguments for every node, e.g. `--cpu-prof` for a benchmark. */
  nodeArgs?: string[];
}

/** Every service a cluster test needs; throws naming the first one missing. */
export async function probeClusterServices(options: { haproxy?: boolean } = {}): Promise<void> {
  await probePostgres();
  await probeRedis();
  if (options.haproxy !== false) await probeBinary("haproxy");
}

export class Cluster {
  readonly nodes: NodeProcess[] = [];
  lb: Haproxy | undefined;
  readonly schema = uniqueName("parley_cluster");
  readonly prefix = uniqueName("cluster");
  readonly env: Record<string, string>;

  private constructor(options: ClusterOptions) {
    this.env = {
      PARLEY_DATABASE_URL: options.databaseUrl ?? TEST_DATABASE_URL,
      PARLEY_DATABASE_SCHEMA: this.schema,
      PARLEY_REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
      PARLEY_CLUSTER_PREFIX: this.prefix,
      PARLEY_JWT_SECRET: randomBytes(32).toString("base64url"),
      ...options.env,
    };
  }

  /** Starts the nodes (the first alone, so that it migrates the fresh schema), then haproxy. */
  static async start(options: ClusterOptions): Promise<Cluster> {
    const cluster = new Cluster(options);
    try {
      const nodeArgs = options.nodeArgs ?? [];
      cluster.nodes.push(await NodeProcess.start("node1", cluster.env, { nodeArgs }));
      const rest = await Promise.all(
        Array.from({ length: options.nodes - 1 }, (_, i) => NodeProcess.start(`node${i + 2}`, cluster.env, { nodeArgs })),
      );
      cluster.nodes.push(...rest);
      if (options.haproxy !== false) cluster.lb = await Haproxy.start(cluster.nodes.map((n) => ({ name: n.name, port: n.port })));
    } catch (error) {
      await cluster.close();
      throw error;
    }
    return cluster;
  }

  /** Stops everything and deletes the schema and the Redis keys; safe to call twice. */
  async close(): Promise<void> {
    await this.lb?.stop();
    this.lb = undefined;
    await Promise.all(this.nodes.map((n) => n.stop()));
    await dropSchema(this.schema, this.env["PARLEY_DATABASE_URL"]).catch(() => {});
    await deletePrefix(this.prefix, this.env["PARLEY_REDIS_URL"]).catch(() => {});
  }
}
