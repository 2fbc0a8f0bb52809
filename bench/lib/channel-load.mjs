// Generator side of the channel scenario (issue 21): this process holds a share of a channel's connected members
// (Parley: each with its own pool user's token; ws relay: a named client) and, in one of the generators, the poster.
// Members record send→arrival latency from the timestamp in each body; between steps they can all be dropped and
// reconnected, each then sending `sync` with the highest seq it held and counting as caught up once the answer
// reaches the poster's last seq. Several generator processes run this module at once; the orchestrator merges them.
import { percentiles } from "../stats.mjs";
import { openLoop, waitFor } from "./load.mjs";
import { errorCodesOf, nowMs, openMany, ParleyConnection } from "./parley-client.mjs";
import { connectWsRelay } from "./relay-clients.mjs";

/** { kind, conversationId, members: [{ user, name, conn, held }], poster, step } */
let state;

/** Records one arrival of a channel message body `<id>|<sent ms>|…` for the current step. */
function arrive(body) {
  const s = state.step;
  if (!s) return;
  const bar = body.indexOf("|");
  const k = Number(body.slice(0, bar)) - s.base;
  if (!(k >= 0 && k < s.total)) return;
  s.latency.push(nowMs() - Number(body.slice(bar + 1, body.indexOf("|", bar + 1))));
  s.arrivals++;
}

function attach(m) {
  if (state.kind === "ws") {
    m.conn.onData = (data) => arrive(data.body);
    return;
  }
  m.conn.skipReceipts = true;
  m.conn.onEvent = (event, data) => {
    if (event !== "message" || data.conversationId !== state.conversationId) return;
    if (data.seq > m.held) m.held = data.seq;
    if (data.kind === "text") arrive(data.body);
  };
}

/** Connects `m` (Parley: hello with its token; relay: its name) from `localAddress`. */
function connectMember(m, url, localAddress) {
  return state.kind === "ws"
    ? connectWsRelay(url, m.name, { localAddress, timeoutMs: 60_000 })
    : ParleyConnection.connect(url, { token: m.user.token, localAddress, timeoutMs: 60_000 });
}

/** Opens every member's connection, round robin over `urls` and `addresses`; throws when any fails. */
async function openAll(urls, addresses, concurrency, after = async () => {}) {
  const started = performance.now();
  const done = new Float64Array(state.members.length);
  const { failures } = await openMany(
    state.members.length,
    async (i) => {
      const m = state.members[i];
      m.conn = await connectMember(m, urls[i % urls.length], addresses[i % addresses.length]);
      attach(m);
      await after(m);
      done[i] = performance.now() - started;
      return m.conn;
    },
    { concurrency },
  );
  return { failures, done, seconds: (performance.now() - started) / 1000 };
}

export const generator = {
  /**
   * kind "parley" | "ws"; users: this generator's members ({id, token}); names: their relay names; urls: the nodes'
   * (or the relay's) WebSocket URLs; addresses: loopback source addresses for this wave of connections.
   */
  async connect({ kind, conversationId, users, names, urls, addresses, concurrency = 250 }) {
    state = {
      kind,
      conversationId,
      members: users.map((user, i) => ({ user, name: names[i], conn: undefined, held: 0 })),
      poster: undefined,
      step: undefined,
    };
    const { failures, seconds } = await openAll(urls, addresses, concurrency);
    if (failures.length > 0) throw new Error(`${failures.length} of ${users.length} connections failed: ${failures[0]}`);
    return { open: state.members.length, seconds, rss: process.memoryUsage().rss };
  },

  /** Connects the poster (the channel's admin; relay: a client named "poster") in this generator. */
  async poster({ user, url }) {
    const poster =
      state.kind === "ws"
        ? await connectWsRelay(url, "poster", { timeoutMs: 60_000 })
        : await ParleyConnection.connect(url, { token: user.token, timeoutMs: 60_000 });
    state.poster = { conn: poster, acked: 0, lastSeq: 0, ack: [], sentAt: new Map() };
    const onAck = (rid, result) => {
      const p = state.poster;
      const t = p.sentAt.get(String(rid));
      if (t === undefined) return;
      p.sentAt.delete(String(rid));
      p.acked++;
      p.ack.push(performance.now() - t);
      if (result?.seq > p.lastSeq) p.lastSeq = result.seq;
    };
    if (state.kind === "ws") poster.onAck = (id) => onAck(id);
    else poster.onResult = onAck;
    return {};
  },

  /** Starts counting arrivals of messages `base … base + total − 1`. */
  arm({ base, total }) {
    state.step = { base, total, latency: [], arrivals: 0 };
    return {};
  },

  /** The poster sends `rate` messages/s for `seconds` (ids from `base`), then waits up to `drainMs` for the acks. */
  async post({ base, rate, seconds, drainMs = 10_000 }) {
    const p = state.poster;
    p.ack = [];
    const acked0 = p.acked;
    const { conversationId } = state;
    const load = await openLoop({
      rate,
      seconds,
      tickMs: 5,
      fire: (n) => {
        const id = base + n;
        p.sentAt.set(String(id), performance.now());
        const body = `${id}|${nowMs().toFixed(3)}| channel bench message`;
        if (state.kind === "ws") p.conn.send(id, "*", body);
        else p.conn.send(String(id), conversationId, `ch${id}`, body);
      },
    });
    await waitFor(() => p.acked - acked0 >= load.sent, drainMs);
    return {
      sent: load.sent,
      acked: p.acked - acked0,
      ack: percentiles(p.ack),
      lastSeq: p.lastSeq,
      wallSeconds: load.wallSeconds,
      lagMax: load.lagMax,
      errors: p.conn.errors ?? 0,
    };
  },

  /** Waits (up to `drainMs`) for every member's arrival of every armed message; returns arrivals and latencies. */
  async collect({ drainMs = 5000 }) {
    const s = state.step;
    const expected = s.total * state.members.length;
    await waitFor(() => s.arrivals >= expected, drainMs);
    state.step = undefined;
    let closed = 0;
    for (const m of state.members) if (m.conn.closed) closed++;
    return {
      expected,
      arrivals: s.arrivals,
      // Latencies rounded to 10 µs, to keep the answer small.
      latency: s.latency.map((v) => Math.round(v * 100) / 100),
      closed,
      errorCodes: state.kind === "ws" ? {} : errorCodesOf(state.members.map((m) => m.conn)),
    };
  },

  /** Drops every member's connection at once (no closing handshake: a network failure as the server sees it). */
  drop() {
    for (const m of state.members) m.conn.terminate();
    return {};
  },

  /**
   * Reconnects every member (new source addresses, `concurrency` at a time), each sending `sync` with the highest
   * seq it held, paging while `hasMore`, until the answer reaches `targetSeq`. Times are from this call's start.
   */
  async reconnect({ urls, addresses, targetSeq, concurrency = 250 }) {
    let caughtUp = 0;
    let viaSync = 0;
    let skipped = 0;
    const { failures, done, seconds } = await openAll(urls, addresses, concurrency, async (m) => {
      let cursor = m.held;
      for (let page = 0; page < 100; page++) {
        const r = await m.conn.request("sync", { cursors: { [state.conversationId]: cursor } }, 120_000);
        const c = r.conversations.find((x) => x.conversationId === state.conversationId);
        const last = c?.messages.at(-1)?.seq ?? cursor;
        viaSync += c?.messages.length ?? 0;
        if (c?.skippedThrough !== undefined) skipped++;
        cursor = Math.max(cursor, last);
        if (!r.hasMore) break;
      }
      if (cursor > m.held) m.held = cursor;
      if (m.held >= targetSeq) caughtUp++;
    });
    const times = Array.from(done).filter((t) => t > 0);
    return {
      members: state.members.length,
      failed: failures.length,
      firstFailure: failures[0],
      caughtUp,
      viaSync,
      skipped,
      seconds,
      time: percentiles(times),
    };
  },

  async close() {
    if (!state) return {};
    for (const m of state.members) m.conn?.terminate();
    state.poster?.conn.terminate?.();
    state = undefined;
    return {};
  },
};
