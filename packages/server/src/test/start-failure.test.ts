// A start that fails at any step, embedded or in cluster mode, leaves nothing open: no listener, no PostgreSQL or Redis
// connection, no handle that keeps the process alive.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, before, beforeEach, describe, it } from "node:test";
import { Redis } from "ioredis";
import pg from "pg";
import { START_STEPS, type StartStep, startParley } from "../app.js";
import type { Config } from "../config/index.js";
import {
  deletePrefix,
  dropSchema,
  freePort,
  probePostgres,
  probeRedis,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  uniqueName,
  waitUntil,
} from "./cluster-harness.js";
import { RATE_LIMITS_OFF, RawClient, register } from "./harness.js";

/** What keeps this process alive (sockets, listeners, referenced timers), as a list of kinds. */
const liveResources = () => process.getActiveResourcesInfo();

/** The kinds in `now` beyond those in `baseline` (a multiset difference: what was opened and not closed again). */
function opened(baseline: string[], now: string[]): string[] {
  const left = [...baseline];
  return now.filter((kind) => {
    const i = left.indexOf(kind);
    if (i === -1) return true;
    left.splice(i, 1);
    return false;
  });
}

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

async function postgresConnections(applicationName: string): Promise<number> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  client.on("error", () => {});
  await client.connect();
  try {
    const { rows } = await client.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1", [
      applicationName,
    ]);
    return rows[0].n as number;
  } finally {
    await client.end();
  }
}

/** Files under `dir` this process holds open (SQLite's database and journal): Linux's /proc lists them. */
function openFilesUnder(dir: string): number {
  const fds = readdirSync("/proc/self/fd");
  return fds.filter((fd) => {
    try {
      return readlinkSync(join("/proc/self/fd", fd)).startsWith(`${dir}/`);
    } catch {
      return false; // closed since the listing (the listing's own descriptor, say)
    }
  }).length;
}

/** Redis clients of a deployment prefix (openRedis names every connection `parley-<prefix>-<role>`). */
async function redisClients(prefix: string): Promise<number> {
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, retryStrategy: () => null });
  redis.on("error", () => {});
  await redis.connect();
  try {
    const list = (await redis.client("LIST")) as string;
    return list.split("\n").filter((line) => line.includes(` name=parley-${prefix}-`)).length;
  } finally {
    redis.disconnect();
  }
}

interface Deployment {
  overrides: Partial<Config>;
  /** Counts what the deployment's backends still see of this process (the SQLite files it holds, embedded). */
  backendConnections(): Promise<number>;
  cleanup(): Promise<void>;
}

function embedded(): Deployment {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-start-failure-"));
  return {
    overrides: { dataDir },
    backendConnections: async () => openFilesUnder(dataDir),
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

function cluster(): Deployment {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-start-failure-"));
  const schema = uniqueName("parley_startfail");
  const prefix = uniqueName("startfail");
  // The connection string's application_name wins over the adapter's, which tells this test's connections apart.
  const applicationName = uniqueName("parley_startfail");
  return {
    overrides: {
      dataDir,
      databaseUrl: `${TEST_DATABASE_URL}?application_name=${applicationName}`,
      databaseSchema: schema,
      redisUrl: TEST_REDIS_URL,
      clusterPrefix: prefix,
      jwtSecret: randomBytes(32).toString("base64url"),
    },
    backendConnections: async () => (await postgresConnections(applicationName)) + (await redisClients(prefix)),
    cleanup: async () => {
      rmSync(dataDir, { recursive: true, force: true });
      await dropSchema(schema).catch(() => {});
      await deletePrefix(prefix).catch(() => {});
    },
  };
}

interface FailingStart {
  /** The port to listen on; unless it was taken beforehand, checked to be free again afterwards. */
  port: number;
  portTaken?: boolean;
  overrides?: Partial<Config>;
  beforeStep?: (step: StartStep) => void;
  expected: (error: unknown) => boolean;
}

/** Starts a node that must fail as `expected`, then checks that everything it opened was closed again. */
async function startMustFail(deployment: Deployment, start: FailingStart): Promise<void> {
  const baseline = liveResources();
  const errors: string[] = [];
  await assert.rejects(
    startParley(
      {
        host: "127.0.0.1",
        port: start.port,
        logLevel: "error",
        ...RATE_LIMITS_OFF,
        ...deployment.overrides,
        ...start.overrides,
      },
      {},
      {
        logDestination: { write: (line: string) => void errors.push(line) },
        ...(start.beforeStep ? { beforeStep: start.beforeStep } : {}),
      },
    ),
    (error) => start.expected(error),
  );
  // Every closer had what it needed: none failed on a half-started node (a failure would be logged as an error).
  assert.deepEqual(errors, []);
  await assertNothingLeft(deployment, baseline, start.portTaken ? undefined : start.port);
}

/** No listener on `port`, nothing open on the deployment's backends, no handle beyond `baseline`. */
async function assertNothingLeft(deployment: Deployment, baseline: string[], port: number | undefined): Promise<void> {
  if (port !== undefined) assert.ok(await portIsFree(port), `port ${port} is still listened on`);
  // A closed connection leaves the backend's list a moment after the client let go of it.
  const connections = () => deployment.backendConnections();
  await waitUntil("the backends to see no connection of this node", async () => (await connections()) === 0, 5000).catch(
    async () => assert.equal(await connections(), 0, "left open: SQLite files, PostgreSQL or Redis connections"),
  );
  await waitUntil("the handles to be back at the baseline", () => opened(baseline, liveResources()).length === 0, 3000).catch(
    () => assert.deepEqual(opened(baseline, liveResources()), [], "handles left open"),
  );
}

for (const [mode, deploy] of [
  ["embedded", embedded],
  ["cluster", cluster],
] as const) {
  describe(`a failed start (${mode}) closes everything it opened`, () => {
    // A deployment of its own per test: what one start leaves behind cannot be blamed on the next.
    let deployment: Deployment;
    before(async () => {
      if (mode === "cluster") {
        await probePostgres();
        await probeRedis();
      }
    });
    beforeEach(() => {
      deployment = deploy();
    });
    afterEach(async () => deployment.cleanup());

    for (const failing of START_STEPS) {
      it(`when step "${failing}" fails`, async () => {
        const injected = new Error(`injected failure at ${failing}`);
        let reached = false;
        await startMustFail(deployment, {
          port: await freePort(),
          beforeStep: (step) => {
            if (step !== failing) return;
            reached = true;
            throw injected;
          },
          // The start's own error comes out, not one from the cleanup.
          expected: (error) => error === injected,
        });
        assert.ok(reached, `the start never reached step "${failing}"`);
      });
    }

    it("when the port is taken", async () => {
      const taken = createServer();
      await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
      const { port } = taken.address() as { port: number };
      try {
        await startMustFail(deployment, {
          port,
          portTaken: true,
          expected: (error) => (error as NodeJS.ErrnoException).code === "EADDRINUSE",
        });
      } finally {
        await new Promise((resolve) => taken.close(resolve));
      }
    });

    it("and close() of a node that started closes the same, once however often it is called", async () => {
      const baseline = liveResources();
      const port = await freePort();
      const errors: string[] = [];
      const server = await startParley(
        { host: "127.0.0.1", port, logLevel: "error", ...RATE_LIMITS_OFF, ...deployment.overrides },
        {},
        { logDestination: { write: (line: string) => void errors.push(line) } },
      );
      const user = await register(server);
      const client = await RawClient.connect(server, user.accessToken);
      const closing = server.close();
      assert.equal(server.close(), closing);
      await closing;
      assert.equal(await client.closed, 1001);
      await server.close();
      assert.deepEqual(errors, []);
      await assertNothingLeft(deployment, baseline, port);
    });

    if (mode === "cluster") {
      it("when Redis cannot be reached (after PostgreSQL was opened)", async () => {
        const dead = await freePort();
        await startMustFail(deployment, {
          port: await freePort(),
          overrides: { redisUrl: `redis://127.0.0.1:${dead}` },
          expected: (error) => /cannot reach Redis/.test((error as Error).message),
        });
      });
    }
  });
}
