// Generator side of the reconnect storm: many clients (several devices per user) in groups, all dropped at once;
// while they are away a writer sends messages into every group; then every client reconnects the way the SDK does
// (first attempt after a random delay under 500 ms, capped exponential backoff with full jitter after a failure),
// says hello and runs the sync loop (protocol §9.3) from its cursor until it holds every missed entry.
//
// Sockets are not bound to a source address: the kernel then picks each source port at connect() time, per
// destination and in amortized O(1). Binding one (`localAddress`, port 0) makes it search a free port at bind() time
// across every port in use on the machine (TIME_WAIT included); with 10,000 connections open, 10,000 just dropped and
// other benchmarks sharing the loopback that search cost this process 6–16 s of kernel CPU per storm and delayed the
// clients' connects by up to 17 s: the generator, not the server, was the bottleneck. One source address has room
// for the 20,000 sockets (28k ephemeral ports; loopback reuses TIME_WAIT ports).
import { percentiles } from "../stats.mjs";
import { sleep } from "./load.mjs";
import { api, openMany, ParleyConnection } from "./parley-client.mjs";

let state;

export const generator = {
  /** users: group members (devicesPerUser clients each); writer: owns every group and sends the missed messages. */
  async setup({ url, wsUrl, users, writer, devicesPerUser, groupSize }) {
    const started = performance.now();
    const groups = [];
    for (let i = 0; i < users.length; i += groupSize) groups.push(users.slice(i, i + groupSize));
    const convOf = new Map();
    const lastSeq = new Map();
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < groups.length) {
          const g = groups[next++];
          const conv = await api(
            url,
            "POST",
            "/v1/conversations/group",
            { title: "storm", memberIds: g.map((u) => u.id) },
            writer.token,
          );
          for (const u of g) convOf.set(u.id, conv.id);
          lastSeq.set(conv.id, conv.lastSeq);
        }
      }),
    );
    const clients = [];
    for (const u of users) {
      for (let d = 0; d < devicesPerUser; d++) {
        const conversationId = convOf.get(u.id);
        clients.push({ token: u.token, conversationId, cursor: lastSeq.get(conversationId), conn: undefined });
      }
    }
    const { conns, failures } = await openMany(
      clients.length,
      (i) => ParleyConnection.connect(wsUrl, { token: clients[i].token }),
      { concurrency: 200 },
    );
    if (failures.length > 0) throw new Error(`${failures.length} of ${clients.length} connections failed: ${failures[0]}`);
    conns.forEach((c, i) => {
      clients[i].conn = c;
      c.skipReceipts = true;
    });
    const writerConn = await ParleyConnection.connect(wsUrl, { token: writer.token });
    state = { clients, writer: writerConn, conversations: [...lastSeq.keys()], lastSeq, wsUrl };
    return { clients: clients.length, groups: groups.length, setupSeconds: (performance.now() - started) / 1000 };
  },

  /** Every client's TCP connection dropped at once (no closing handshake). */
  async drop() {
    for (const c of state.clients) c.conn.terminate();
    await sleep(1000);
    return { dropped: state.clients.length };
  },

  /** The writer sends `perConversation` messages into every group; resolves when all are acknowledged. */
  async sendMissed({ perConversation }) {
    const started = performance.now();
    const acks = [];
    let n = 0;
    for (const conversationId of state.conversations) {
      for (let k = 0; k < perConversation; k++) {
        n++;
        acks.push(
          state.writer
            .request("messages.send", {
              conversationId,
              clientId: `storm-${n}`,
              body: `missed message ${k + 1} of ${perConversation}`,
            })
            .then((ack) => state.lastSeq.set(conversationId, Math.max(state.lastSeq.get(conversationId), ack.seq))),
        );
      }
    }
    await Promise.all(acks);
    return { messages: n, seconds: (performance.now() - started) / 1000 };
  },

  /** All clients reconnect and sync; resolves when every one holds every missed entry, or at `timeoutMs`. */
  async reconnect({ firstDelayMs = 500, maxDelayMs = 30_000, timeoutMs = 60_000 }) {
    const t0 = performance.now();
    const deadline = t0 + timeoutMs;
    const times = [];
    // Per successful client, ms since t0 when each phase ended: the attempt started (after its back-off), the socket
    // opened (TCP + upgrade), the welcome arrived, the first sync page arrived, the last one did.
    const phases = { start: [], open: [], welcome: [], firstPage: [], lastPage: [] };
    let pages = 0;
    const attempts = { total: 0, failed: 0 };
    const reasons = new Map();
    let missing = 0;
    let incomplete = 0;
    const one = async (client) => {
      let ceiling = firstDelayMs;
      for (;;) {
        await sleep(Math.floor(Math.random() * ceiling));
        ceiling = Math.min(maxDelayMs, ceiling * 2);
        if (performance.now() > deadline) return;
        attempts.total++;
        const startedAt = performance.now();
        try {
          const conn = await ParleyConnection.connect(state.wsUrl, {
            token: client.token,
            timeoutMs: Math.max(1000, deadline - performance.now()),
          });
          conn.skipReceipts = true;
          client.conn = conn;
          let cursor = client.cursor;
          const target = state.lastSeq.get(client.conversationId);
          const seen = new Set();
          let firstPageAt;
          for (;;) {
            const page = await conn.request("sync", { cursors: { [client.conversationId]: cursor } }, 30_000);
            firstPageAt ??= performance.now();
            pages++;
            for (const c of page.conversations) {
              if (c.conversationId !== client.conversationId) continue;
              for (const m of c.messages) seen.add(m.seq);
              if (c.messages.length > 0) cursor = c.messages.at(-1).seq;
            }
            if (!page.hasMore) break;
          }
          const needed = target - client.cursor;
          let have = 0;
          for (let s = client.cursor + 1; s <= target; s++) if (seen.has(s)) have++;
          client.cursor = cursor;
          if (have < needed) {
            missing += needed - have;
            incomplete++;
          } else {
            const now = performance.now();
            times.push(now - t0);
            phases.start.push(startedAt - t0);
            phases.open.push(conn.openedAt - t0);
            phases.welcome.push(conn.welcomedAt - t0);
            phases.firstPage.push(firstPageAt - t0);
            phases.lastPage.push(now - t0);
          }
          return;
        } catch (error) {
          attempts.failed++;
          const why = String(error?.message ?? error).slice(0, 80);
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
          client.conn?.terminate();
        }
      }
    };
    await Promise.all(state.clients.map((c) => one(c)));
    const p = percentiles(times);
    return {
      clients: state.clients.length,
      synced: times.length,
      incomplete,
      missingEntries: missing,
      allSyncedSeconds: times.length === state.clients.length ? p.max / 1000 : Number.NaN,
      p50Seconds: p.p50 / 1000,
      p99Seconds: p.p99 / 1000,
      attempts: attempts.total,
      failedAttempts: attempts.failed,
      failureReasons: [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 3),
      pages,
      phases: phaseSummary(phases),
    };
  },

  async close() {
    if (!state) return {};
    for (const c of state.clients) c.conn?.terminate();
    state.writer.terminate();
    state = undefined;
    return {};
  },
};

/**
 * Rows for the phase table: per phase, when it ended (p50/p99/max in s since the reconnect started) and how long it
 * took from the end of the previous phase (p50/p99 ms), over the clients that synced.
 */
function phaseSummary(phases) {
  const names = Object.keys(phases);
  return names.map((name, i) => {
    const at = percentiles(phases[name]);
    const prev = i === 0 ? undefined : phases[names[i - 1]];
    const took = prev ? percentiles(phases[name].map((t, k) => t - prev[k])) : undefined;
    return {
      phase: name,
      "ended p50 (s)": at.p50 / 1000,
      "ended p99 (s)": at.p99 / 1000,
      "ended max (s)": at.max / 1000,
      "took p50 (ms)": took ? took.p50 : Number.NaN,
      "took p99 (ms)": took ? took.p99 : Number.NaN,
    };
  });
}
