// Distributed tracing as an operator meets it: spans exported over OTLP/HTTP to a collector-compatible receiver run by
// the test, one message followed from its sender's frame on one node to its recipient's delivered receipt on another,
// trace ids in the log lines of traced requests, and no span at all when no endpoint is configured.

import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import { probePostgres, probeRedis, waitUntil } from "./cluster-harness.js";
import {
  type ProtocolError,
  RawClient,
  register,
  scrapeMetrics,
  startTestCluster,
  startTestServer,
  type TestCluster,
} from "./harness.js";
import { requireService } from "./services.js";

/** A span as the OTLP/JSON encoding carries it, with the `service.instance.id` (node) of its resource. */
interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  node: string;
  attributes: Record<string, unknown>;
  start: bigint;
  end: bigint;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpExport {
  resourceSpans: {
    resource: { attributes: OtlpAttribute[] };
    scopeSpans: {
      spans: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        startTimeUnixNano: string;
        endTimeUnixNano: string;
        attributes?: OtlpAttribute[];
      }[];
    }[];
  }[];
}

function plain(v: OtlpValue): unknown {
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  return v.boolValue;
}

function attributes(list: OtlpAttribute[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((a) => [a.key, plain(a.value)]));
}

/** The OTLP/HTTP traces endpoint of a collector (JSON encoding), keeping every span it is sent. */
class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  requests = 0;
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<OtlpReceiver> {
    let receiver: OtlpReceiver | undefined;
    const server = createServer((req, res) => {
      void receiver!.accept(req).then(
        (status) => res.writeHead(status, { "content-type": "application/json" }).end("{}"),
        () => res.writeHead(400).end(),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as { port: number };
    receiver = new OtlpReceiver(server, `http://127.0.0.1:${port}/v1/traces`);
    return receiver;
  }

  private async accept(req: IncomingMessage): Promise<number> {
    if (req.method !== "POST" || req.url !== "/v1/traces") return 404;
    assert.match(req.headers["content-type"] ?? "", /application\/json/);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpExport;
    this.requests++;
    for (const rs of body.resourceSpans) {
      const node = String(attributes(rs.resource.attributes)["service.instance.id"]);
      for (const ss of rs.scopeSpans) {
        for (const s of ss.spans) {
          this.spans.push({
            traceId: s.traceId,
            spanId: s.spanId,
            parentSpanId: s.parentSpanId ?? "",
            name: s.name,
            kind: s.kind,
            node,
            attributes: attributes(s.attributes),
            start: BigInt(s.startTimeUnixNano),
            end: BigInt(s.endTimeUnixNano),
          });
        }
      }
    }
    return 200;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const available = await requireService("tracing across cluster nodes (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

describe("tracing a message across two nodes", { skip: !available && "services unavailable" }, () => {
  let receiver: OtlpReceiver;
  let cluster: TestCluster | undefined;
  let alice: AuthResult;
  let bob: AuthResult;

  before(async () => {
    receiver = await OtlpReceiver.start();
    cluster = await startTestCluster({ label: "tracing", nodeIds: ["na", "nb"], config: { otlpTracesEndpoint: receiver.url } });
    [alice, bob] = (await Promise.all([register(cluster.nodes[0]!), register(cluster.nodes[1]!)])) as [AuthResult, AuthResult];
  });

  after(async () => {
    await cluster?.close();
    await receiver?.close();
  });

  it("exports one span tree: send on node a → admit, store, publish → deliver on node b → b's delivered receipt", async () => {
    const [na, nb] = cluster!.nodes as [NonNullable<TestCluster["nodes"][0]>, NonNullable<TestCluster["nodes"][0]>];
    const a = await RawClient.connect(na, alice.accessToken);
    const b = await RawClient.connect(nb, bob.accessToken);
    try {
      const { id } = await a.request("conversations.openDirect", { userId: bob.user.id });
      const sent = await a.request("messages.send", { conversationId: id, clientId: "traced-1", body: "follow me" });
      await b.waitFor(() => b.messages(id).find((m) => m.seq === sent.seq));
      await b.request("receipts.mark", { conversationId: id, delivered: sent.seq });

      const named = (name: string) =>
        receiver.spans.find(
          (s) =>
            s.name === name &&
            (s.attributes["parley.seq"] === sent.seq || name === "messages.send") &&
            s.attributes["parley.conversation"] !== undefined,
        );
      await waitUntil("the receipt span is exported", () => named("parley.receipt.delivered") !== undefined, 15_000);

      const root = receiver.spans.find((s) => s.name === "messages.send" && s.node === "na" && s.parentSpanId === "");
      assert.ok(root, "a root span for the send on node a");
      const inTrace = receiver.spans.filter((s) => s.traceId === root.traceId);
      const one = (name: string) => {
        const found = inTrace.filter((s) => s.name === name);
        assert.equal(found.length, 1, `exactly one ${name} in the trace (got ${found.length})`);
        return found[0]!;
      };
      const admit = one("parley.admit");
      const store = one("parley.store.commit");
      const publish = one("parley.bus.publish");
      const deliver = one("parley.deliver");
      const receipt = one("parley.receipt.delivered");

      assert.equal(root.kind, 2, "server kind");
      assert.equal(root.attributes["parley.op"], "messages.send");
      for (const child of [admit, store, publish]) {
        assert.equal(child.parentSpanId, root.spanId, `${child.name} is a child of the send`);
        assert.equal(child.node, "na");
        assert.ok(child.start >= root.start, `${child.name} starts within the send`);
      }
      assert.equal(store.attributes["parley.seq"], sent.seq);
      assert.equal(store.attributes["parley.conversation"], id);
      assert.equal(deliver.parentSpanId, publish.spanId, "the deliver span continues the publish span across the bus");
      assert.equal(deliver.node, "nb", "delivered by the recipient's node");
      assert.equal(deliver.attributes["parley.user"], bob.user.id);
      assert.equal(receipt.parentSpanId, deliver.spanId, "the receipt continues the delivery");
      assert.equal(receipt.node, "nb");
      assert.ok(receipt.end >= deliver.start);
      assert.ok(store.end <= publish.end, "stored before published");

      // The stage metrics of the recipient's node measured the cross-node delivery (its timing crossed the bus).
      const metrics = await scrapeMetrics(nb);
      assert.ok((metrics.get('parley_message_stage_seconds_count{stage="stored_delivered"}') ?? 0) >= 1);
      assert.ok((metrics.get("parley_send_deliver_seconds_count") ?? 0) >= 1);

      // The receipt request has its own trace (it is a request of its own), linked to the message by its span only.
      const markRoot = receiver.spans.find((s) => s.name === "receipts.mark" && s.node === "nb");
      assert.ok(markRoot);
      assert.notEqual(markRoot.traceId, root.traceId);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });
});

describe("tracing on one node", () => {
  it("puts the trace id of a traced request in its log lines, and exports nothing without an endpoint", async () => {
    const receiver = await OtlpReceiver.start();
    const lines: Record<string, unknown>[] = [];
    const traced = await startTestServer(
      { otlpTracesEndpoint: receiver.url, rateTyping: { capacity: 1, windowMs: 60_000 }, logLevel: "info" },
      { logDestination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } },
    );
    const untraced = await startTestServer({});
    try {
      for (const server of [traced, untraced]) {
        const [u, v] = (await Promise.all([register(server), register(server)])) as [AuthResult, AuthResult];
        const c = await RawClient.connect(server, u.accessToken);
        const { id } = await c.request("conversations.openDirect", { userId: v.user.id });
        await c.request("messages.send", { conversationId: id, clientId: "x", body: "hi" });
        if (server === traced) {
          await c.request("typing", { conversationId: id, typing: true });
          await assert.rejects(
            c.request("typing", { conversationId: id, typing: false }),
            (e: ProtocolError) => e.error.code === "rate_limited",
          );
        }
        await c.close();
      }
      const limited = lines.find((l) => l["msg"] === "rate limited");
      assert.ok(limited, "the refusal is logged");
      assert.match(String(limited["trace_id"]), /^[0-9a-f]{32}$/);
      await waitUntil("its span is exported", () => receiver.spans.some((s) => s.traceId === limited["trace_id"]), 15_000);
      const typingSpan = receiver.spans.find((s) => s.traceId === limited["trace_id"] && s.parentSpanId === "")!;
      assert.equal(typingSpan.name, "typing");
      assert.equal(typingSpan.attributes["parley.error"], "rate_limited");
      const nodes = new Set(receiver.spans.map((s) => s.node));
      assert.equal(nodes.size, 1, "only the traced node exported spans");
    } finally {
      await Promise.all([traced.close(), untraced.close()]);
      await receiver.close();
    }
  });
});
