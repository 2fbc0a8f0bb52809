// Generator side of the reconnect storm: many clients (several devices per user) in groups, all dropped at once;
// while they are away a writer sends messages into every group; then every client reconnects the way the SDK does
// (first attempt after a random delay under 500 ms, capped exponential backoff with full jitter after a failure),
// says hello and runs the sync loop (protocol §9.3) from its cursor until it holds every missed entry.
import { percentiles } from "../stats.mjs";
import { sleep } from "./load.mjs";
import { api, openMany, ParleyConnection } from "./parley-client.mjs";

let state;

export const generator = {
  /** users: group members (devicesPerUser clients each); writer: owns every group and sends the missed messages. */
  async setup({ url, wsUrl, users, writer, devicesPerUser, groupSize, addresses }) {
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
      (i) => ParleyConnection.connect(wsUrl, { token: clients[i].token, localAddress: addresses[i % addresses.length] }),
      { concurrency: 200 },
    );
    if (failures.length > 0) throw new Error(`${failures.length} of ${clients.length} connections failed: ${failures[0]}`);
    conns.forEach((c, i) => {
      clients[i].conn = c;
      c.skipReceipts = true;
    });
    const writerConn = await ParleyConnection.connect(wsUrl, { token: writer.token });
    state = { clients, writer: writerConn, conversations: [...lastSeq.keys()], lastSeq, addresses, wsUrl };
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
    const attempts = { total: 0, failed: 0 };
    const reasons = new Map();
    let missing = 0;
    let incomplete = 0;
    const one = async (client, index) => {
      let ceiling = firstDelayMs;
      for (;;) {
        await sleep(Math.floor(Math.random() * ceiling));
        ceiling = Math.min(maxDelayMs, ceiling * 2);
        if (performance.now() > deadline) return;
        attempts.total++;
        try {
          const conn = await ParleyConnection.connect(state.wsUrl, {
            token: client.token,
            localAddress: state.addresses[index % state.addresses.length],
            timeoutMs: Math.max(1000, deadline - performance.now()),
          });
          conn.skipReceipts = true;
          client.conn = conn;
          let cursor = client.cursor;
          const target = state.lastSeq.get(client.conversationId);
          const seen = new Set();
          for (;;) {
            const page = await conn.request("sync", { cursors: { [client.conversationId]: cursor } }, 30_000);
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
          } else times.push(performance.now() - t0);
          return;
        } catch (error) {
          attempts.failed++;
          const why = String(error?.message ?? error).slice(0, 80);
          reasons.set(why, (reasons.get(why) ?? 0) + 1);
          client.conn?.terminate();
        }
      }
    };
    await Promise.all(state.clients.map((c, i) => one(c, i)));
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
