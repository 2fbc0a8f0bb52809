// The fault scenarios and how one is run: a fresh deployment, six clients sending into two groups under load, the
// scenario's faults injected and healed, every client converging by its own means (events, reconnect sync, gap
// repair), a final resync, and the checker's verdict as one table row.

import { sleep } from "../wait.js";
import { check, type Reference, type StoredEntry, type Verdict, violations } from "./checker.js";
import { FaultClient } from "./client.js";
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

const USERS = 6;

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

export interface Row {
  scenario: string;
  faults: string[];
  verdict: Verdict;
  /** From the heal until every client held every stored entry; undefined when that did not happen in time. */
  convergedMs: number | undefined;
  connections: number;
}

export interface RunOptions {
  /** Multiplies fault durations (1 = as written). */
  scale?: number;
  /** How long clients send before the faults. */
  warmupMs?: number;
  /** Longest wait for convergence after the heal. */
  convergeTimeoutMs?: number;
  log?: (line: string) => void;
}

interface Account {
  id: string;
  token: string;
}

async function api(base: string, method: string, path: string, body?: unknown, token?: string): Promise<Json> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers["authorization"] = `Bearer ${token}`;
  const res = await fetch(base + path, {
    method,
    headers,
    signal: AbortSignal.timeout(10_000),
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const json = await res.json().catch(() => undefined);
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${JSON.stringify(json)}`);
  return json;
}
// biome-ignore lint/suspicious/noExplicitAny: answers read member by member.
type Json = any;

/** Every stored entry and every member's watermarks, read through `base` by members of each conversation. */
async function readReference(base: string, readers: Record<string, Account>): Promise<Reference> {
  const reference: Reference = { conversations: {}, watermarks: {} };
  for (const [conversationId, reader] of Object.entries(readers)) {
    const entries: StoredEntry[] = [];
    let after = 0;
    for (;;) {
      const page = await api(
        base,
        "GET",
        `/v1/conversations/${conversationId}/messages?after=${after}&limit=1000`,
        undefined,
        reader.token,
      );
      for (const m of page.messages) entries.push({ seq: m.seq, id: m.id, senderId: m.senderId, clientId: m.clientId });
      if (!page.hasMore || page.messages.length === 0) break;
      after = page.messages[page.messages.length - 1].seq;
    }
    reference.conversations[conversationId] = entries;
    const summary = await api(base, "GET", `/v1/conversations/${conversationId}`, undefined, reader.token);
    reference.watermarks[conversationId] = Object.fromEntries(
      summary.members.map((m: Json) => [m.userId, { deliveredSeq: m.deliveredSeq, readSeq: m.readSeq }]),
    );
  }
  return reference;
}

/** Retries `fn` until it succeeds or `timeoutMs` passes (the cluster may still be recovering). */
async function retrying<T>(what: string, fn: () => Promise<T>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${what}: ${(error as Error).message}`);
      await sleep(250);
    }
  }
}

/**
 * Runs `scenario` on `deployment` (which the scenarios of a run share: each has its own users and conversations, and
 * starts only once every node is ready again).
 */
export async function runScenario(deployment: Deployment, scenario: Scenario, options: RunOptions = {}): Promise<Row> {
  const { scale = 1, warmupMs = 2000, convergeTimeoutMs = 30_000, log = () => undefined } = options;
  const { rig } = deployment;
  const faults: string[] = [];
  const t0 = Date.now();
  const phase = (what: string) => log(`  ${((Date.now() - t0) / 1000).toFixed(1)} s: ${what}`);
  await deployment.allReady();
  const clients: FaultClient[] = [];
  try {
    const lb = deployment.lb.url;
    const accounts: Account[] = [];
    const run = Date.now().toString(36);
    for (let i = 0; i < USERS; i++) {
      const r = await api(lb, "POST", "/v1/auth/register", {
        username: `u${i}_${run}`,
        password: "correct horse battery",
      });
      accounts.push({ id: r.user.id, token: r.accessToken });
    }
    const [a0, a1] = accounts as [Account, Account];
    const all = await api(
      lb,
      "POST",
      "/v1/conversations/group",
      { title: "all", memberIds: accounts.slice(1).map((a) => a.id) },
      a0.token,
    );
    const some = await api(
      lb,
      "POST",
      "/v1/conversations/group",
      { title: "some", memberIds: accounts.slice(2, 4).map((a) => a.id) },
      a1.token,
    );
    const readers = { [all.id]: a0, [some.id]: a1 };
    const nodeUrls = deployment.nodes.map((n) => n.url);
    accounts.forEach((account, i) => {
      const targets = scenario.via === "nodes" ? [...nodeUrls.slice(i % 3), ...nodeUrls.slice(0, i % 3)] : [lb];
      clients.push(
        new FaultClient({
          user: account,
          conversations: i >= 1 && i <= 3 ? [all.id, some.id] : [all.id],
          targets,
          // Two of the six users are on long polling, the others on WebSockets.
          transport: i % 3 === 2 ? "longpoll" : "ws",
          requestTimeoutMs: 3000,
          silenceTimeoutMs: 3 * HEARTBEAT_MS + 500,
          sendDeadlineMs: 30_000,
        }),
      );
    });
    await Promise.all(clients.map((c) => c.resync()));

    // Load: every client sends about four messages a second and marks what it holds every half second.
    let loading = true;
    const load = clients.map(async (client, i) => {
      const convs = client.history.conversations;
      let n = 0;
      while (loading) {
        n += 1;
        const conv = convs[n % convs.length] as string;
        const drop = scenario.dropAfterSend !== undefined && Math.random() < scenario.dropAfterSend;
        await client.send(conv, { dropAfterSend: drop });
        if (n % 2 === i % 2) await client.markReceipts();
        await sleep(200 + Math.random() * 100);
      }
    });

    phase("clients connected");
    await sleep(warmupMs);
    const ctx: FaultContext = {
      rig,
      deployment,
      fault: (d) => {
        faults.push(d);
        log(`  fault: ${d}`);
      },
      hold: async (ms) => {
        await sleep(ms * scale);
      },
      secs: (ms) => `${((ms * scale) / 1000).toFixed(1).replace(/\.0$/, "")} s`,
    };
    try {
      await scenario.inject(ctx);
    } finally {
      await heal(rig, deployment);
    }
    const healedAt = Date.now();
    phase("healed");
    await sleep(1000); // load continues across the heal for a moment
    loading = false;
    await Promise.all(load);
    await deployment.allReady();
    phase("load stopped, every node ready");

    // Markers: one more message per client and conversation, so that every member gets a later event to notice gaps.
    for (const client of clients) for (const conv of client.history.conversations) await client.send(conv);
    const settled = await retrying("reading the stored history", () => readReference(lb, readers));
    const lastSeqs = Object.fromEntries(Object.entries(settled.conversations).map(([c, e]) => [c, e.length]));
    phase("markers sent, history read");
    let convergedMs: number | undefined;
    const deadline = Date.now() + convergeTimeoutMs;
    while (Date.now() < deadline) {
      if (clients.every((c) => c.holdsAll(lastSeqs))) {
        convergedMs = Date.now() - healedAt;
        break;
      }
      await sleep(100);
    }

    phase(convergedMs === undefined ? "NOT converged" : "converged");
    // The final resync (also of clients that did not converge on their own), receipts, then the verdict.
    for (const client of clients) {
      await client.resync(15_000);
      await client.markReceipts();
    }
    const reference = await retrying("reading the stored history", () => readReference(lb, readers));
    const verdict = check(
      clients.map((c) => c.history),
      reference,
    );
    const row: Row = {
      scenario: scenario.name,
      faults,
      verdict,
      convergedMs,
      connections: clients.reduce((sum, c) => sum + c.connections, 0),
    };
    log(
      `  clients: ${clients
        .map((c) => {
          const acked = c.history.sends.filter((x) => x.outcome.kind === "acked").length;
          return `${c.transport} ${acked}/${c.history.sends.length} acked, ${c.connections} connections`;
        })
        .join("; ")}`,
    );
    log(formatRowLine(row));
    return row;
  } finally {
    for (const c of clients) c.close();
  }
}

/** Undoes every fault a scenario may have left: partitions, shaping, a paused or dead process. */
async function heal(rig: Rig, deployment: Deployment): Promise<void> {
  await rig.net.heal();
  for (const n of deployment.nodes) await rig.net.unshape(n.name);
  await rig.pg.restart();
  await rig.redis.restart();
  for (const n of deployment.nodes) {
    await n.resume();
    if (!(await n.ready())) await n.start(deployment.env);
  }
}

export function formatRowLine(row: Row): string {
  const v = row.verdict;
  return `${row.scenario}: acked ${v.acked}, failed ${v.failed} (${v.failedButStored} stored), lost ${v.lost}, duplicated ${v.duplicated}, reordered ${v.reordered}, phantom ${v.phantom}, receipt regressions ${v.receiptRegressions}, converged ${row.convergedMs === undefined ? "NO" : `${(row.convergedMs / 1000).toFixed(1)} s`}${violations(v) > 0 ? `\n    ${v.problems.join("\n    ")}` : ""}`;
}

/** The results as a Markdown table (docs/reliability.md). */
export function markdownTable(rows: Row[]): string {
  const lines = [
    "| Scenario | Faults injected | Acked | Failed (stored once) | Lost | Duplicated | Reordered | Phantom | Receipt regressions | Converged after heal |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    const v = r.verdict;
    lines.push(
      `| ${r.scenario} | ${r.faults.join("; ")} | ${v.acked} | ${v.failed} (${v.failedButStored}) | ${v.lost} | ${v.duplicated} | ${v.reordered} | ${v.phantom} | ${v.receiptRegressions} | ${r.convergedMs === undefined ? "**not within the limit**" : `${(r.convergedMs / 1000).toFixed(1)} s`} |`,
    );
  }
  return lines.join("\n");
}
