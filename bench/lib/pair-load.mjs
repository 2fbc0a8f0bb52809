// Generator side of 1:1 load (throughput ladder, latency at fixed load, cluster): P sender/receiver pairs on one of
// three servers (Parley raw protocol, the bare ws relay, the Socket.IO + SQLite relay), open-loop sends spread round
// robin over the pairs, send→ack and send→deliver latency per message, losses, duplicates and errors per step.
// Runs inside a generator process (bench/lib/generator.mjs); the orchestrator calls setup, step and close.
import { randomBytes } from "node:crypto";
import { percentiles } from "../stats.mjs";
import { openLoop, sleep, waitFor } from "./load.mjs";
import { api, DeliveryTracker, errorCodesOf, nowMs, openMany, ParleyConnection } from "./parley-client.mjs";
import { connectSocketIo, connectWsRelay } from "./relay-clients.mjs";

const PAD = " lorem ipsum dolor sit amet, consectetur adipiscing elit";

let state;

/** The message body: "<id>|<send time ms>|" and filler, about 80 bytes like a short chat line. */
const bodyOf = (id) => `${id}|${nowMs().toFixed(3)}|${PAD}`;

function onDeliver(body) {
  const s = state.step;
  const bar = body.indexOf("|");
  const id = Number(body.slice(0, bar));
  const lat = nowMs() - Number(body.slice(bar + 1, body.indexOf("|", bar + 1)));
  if (!s) return;
  const k = id - s.base;
  if (k < 0 || k >= s.total) {
    s.stray++;
    return;
  }
  if (s.delivered[k]) {
    s.dups++;
    return;
  }
  s.delivered[k] = 1;
  s.deliveredCount++;
  s.deliver.push(lat);
}

function onAck(id) {
  const s = state.step;
  if (!s) return;
  const k = id - s.base;
  if (k < 0 || k >= s.total || s.acked[k]) return;
  s.acked[k] = 1;
  s.ackedCount++;
  s.ack.push(performance.now() - s.sentAt[k]);
}

/**
 * Which pair sends message n: round robin, or with `zipf` = s > 0 pair i is chosen with probability ∝ 1/(i+1)^s (a
 * few busy conversations and a long quiet tail, as on real servers), from a seeded generator so runs compare.
 */
function picker(count, zipf) {
  if (!(zipf > 0)) return (n) => n % count;
  const cdf = new Float64Array(count);
  let sum = 0;
  for (let i = 0; i < count; i++) cdf[i] = sum += 1 / (i + 1) ** zipf;
  let seed = 0x2545f491;
  return () => {
    // xorshift32: cheap and deterministic.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    const x = ((seed >>> 0) / 2 ** 32) * sum;
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** An MLS application message's size for a short chat line (docs/e2ee.md, "Measured": 326 B for 110 B of text). */
const MLS_MESSAGE_BYTES = 326;

/** Opaque bytes standing for an MLS ciphertext: the body's id and send time, padded to a ciphertext's size. */
const mlsDataOf = (id) => Buffer.from(bodyOf(id).padEnd(MLS_MESSAGE_BYTES, ".")).toString("base64url");

/**
 * `receipts`: false (none), true or "delivered" (the receiver reports delivered, coalesced every 100 ms), "read"
 * (delivered and read together, coalesced every 150 ms like the SDK's receipt reporter).
 * `encrypted`: end-to-end encrypted conversations; senders register a device and send ciphertext-sized opaque `mls`
 * data (the server neither can nor does look inside), so the server's cost per encrypted message is measured.
 */
async function setupParley({ url, pairs, users, receipts, nodes, encrypted = false }) {
  // nodes: optional list of {url, wsUrl} (cluster); the receiver of pair i connects to the node after its sender's.
  const list = nodes ?? [{ url, wsUrl: url.replace(/^http/, "ws") + "/v1/ws" }];
  const convs = new Array(pairs);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(16, pairs) }, async () => {
      while (next < pairs) {
        const i = next++;
        const node = list[i % list.length];
        const body = encrypted ? { userId: users[2 * i + 1].id, encrypted: true } : { userId: users[2 * i + 1].id };
        convs[i] = await api(node.url, "POST", "/v1/conversations/direct", body, users[2 * i].token);
      }
    }),
  );
  const { conns, failures } = await openMany(
    pairs * 2,
    (j) => {
      const i = j >> 1;
      const node = list[(i + (j & 1)) % list.length];
      return ParleyConnection.connect(node.wsUrl, { token: users[j].token });
    },
    { concurrency: 50 },
  );
  if (failures.length > 0) throw new Error(`${failures.length} connections failed: ${failures[0]}`);
  if (encrypted) {
    for (let i = 0; i < pairs; i++) {
      await conns[2 * i].request("e2ee.devices.register", { signatureKey: randomBytes(32).toString("base64url") });
    }
  }
  // Client ids unique to this setup: a later generator on the same server and users counts its ids from 1 again, and
  // repeated ids would be answered as duplicates and delivered to no one.
  const run = `c${randomBytes(4).toString("hex")}`;
  const out = [];
  for (let i = 0; i < pairs; i++) {
    const sender = conns[2 * i];
    const receiver = conns[2 * i + 1];
    const conversationId = convs[i].id;
    sender.onResult = (rid) => onAck(Number(rid));
    receiver.skipReceipts = true;
    sender.skipReceipts = true;
    const tracker = !receipts
      ? undefined
      : receipts === "read"
        ? new DeliveryTracker(receiver, 150, { read: true })
        : new DeliveryTracker(receiver, 100);
    tracker?.track(conversationId, convs[i].lastSeq);
    receiver.onEvent = (event, data) => {
      if (event !== "message" || data.kind !== "text") return;
      onDeliver(data.mls === undefined ? data.body : Buffer.from(data.mls.data, "base64url").toString());
      tracker?.insert(conversationId, data.seq);
    };
    out.push({
      send: encrypted
        ? (id) => sender.sendMls(String(id), conversationId, `${run}-${id}`, { epoch: 0, data: mlsDataOf(id) })
        : (id) => sender.send(String(id), conversationId, `${run}-${id}`, bodyOf(id)),
      conns: [sender, receiver],
      tracker,
    });
  }
  return out;
}

async function setupWsRelay({ wsUrl, pairs }) {
  const tag = Math.random().toString(36).slice(2, 7);
  const { conns, failures } = await openMany(pairs * 2, (j) => connectWsRelay(wsUrl, `${tag}${j & 1 ? "r" : "s"}${j >> 1}`), {
    concurrency: 50,
  });
  if (failures.length > 0) throw new Error(`${failures.length} connections failed: ${failures[0]}`);
  const out = [];
  for (let i = 0; i < pairs; i++) {
    const [sender, receiver] = [conns[2 * i], conns[2 * i + 1]];
    const to = `${tag}r${i}`;
    sender.onAck = onAck;
    receiver.onData = (d) => onDeliver(d.body);
    out.push({ send: (id) => sender.send(id, to, bodyOf(id)), relays: [sender, receiver] });
  }
  return out;
}

async function setupSocketIo({ url, pairs }) {
  const tag = Math.random().toString(36).slice(2, 7);
  const { conns, failures } = await openMany(pairs * 2, (j) => connectSocketIo(url, `${tag}${j & 1 ? "r" : "s"}${j >> 1}`), {
    concurrency: 50,
  });
  if (failures.length > 0) throw new Error(`${failures.length} connections failed: ${failures[0]}`);
  const out = [];
  for (let i = 0; i < pairs; i++) {
    const [sender, receiver] = [conns[2 * i], conns[2 * i + 1]];
    const to = `${tag}r${i}`;
    const conversationId = `${tag}c${i}`;
    sender.onAck = onAck;
    receiver.onData = (m) => onDeliver(m.body);
    out.push({ send: (id) => sender.send(id, to, conversationId, `c${id}`, bodyOf(id)), relays: [sender, receiver] });
  }
  return out;
}

function errorsSoFar() {
  let errors = 0;
  let closed = 0;
  for (const p of state.pairs) {
    for (const c of p.conns ?? []) {
      errors += c.errors;
      if (c.closed) closed++;
    }
    for (const r of p.relays ?? []) errors += r.errors ?? 0;
  }
  return { errors, closed };
}

export const generator = {
  async setup(args) {
    const started = performance.now();
    const pairs =
      args.kind === "parley"
        ? await setupParley(args)
        : args.kind === "ws"
          ? await setupWsRelay(args)
          : await setupSocketIo(args);
    state = { pairs, pick: picker(pairs.length, args.zipf), nextId: 1, step: undefined };
    return { connections: pairs.length * 2, setupSeconds: (performance.now() - started) / 1000 };
  },

  /** One open-loop run at `rate` msg/s for `seconds`, then up to `drainMs` for the stragglers. */
  async step({ rate, seconds, drainMs = 3000 }) {
    const total = Math.max(1, Math.round(rate * seconds));
    const before = errorsSoFar();
    const s = {
      base: state.nextId,
      total,
      sentAt: new Float64Array(total),
      acked: new Uint8Array(total),
      delivered: new Uint8Array(total),
      ackedCount: 0,
      deliveredCount: 0,
      ack: [],
      deliver: [],
      dups: 0,
      stray: 0,
    };
    state.nextId += total;
    state.step = s;
    const { pick } = state;
    const load = await openLoop({
      rate,
      seconds,
      fire: (n) => {
        s.sentAt[n] = performance.now();
        state.pairs[pick(n)].send(s.base + n);
      },
    });
    await waitFor(() => s.deliveredCount >= load.sent && s.ackedCount >= load.sent, drainMs);
    state.step = undefined;
    const after = errorsSoFar();
    const a = percentiles(s.ack);
    const d = percentiles(s.deliver);
    return {
      rate,
      sent: load.sent,
      acked: s.ackedCount,
      delivered: s.deliveredCount,
      lost: load.sent - s.deliveredCount,
      unacked: load.sent - s.ackedCount,
      dups: s.dups,
      errors: after.errors - before.errors,
      closed: after.closed,
      ack: a,
      deliver: d,
      genRate: load.achievedRate,
      genLagP99: load.lagP99,
      genCpu: load.cpu,
      errorCodes: errorCodesOf(state.pairs.flatMap((p) => p.conns ?? [])),
    };
  },

  async close() {
    if (!state) return {};
    for (const p of state.pairs) {
      p.tracker?.stop();
      for (const c of p.conns ?? []) c.close();
      for (const r of p.relays ?? []) r.close();
    }
    state = undefined;
    await sleep(200);
    return {};
  },
};
