// The fault scenarios: what each injects into a running deployment, for how long, and how it is described in the
// results table (runner.ts runs them).

import { type Deployment, HEARTBEAT_MS, PRESENCE_TTL_MS, type Rig } from "./rig/rig.js";

export interface FaultContext {
  rig: Rig;
  deployment: Deployment;
  /** Records a fault for the report and for the row's "faults injected" column. */
  fault: (description: string) => void;
  /** Waits `scale` × `ms` (the CI run is shorter). */
  hold: (ms: number) => Promise<void>;
  /** `scale` × `ms` in seconds, for fault descriptions. */
  secs: (ms: number) => string;
}

export interface Scenario {
  name: string;
  /** Clients connect through the load balancer (default) or to the nodes directly, each to a different one first. */
  via?: "lb" | "nodes";
  /** Share of sends after which the client drops its connection before the answer (and retries elsewhere). */
  dropAfterSend?: number;
  inject: (ctx: FaultContext) => Promise<void>;
}

export const SCENARIOS: Scenario[] = [
  {
    name: "node ↔ Redis partition",
    async inject({ rig, fault, hold, secs }) {
      fault(`n1 ↔ redis partitioned ${secs(12_000)}`);
      await rig.net.partition("n1", "redis");
      await hold(12_000);
    },
  },
  {
    name: "Redis → node one-way partition",
    async inject({ rig, fault, hold, secs }) {
      fault(`redis → n1 dropped ${secs(12_000)} (n1 can publish, hears nothing)`);
      await rig.net.partition("redis", "n1", { oneWay: true });
      await hold(12_000);
    },
  },
  {
    name: "node ↔ PostgreSQL partition",
    async inject({ rig, fault, hold, secs }) {
      fault(`n1 ↔ pg partitioned ${secs(12_000)}`);
      await rig.net.partition("n1", "pg");
      await hold(12_000);
    },
  },
  {
    name: "load balancer ↔ node partition",
    async inject({ rig, fault, hold, secs }) {
      fault(`lb ↔ n1 partitioned ${secs(12_000)}`);
      await rig.net.partition("lb", "n1");
      await hold(12_000);
    },
  },
  {
    name: "100–500 ms latency, 5 % loss on one node",
    async inject({ rig, fault, hold, secs }) {
      fault(`n1: 300 ± 200 ms delay, 5 % loss each way, ${secs(10_000)}`);
      await rig.net.shape("n1", { delayMs: 300, jitterMs: 200, lossPercent: 5 });
      await hold(10_000);
    },
  },
  {
    name: "node paused longer than the heartbeat",
    async inject({ deployment, fault, hold, secs }) {
      const ms = 2 * PRESENCE_TTL_MS;
      fault(`n1 SIGSTOP ${secs(ms)} (heartbeat ${HEARTBEAT_MS / 1000} s, presence TTL ${PRESENCE_TTL_MS / 1000} s), SIGCONT`);
      await deployment.node("n1").pause();
      await hold(ms);
      await deployment.node("n1").resume();
    },
  },
  {
    name: "PostgreSQL restart",
    async inject({ rig, fault, hold, secs }) {
      fault(`pg immediate shutdown (SIGQUIT), down ${secs(3000)}, restarted (crash recovery)`);
      await rig.pg.crash();
      await hold(3000);
      await rig.pg.restart();
    },
  },
  {
    name: "Redis restart",
    async inject({ rig, fault, hold, secs }) {
      fault(`redis kill -9, down ${secs(3000)}, restarted empty`);
      await rig.redis.kill();
      await hold(3000);
      await rig.redis.restart();
    },
  },
  {
    name: "kill -9 of two nodes in turn",
    async inject({ deployment, fault, hold, secs }) {
      for (const name of ["n1", "n2"]) {
        fault(`${name} kill -9, restarted after ${secs(3000)}`);
        await deployment.node(name).kill();
        await hold(3000);
        await deployment.node(name).start(deployment.env);
        await hold(2000);
      }
    },
  },
  {
    name: "reconnect through another node mid-send",
    via: "nodes",
    dropAfterSend: 0.3,
    async inject({ deployment, fault, hold, secs }) {
      fault("30 % of sends: connection dropped before the ack, retried through the next node");
      await hold(4000);
      fault(`n3 kill -9 meanwhile, restarted after ${secs(3000)}`);
      await deployment.node("n3").kill();
      await hold(3000);
      await deployment.node("n3").start(deployment.env);
    },
  },
];

/** The scenarios of the CI run (a few minutes): one of each kind of fault. */
export const SHORT = [
  "node ↔ Redis partition",
  "load balancer ↔ node partition",
  "PostgreSQL restart",
  "reconnect through another node mid-send",
];
