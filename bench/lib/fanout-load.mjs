// Generator side of group fan-out: one group (owner + members), every member connected (spread over the given
// nodes), a few members sending open-loop in turn, every recipient recording send→deliver latency and sending its
// delivered receipt coalesced every 100 ms (DeliveryTracker). `receipts` events are counted, not decoded.
import { percentiles } from "../stats.mjs";
import { cpuMeter, openLoop, sleep, waitFor } from "./load.mjs";
import { api, DeliveryTracker, errorCodesOf, nowMs, openMany, ParleyConnection } from "./parley-client.mjs";

let state;

function deliver(body) {
  const s = state.step;
  if (!s) return;
  const bar = body.indexOf("|");
  const id = Number(body.slice(0, bar));
  const lat = nowMs() - Number(body.slice(bar + 1, body.indexOf("|", bar + 1)));
  const k = id - s.base;
  if (k < 0 || k >= s.total) return;
  s.perMessage[k]++;
  s.deliveries++;
  s.latency.push(lat);
}

function ack(id) {
  const s = state.step;
  if (!s) return;
  const k = id - s.base;
  if (k < 0 || k >= s.total || s.acked[k]) return;
  s.acked[k] = 1;
  s.ackedCount++;
  s.ack.push(performance.now() - s.sentAt[k]);
}

function totals() {
  let errors = 0;
  let closed = 0;
  let receiptEvents = 0;
  let receiptBytes = 0;
  let marks = 0;
  for (const m of state.members) {
    errors += m.conn.errors;
    if (m.conn.closed) closed++;
    receiptEvents += m.conn.receiptEvents;
    receiptBytes += m.conn.receiptBytes;
    marks += m.tracker?.marks ?? 0;
  }
  return { errors, closed, receiptEvents, receiptBytes, marks };
}

export const generator = {
  /** nodes: [{url, wsUrl}]; users[0] owns the group, users[1..] are its other members. */
  async setup({ nodes, users, senders = 10, receipts = true }) {
    const started = performance.now();
    const owner = users[0];
    const group = await api(
      nodes[0].url,
      "POST",
      "/v1/conversations/group",
      { title: "fan-out bench", memberIds: users.slice(1).map((u) => u.id) },
      owner.token,
    );
    const conversationId = group.id;
    const { conns, failures } = await openMany(
      users.length,
      (j) => ParleyConnection.connect(nodes[j % nodes.length].wsUrl, { token: users[j].token }),
      { concurrency: 50 },
    );
    if (failures.length > 0) throw new Error(`${failures.length} connections failed: ${failures[0]}`);
    const members = conns.map((conn) => {
      conn.skipReceipts = true;
      const tracker = receipts ? new DeliveryTracker(conn, 100) : undefined;
      tracker?.track(conversationId, group.lastSeq);
      conn.onEvent = (event, data) => {
        if (event !== "message" || data.kind !== "text") return;
        deliver(data.body);
        tracker?.insert(conversationId, data.seq);
      };
      conn.onResult = (rid, result) => {
        if (rid.startsWith("r")) return; // receipts.mark answers
        ack(Number(rid));
        tracker?.insert(conversationId, result.seq);
      };
      return { conn, tracker };
    });
    state = { conversationId, members, senders: members.slice(0, Math.min(senders, members.length)), nextId: 1, step: undefined };
    return { members: members.length, setupSeconds: (performance.now() - started) / 1000 };
  },

  async step({ rate, seconds, drainMs = 3000 }) {
    const total = Math.max(1, Math.round(rate * seconds));
    const recipients = state.members.length - 1;
    const s = {
      base: state.nextId,
      total,
      sentAt: new Float64Array(total),
      acked: new Uint8Array(total),
      ackedCount: 0,
      ack: [],
      perMessage: new Uint32Array(total),
      deliveries: 0,
      latency: [],
    };
    state.nextId += total;
    state.step = s;
    const before = totals();
    const cpu = cpuMeter();
    const { conversationId, senders } = state;
    const load = await openLoop({
      rate,
      seconds,
      tickMs: 5,
      fire: (n) => {
        const id = s.base + n;
        s.sentAt[n] = performance.now();
        senders[n % senders.length].conn.send(
          String(id),
          conversationId,
          `f${id}`,
          `${id}|${nowMs().toFixed(3)}| fan-out bench message`,
        );
      },
    });
    await waitFor(() => s.deliveries >= load.sent * recipients && s.ackedCount >= load.sent, drainMs);
    const genCpu = cpu();
    state.step = undefined;
    const after = totals();
    let dups = 0;
    for (const c of s.perMessage) if (c > recipients) dups += c - recipients;
    const d = percentiles(s.latency);
    const a = percentiles(s.ack);
    const wall = load.wallSeconds;
    return {
      rate,
      members: state.members.length,
      sent: load.sent,
      expected: load.sent * recipients,
      deliveries: s.deliveries,
      lost: Math.max(0, load.sent * recipients - (s.deliveries - dups)),
      dups,
      unacked: load.sent - s.ackedCount,
      errors: after.errors - before.errors,
      closed: after.closed,
      deliver: d,
      ack: a,
      deliveriesPerSecond: s.deliveries / wall,
      receiptMarksPerSecond: (after.marks - before.marks) / wall,
      receiptEventsPerSecond: (after.receiptEvents - before.receiptEvents) / wall,
      receiptMBps: (after.receiptBytes - before.receiptBytes) / wall / 1e6,
      genCpu,
      genRate: load.achievedRate,
      errorCodes: errorCodesOf(state.members.map((m) => m.conn)),
    };
  },

  async close() {
    if (!state) return {};
    for (const m of state.members) {
      m.tracker?.stop();
      m.conn.close();
    }
    state = undefined;
    await sleep(200);
    return {};
  },
};
