// A Parley protocol client for load generation: raw frames over `ws` (protocol §2–§4, §6.6, §6.7), no SDK.
// It matches answers to requests by rid, hands events to callbacks, and can skip decoding `receipts` events (large in
// big groups) after counting them. `DeliveryTracker` is a fake-but-correct receipts behaviour: per conversation it
// keeps the highest contiguous seq held (events and the client's own acks) and marks it delivered, coalesced per
// client every `intervalMs` as the SDK does.
import WebSocket from "ws";

const RECEIPTS_PREFIX = Buffer.from('{"type":"event","event":"receipts"');
const HELLO_RID = "h";

/** POST/GET/… to the HTTP API; throws with the status and body on failure. */
export async function api(base, method, path, body, token) {
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : {};
}

export class ParleyConnection {
  #rid = 0;
  #pending = new Map();

  constructor(ws) {
    this.ws = ws;
    this.welcome = undefined;
    this.closed = false;
    this.closeCode = undefined;
    this.errors = 0;
    /** Error frames by code (and "close <code>" for closes after the welcome), for reports. */
    this.errorCodes = {};
    this.lastError = undefined;
    /** performance.now() when the WebSocket opened (TCP + upgrade done) and when the welcome arrived. */
    this.openedAt = undefined;
    this.welcomedAt = undefined;
    this.receiptEvents = 0;
    this.receiptBytes = 0;
    /** (event, data) for every event not skipped. */
    this.onEvent = undefined;
    /** (rid, result) for results of fire-and-forget requests (sends whose acks the caller matches itself). */
    this.onResult = undefined;
    /** (rid, error) for errors of fire-and-forget requests. */
    this.onError = undefined;
    this.onClose = undefined;
    /** Count `receipts` events without decoding them. */
    this.skipReceipts = false;
  }

  /**
   * Opens a WebSocket to `url`, sends `hello` with `token` right away and resolves once the welcome arrived.
   * Rejects on a handshake error, a close or `timeoutMs`.
   */
  static connect(url, { token, localAddress, compression = false, timeoutMs = 20_000 } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, ["parley.v1"], {
        perMessageDeflate: compression,
        handshakeTimeout: timeoutMs,
        ...(localAddress ? { localAddress } : {}),
      });
      const conn = new ParleyConnection(ws);
      let settled = false;
      const fail = (error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        ws.terminate();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`hello timed out after ${timeoutMs} ms`)), timeoutMs);
      ws.on("error", (error) => {
        conn.lastError = error;
        fail(error);
      });
      ws.on("close", (code) => {
        conn.closed = true;
        conn.closeCode = code;
        if (settled) conn.#count(`close ${code}`);
        for (const p of conn.#pending.values()) p.reject(new Error(`connection closed (${code})`));
        conn.#pending.clear();
        conn.onClose?.(code);
        fail(new Error(`closed during hello (${code})`));
      });
      ws.on("open", () => {
        conn.openedAt = performance.now();
        ws.send(JSON.stringify({ rid: HELLO_RID, op: "hello", args: { versions: [1], token } }));
      });
      ws.on("message", (data) => {
        if (settled) {
          conn.#frame(data);
          return;
        }
        const f = JSON.parse(data.toString());
        if (f.rid !== HELLO_RID) return; // events queued before the welcome cannot happen; ignore anything else
        if (f.type === "error") return fail(new Error(`hello refused: ${f.error.code} ${f.error.message}`));
        settled = true;
        clearTimeout(timer);
        conn.welcomedAt = performance.now();
        conn.welcome = f.result;
        resolve(conn);
      });
    });
  }

  #frame(data) {
    if (
      this.skipReceipts &&
      data.length >= RECEIPTS_PREFIX.length &&
      data.compare(RECEIPTS_PREFIX, 0, RECEIPTS_PREFIX.length, 0, RECEIPTS_PREFIX.length) === 0
    ) {
      this.receiptEvents++;
      this.receiptBytes += data.length;
      return;
    }
    const f = JSON.parse(data.toString());
    if (f.type === "event") {
      if (f.event === "receipts") {
        this.receiptEvents++;
        this.receiptBytes += data.length;
      }
      this.onEvent?.(f.event, f.data);
      return;
    }
    const p = f.rid === null ? undefined : this.#pending.get(f.rid);
    if (p) {
      this.#pending.delete(f.rid);
      if (f.type === "result") p.resolve(f.result);
      else {
        this.errors++;
        this.#count(f.error?.code);
        p.reject(new Error(`${p.op}: ${f.error.code} ${f.error.message}`));
      }
      return;
    }
    if (f.type === "result") this.onResult?.(f.rid, f.result);
    else {
      this.errors++;
      this.#count(f.error?.code);
      this.lastError = f.error;
      this.onError?.(f.rid, f.error);
    }
  }

  #count(code) {
    this.errorCodes[code] = (this.errorCodes[code] ?? 0) + 1;
  }

  get open() {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** A request whose answer resolves the returned promise. */
  request(op, args, timeoutMs = 60_000) {
    const rid = `q${++this.#rid}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.#pending.delete(rid)) reject(new Error(`${op}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(rid, {
        op,
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.ws.send(JSON.stringify({ rid, op, args }));
    });
  }

  /** A request whose answer goes to onResult / onError (no promise, no timer: the hot path of load). */
  fire(rid, op, args) {
    this.ws.send(JSON.stringify({ rid, op, args }));
  }

  /** `messages.send` on the hot path; the ack arrives at onResult(rid, ack). */
  send(rid, conversationId, clientId, body) {
    this.ws.send(JSON.stringify({ rid, op: "messages.send", args: { conversationId, clientId, body } }));
  }

  /** `messages.send` of an MLS application message (`mls: { epoch, data }`, empty body) on the hot path. */
  sendMls(rid, conversationId, clientId, mls) {
    this.ws.send(JSON.stringify({ rid, op: "messages.send", args: { conversationId, clientId, body: "", mls } }));
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close(1000);
  }

  /** Drops the TCP connection without a closing handshake (a network failure as the server sees it). */
  terminate() {
    this.ws.terminate();
  }
}

/** Receipts as a client sends them: the highest contiguous seq held per conversation, marked delivered. */
export class DeliveryTracker {
  #convs = new Map();
  #timer = undefined;
  #rid = 0;

  /** `read`: report each watermark as read as well (a user looking at the conversation), as the SDK does. */
  constructor(conn, intervalMs = 100, { read = false } = {}) {
    this.conn = conn;
    this.intervalMs = intervalMs;
    this.read = read;
    this.marks = 0;
  }

  /** Starts tracking a conversation whose entries up to `applied` the client already holds. */
  track(conversationId, applied) {
    this.#convs.set(conversationId, { applied, marked: applied, early: new Set() });
  }

  /** An entry arrived (event) or was acknowledged (own send). */
  insert(conversationId, seq) {
    const c = this.#convs.get(conversationId);
    if (!c || seq <= c.applied) return;
    if (seq !== c.applied + 1) {
      c.early.add(seq);
      return;
    }
    c.applied = seq;
    while (c.early.delete(c.applied + 1)) c.applied++;
    this.#timer ??= setTimeout(() => this.#flush(), this.intervalMs);
  }

  #flush() {
    this.#timer = undefined;
    if (!this.conn.open) return;
    for (const [conversationId, c] of this.#convs) {
      if (c.applied <= c.marked) continue;
      c.marked = c.applied;
      this.marks++;
      this.conn.fire(
        `r${++this.#rid}`,
        "receipts.mark",
        this.read ? { conversationId, delivered: c.applied, read: c.applied } : { conversationId, delivered: c.applied },
      );
    }
  }

  stop() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * Opens `count` connections with at most `concurrency` handshakes in flight; `make(i)` opens connection i.
 * Returns the opened connections (undefined where it failed) and the failures.
 */
export async function openMany(count, make, { concurrency = 200 } = {}) {
  const conns = new Array(count);
  const failures = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      while (next < count) {
        const i = next++;
        try {
          conns[i] = await make(i);
        } catch (error) {
          failures.push(String(error?.message ?? error));
        }
      }
    }),
  );
  return { conns, failures };
}

/** Sums the errorCodes of many connections into one {code: count}. */
export function errorCodesOf(conns) {
  const out = {};
  for (const c of conns) for (const [k, v] of Object.entries(c?.errorCodes ?? {})) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The current time on the machine's clock in ms with sub-ms precision (comparable across processes). */
export const nowMs = () => performance.timeOrigin + performance.now();
