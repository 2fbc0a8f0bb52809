// What tracing costs: the same 1:1 load against a server with OpenTelemetry tracing off and on (every request traced,
// spans exported over OTLP/HTTP to a sink in this process). PAIRS pairs, each sender with a few sends in flight, each
// recipient acknowledging every message as delivered (so the receipt spans are made too); reports throughput, ack
// and deliver latency, the server's CPU per message and the spans the sink received. Runs alternate off/on twice.
// Usage: npm run build && node bench/tracing-overhead.mjs [--messages 6000] [--pairs 10] [--inflight 4]
import { createServer } from "node:http";
import { parseArgs } from "node:util";
import { startMainServer } from "./lib/main-server.mjs";
import { api, nowMs, ParleyConnection } from "./lib/parley-client.mjs";
import { cpuSecondsOf } from "./lib/procs.mjs";
import { percentiles, table } from "./stats.mjs";

const { values } = parseArgs({
  options: {
    messages: { type: "string", default: "6000" },
    pairs: { type: "string", default: "10" },
    inflight: { type: "string", default: "4" },
  },
});
const MESSAGES = Number(values.messages);
const PAIRS = Number(values.pairs);
const INFLIGHT = Number(values.inflight);

/** An OTLP/HTTP endpoint that counts what it is sent (requests, bytes, spans). */
async function startSink() {
  const seen = { requests: 0, bytes: 0, spans: 0 };
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks);
    seen.requests++;
    seen.bytes += body.length;
    seen.spans += (body.toString("utf8").match(/"spanId"/g) ?? []).length;
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/v1/traces`, seen, close: () => new Promise((r) => server.close(r)) };
}

function startServer(tracesUrl) {
  return startMainServer({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: tracesUrl ?? "" });
}

async function run(traced, sink) {
  const before = { ...sink.seen };
  const server = await startServer(traced ? sink.url : undefined);
  try {
    const tag = `${traced ? "t" : "u"}${Math.random().toString(36).slice(2, 6)}`;
    const pairs = [];
    for (let i = 0; i < PAIRS; i++) {
      const [a, b] = await Promise.all(
        [0, 1].map((k) =>
          api(server.base, "POST", "/v1/auth/register", { username: `${tag}_${i}_${k}`, password: "correct horse battery" }),
        ),
      );
      const conv = await api(server.base, "POST", "/v1/conversations/direct", { userId: b.user.id }, a.accessToken);
      const s = await ParleyConnection.connect(server.ws, { token: a.accessToken });
      const r = await ParleyConnection.connect(server.ws, { token: b.accessToken });
      pairs.push({ conv: conv.id, s, r });
    }
    const sentAt = new Map();
    const deliver = [];
    for (const p of pairs) {
      p.r.onEvent = (event, data) => {
        if (event !== "message") return;
        const t = sentAt.get(data.clientId);
        if (t !== undefined) deliver.push(nowMs() - t);
        void p.r.request("receipts.mark", { conversationId: p.conv, delivered: data.seq }).catch(() => {});
      };
    }
    const acks = [];
    let next = 0;
    const cpu0 = cpuSecondsOf(server.pid);
    const t0 = nowMs();
    async function lane(p) {
      while (next < MESSAGES) {
        const clientId = `c${next++}`;
        const start = nowMs();
        sentAt.set(clientId, start);
        await p.s.request("messages.send", { conversationId: p.conv, clientId, body: `message ${clientId}` });
        acks.push(nowMs() - start);
      }
    }
    await Promise.all(pairs.flatMap((p) => Array.from({ length: INFLIGHT }, () => lane(p))));
    const elapsed = (nowMs() - t0) / 1000;
    await new Promise((r) => setTimeout(r, 1500)); // the last receipts and one export interval
    const cpu = cpuSecondsOf(server.pid) - cpu0;
    for (const p of pairs) {
      p.s.ws.close();
      p.r.ws.close();
    }
    const a = percentiles(acks);
    const d = percentiles(deliver);
    return {
      tracing: traced ? "on" : "off",
      "msgs/s": MESSAGES / elapsed,
      "ack p50 ms": a.p50,
      "ack p99 ms": a.p99,
      "deliver p50 ms": d.p50,
      "deliver p99 ms": d.p99,
      "server cpu µs/msg": (cpu * 1e6) / MESSAGES,
      "spans/msg": (sink.seen.spans - before.spans) / MESSAGES,
      "export bytes/msg": (sink.seen.bytes - before.bytes) / MESSAGES,
    };
  } finally {
    await server.stop();
  }
}

const sink = await startSink();
const rows = [];
for (const traced of [false, true, false, true]) rows.push(await run(traced, sink));
await sink.close();
console.log(table(rows));
