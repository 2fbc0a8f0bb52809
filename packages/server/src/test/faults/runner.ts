// How one scenario is run: six users in two groups on the shared deployment, one client each (raw WebSocket or long
// polling by default, or what `clients` makes, such as SDK clients) sending under load, the scenario's faults injected
// and healed, every client converging by its own means (events, reconnect sync, gap repair), a final resync, and the
// checker's verdict as one table row.

import { sleep } from "../wait.js";
import {
  type ClientHistory,
  check,
  type Reference,
  type SendRecord,
  type StoredEntry,
  type Verdict,
  violations,
} from "./checker.js";
import { FaultClient } from "./client.js";
import type { Transport } from "./links.js";
import { type Deployment, HEARTBEAT_MS, type Rig } from "./rig/rig.js";
import type { FaultContext, Scenario } from "./scenarios.js";

const USERS = 6;
const PASSWORD = "correct horse battery";

/** What the runner needs of a client: FaultClient (raw protocol), or an adapter over the SDK. */
export interface RigClient {
  readonly history: ClientHistory;
  /** For the report: `ws`, `longpoll`, `sdk/…`. */
  readonly transport: string;
  readonly connections: number;
  send(conversationId: string, options?: { dropAfterSend?: boolean }): Promise<SendRecord>;
  /** Catches up with everything stored; false when it could not. */
  resync(timeoutMs?: number): Promise<boolean>;
  markReceipts(): Promise<void>;
  holdsAll(lastSeqs: Record<string, number>): boolean;
  close(): void | Promise<void>;
}

/** One user's place in a scenario, for a client factory. */
export interface ClientSlot {
  index: number;
  /** The answer of `auth.register`: user, tokens, session. */
  // biome-ignore lint/suspicious/noExplicitAny: passed through to the client as the server sent it.
  auth: any;
  username: string;
  password: string;
  conversations: string[];
  /** Base URLs to connect through (the load balancer, or the nodes). */
  targets: string[];
  requestTimeoutMs: number;
  sendDeadlineMs: number;
}

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
  /** Makes the client of a slot; undefined (or no factory) leaves the slot to the raw-protocol FaultClient. */
  clients?: (slot: ClientSlot) => RigClient | undefined;
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
  const clients: RigClient[] = [];
  try {
    const lb = deployment.lb.url;
    const accounts: Account[] = [];
    const run = Date.now().toString(36);
    const auths: Json[] = [];
    for (let i = 0; i < USERS; i++) {
      const r = await api(lb, "POST", "/v1/auth/register", { username: `u${i}_${run}`, password: PASSWORD });
      auths.push(r);
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
      const slot: ClientSlot = {
        index: i,
        auth: auths[i],
        username: auths[i].user.username,
        password: PASSWORD,
        conversations: i >= 1 && i <= 3 ? [all.id, some.id] : [all.id],
        targets: scenario.via === "nodes" ? [...nodeUrls.slice(i % 3), ...nodeUrls.slice(0, i % 3)] : [lb],
        requestTimeoutMs: 3000,
        sendDeadlineMs: 30_000,
      };
      const transport: Transport = i % 3 === 2 ? "longpoll" : "ws"; // two of the six users poll
      clients.push(
        options.clients?.(slot) ??
          new FaultClient({
            ...slot,
            user: account,
            transport,
            silenceTimeoutMs: 3 * HEARTBEAT_MS + 500,
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
    await Promise.all(clients.map((c) => c.close()));
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
  return `${row.scenario}: acked ${v.acked} (${v.retried} sends retried), failed ${v.failed} (${v.failedButStored} stored), lost ${v.lost}, duplicated ${v.duplicated}, reordered ${v.reordered}, phantom ${v.phantom}, receipt regressions ${v.receiptRegressions}, converged ${row.convergedMs === undefined ? "NO" : `${(row.convergedMs / 1000).toFixed(1)} s`}${violations(v) > 0 ? `\n    ${v.problems.join("\n    ")}` : ""}`;
}

/** The results as a Markdown table (docs/reliability.md). */
export function markdownTable(rows: Row[]): string {
  const lines = [
    "| Scenario | Faults injected | Acked | Retried sends | Failed (stored once) | Lost | Duplicated | Reordered | Phantom | Receipt regressions | Converged after heal |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of rows) {
    const v = r.verdict;
    lines.push(
      `| ${r.scenario} | ${r.faults.join("; ")} | ${v.acked} | ${v.retried} | ${v.failed} (${v.failedButStored}) | ${v.lost} | ${v.duplicated} | ${v.reordered} | ${v.phantom} | ${v.receiptRegressions} | ${r.convergedMs === undefined ? "**not within the limit**" : `${(r.convergedMs / 1000).toFixed(1)} s`} |`,
    );
  }
  return lines.join("\n");
}
