// The whole rig: the network, the rig's own PostgreSQL and Redis, and per scenario a fresh deployment (three Parley
// nodes in cluster mode on a new schema and key prefix, haproxy in front). `destroy` removes everything and also runs
// on exit and on SIGINT/SIGTERM, so a failed or interrupted run leaves no namespace and no process behind.

import { randomBytes } from "node:crypto";
import { sleep, waitUntil } from "../../wait.js";
import { LONG_POLL_HOLD_MS } from "../links.js";
import { Network } from "./netns.js";
import { killAllRigChildren, RigHaproxy, RigNode, RigPostgres, RigRedis } from "./processes.js";

export const NODE_NAMES = ["n1", "n2", "n3"] as const;

/** Cluster timing of the rig: short, so that a paused node misses heartbeats and presence expires within seconds. */
export const HEARTBEAT_MS = 1000;
export const PRESENCE_TTL_MS = 3000;

const RIGS = new Set<Rig>();
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    killAllRigChildren();
    for (const rig of RIGS) rig.net.destroy();
    process.exit(128 + (signal === "SIGINT" ? 2 : 15));
  });
}

export class Deployment {
  constructor(
    readonly rig: Rig,
    readonly nodes: RigNode[],
    readonly lb: RigHaproxy,
    readonly env: Record<string, string>,
  ) {}

  node(name: string): RigNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name}`);
    return node;
  }

  /** Waits until every node, PostgreSQL and Redis are back and every node reports ready. */
  async allReady(timeoutMs = 30_000): Promise<void> {
    await waitUntil(
      "every node to report ready",
      async () => (await Promise.all(this.nodes.map((n) => n.ready()))).every(Boolean),
      timeoutMs,
      200,
    );
  }

  async stop(): Promise<void> {
    await this.lb.stop();
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

export class Rig {
  private constructor(
    readonly net: Network,
    readonly pg: RigPostgres,
    readonly redis: RigRedis,
  ) {}

  /** Builds the network (switch, clients' veth, one namespace per host) and starts PostgreSQL and Redis in theirs. */
  static async start(): Promise<Rig> {
    const net = await Network.create();
    try {
      await net.addHost("pg", 10);
      await net.addHost("redis", 11);
      await net.addHost("lb", 12);
      for (const [i, name] of NODE_NAMES.entries()) await net.addHost(name, 21 + i);
      const pg = await RigPostgres.start(net, "pg");
      const redis = new RigRedis(net, "redis");
      await redis.restart();
      const rig = new Rig(net, pg, redis);
      RIGS.add(rig);
      return rig;
    } catch (error) {
      killAllRigChildren();
      net.destroy();
      throw error;
    }
  }

  /** Three nodes on a fresh schema and key prefix (the first alone, so that it migrates), then haproxy. */
  async deploy(extraEnv: Record<string, string> = {}): Promise<Deployment> {
    const label = randomBytes(4).toString("hex");
    const env = {
      PARLEY_DATABASE_URL: this.pg.url,
      PARLEY_DATABASE_SCHEMA: `faults_${label}`,
      PARLEY_REDIS_URL: this.redis.url,
      PARLEY_CLUSTER_PREFIX: `faults_${label}`,
      PARLEY_JWT_SECRET: randomBytes(32).toString("base64url"),
      PARLEY_LOG_LEVEL: "warn",
      PARLEY_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
      PARLEY_PRESENCE_TTL_MS: String(PRESENCE_TTL_MS),
      PARLEY_LONG_POLL_HOLD_MS: String(LONG_POLL_HOLD_MS),
      // Every client comes from one address (the rig's veth) through haproxy: no per-address or per-user limits.
      PARLEY_RATE_MESSAGES: "off",
      PARLEY_RATE_REQUESTS: "off",
      PARLEY_RATE_RECEIPTS: "off",
      PARLEY_RATE_AUTH_IP: "off",
      PARLEY_RATE_REGISTER_IP: "off",
      PARLEY_RATE_CONNECT_IP: "off",
      PARLEY_MAX_CONNECTIONS_PER_ADDRESS: "0",
      ...extraEnv,
    };
    const nodes = NODE_NAMES.map((name) => new RigNode(this.net, name));
    const lb = new RigHaproxy(this.net, "lb");
    const deployment = new Deployment(this, nodes, lb, env);
    try {
      await nodes[0]?.start(env);
      await Promise.all(nodes.slice(1).map((n) => n.start(env)));
      await lb.start(nodes.map((n) => ({ name: n.name, address: n.address })));
      await sleep(1000); // haproxy's `rise 2` for every node, so that the clients spread over all three
    } catch (error) {
      await deployment.stop();
      throw error;
    }
    return deployment;
  }

  async destroy(): Promise<void> {
    RIGS.delete(this);
    await this.redis.kill();
    await this.pg.stop();
    killAllRigChildren();
    this.net.destroy();
  }
}
