// Prometheus metrics: one registry per server (injected, so several servers can share a process) plus process metrics.

import { performance } from "node:perf_hooks";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { BEST_EFFORT_SITES } from "./best-effort.js";
import { FastHistogram } from "./fast-histogram.js";

/** Request and delivery latencies, seconds: fine at the low end where a healthy node lives. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Store and bus calls, seconds: an embedded store answers in microseconds. */
const BACKEND_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
const SYNC_SIZE_BUCKETS = [0, 1, 10, 50, 100, 250, 500, 1000, 2500, 5000];

export type TransportLabel = "ws" | "http" | "longpoll";

/** Wall-clock milliseconds with sub-millisecond precision; comparable between nodes as far as their clocks agree. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Process-wide metrics (event loop lag, GC, memory, CPU) are facts about the process: collected once per process. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** Hot counters are plain numbers, added to their prom-client counters when metrics are collected. */
interface OpChildren {
  ok: number;
  okCounter: { inc(n: number): void };
  seconds: { observe(value: number): void };
  ack: { observe(value: number): void } | undefined;
}

interface FrameCounts {
  in: number;
  out: number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;

  readonly connections = new Gauge({
    name: "parley_connections_open",
    help: "Open client connections on this node, by transport.",
    labelNames: ["transport"] as const,
    registers: [this.registry],
  });
  readonly framesIn: Counter<"transport"> = new Counter({
    name: "parley_frames_received_total",
    help: "Frames received from clients, by transport (including those refused).",
    labelNames: ["transport"] as const,
    registers: [this.registry],
    collect: () => this.collectHotCounters(),
  });
  readonly framesOut: Counter<"transport"> = new Counter({
    name: "parley_frames_sent_total",
    help: "Frames written to client connections (results, errors, events), by transport.",
    labelNames: ["transport"] as const,
    registers: [this.registry],
    collect: () => this.collectHotCounters(),
  });
  readonly disconnects = new Counter({
    name: "parley_disconnects_total",
    help: "Closed WebSocket connections by close code (1001 shutdown, 4000 slow consumer, 4001 heartbeat, …).",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  readonly requests: Counter<"transport" | "op" | "result"> = new Counter({
    name: "parley_requests_total",
    help: "Requests by transport, operation and result (`ok` or the error code).",
    labelNames: ["transport", "op", "result"] as const,
    registers: [this.registry],
    collect: () => this.collectHotCounters(),
  });
  readonly requestSeconds = new FastHistogram({
    name: "parley_request_duration_seconds",
    help: "Time from receiving a request to writing its answer, by transport and operation.",
    labelNames: ["transport", "op"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly messagesStored = new Counter({
    name: "parley_messages_stored_total",
    help: "Text messages committed to the store (idempotent repeats not counted).",
    registers: [this.registry],
  });
  readonly sendAckSeconds = new FastHistogram({
    name: "parley_send_ack_seconds",
    help: "messages.send: from receiving the request to writing the ack (includes the durable commit).",
    labelNames: ["transport"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly sendDeliverSeconds = new FastHistogram({
    name: "parley_send_deliver_seconds",
    help: "From receiving a send to writing its message event to each recipient connection (one sample per connection).",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly stageSeconds = new FastHistogram({
    name: "parley_message_stage_seconds",
    help: "Stages of a message: send_stored (request arrived → committed), stored_delivered (committed → written to a recipient connection, one sample per connection, any node), delivered_read (written to a connection → that connection's read receipt covering it, first unread message per conversation).",
    labelNames: ["stage"] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  /** The stage series, bound once (hot path). */
  readonly stage = {
    sendStored: this.stageSeconds.labels("send_stored"),
    storedDelivered: this.stageSeconds.labels("stored_delivered"),
    deliveredRead: this.stageSeconds.labels("delivered_read"),
  };
  readonly messagesUndelivered = new Counter({
    name: "parley_messages_undelivered_total",
    help: "Committed messages whose live event did not reach a connected recipient, by reason: fanout_failed (the bus refused the event; counted once per message), slow_consumer (a recipient connection was closed as a slow consumer instead of taking it; once per message and connection). Clients recover them with `sync`.",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly syncMessages = new Histogram({
    name: "parley_sync_messages",
    help: "Messages returned by one sync answer.",
    buckets: SYNC_SIZE_BUCKETS,
    registers: [this.registry],
  });
  readonly syncConversations = new Histogram({
    name: "parley_sync_conversations",
    help: "Conversations returned by one sync answer.",
    buckets: SYNC_SIZE_BUCKETS,
    registers: [this.registry],
  });
  readonly pushSent = new Counter({
    name: "parley_push_sent_total",
    help: "Push notifications handed to a push provider.",
    registers: [this.registry],
  });
  readonly pushFailed = new Counter({
    name: "parley_push_failed_total",
    help: "Push notifications a provider refused or that failed to send.",
    registers: [this.registry],
  });
  readonly pushGone = new Counter({
    name: "parley_push_gone_total",
    help: "Push subscriptions removed because the push service reported them gone (404/410).",
    registers: [this.registry],
  });
  readonly pushRetried = new Counter({
    name: "parley_push_retried_total",
    help: "Push deliveries retried after a transient failure (429, 5xx, network).",
    registers: [this.registry],
  });
  readonly pushCoalesced = new Counter({
    name: "parley_push_coalesced_total",
    help: "Messages folded into a pending notification for the same user and conversation instead of a push of their own.",
    registers: [this.registry],
  });
  readonly pushSkipped = new Counter({
    name: "parley_push_skipped_total",
    help: "Notifications not sent, by reason (online, dnd, muted, read, no_subscription, expired).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly rateLimited = new Counter({
    name: "parley_rate_limited_total",
    help: "Requests and connections refused by a rate limit or a login lockout, by limit name.",
    labelNames: ["limit"] as const,
    registers: [this.registry],
  });
  readonly uploadsStored = new Counter({
    name: "parley_uploads_total",
    help: "Uploads accepted, by kind (`image` or `file`).",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly uploadBytes = new Counter({
    name: "parley_upload_bytes_total",
    help: "Bytes of accepted uploads (before deduplication).",
    registers: [this.registry],
  });
  readonly uploadsRejected = new Counter({
    name: "parley_uploads_rejected_total",
    help: "Uploads refused, by error code.",
    labelNames: ["code"] as const,
    registers: [this.registry],
  });
  readonly uploadScans = new Counter({
    name: "parley_upload_scans_total",
    help: "Malware scans of uploads, by result (`clean`, `infected`, `error`: no verdict).",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });
  readonly uploadScanErrors = new Counter({
    name: "parley_upload_scan_errors_total",
    help: "Scans without a verdict, by reason (`unavailable`, `too_large`: over clamd's StreamMaxLength, `failed`).",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly uploadsUnscanned = new Counter({
    name: "parley_uploads_unscanned_total",
    help: "Uploads accepted without a verdict and marked unscanned (PARLEY_SCAN_ON_FAILURE=flag).",
    registers: [this.registry],
  });
  readonly uploadScanSeconds = new Histogram({
    name: "parley_upload_scan_seconds",
    help: "Time of the malware scans that gave a verdict (streaming the file included).",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly scannerUp = new Gauge({
    name: "parley_scanner_up",
    help: "1 when the malware scanner answered the last scan or readiness check, 0 when it did not (absent: scanning off).",
    labelNames: ["scanner"] as const,
    registers: [this.registry],
  });
  readonly mediaSwept = new Counter({
    name: "parley_media_swept_total",
    help: "Deleted by the media sweeper: expired unreferenced `upload` rows and unused `blob`s.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly retentionSwept = new Counter({
    name: "parley_retention_swept_total",
    help: "Deleted by the retention sweeper on this node: expired `entry` rows and the `upload`s only they shared.",
    labelNames: ["kind"] as const,
    registers: [this.registry],
  });
  readonly retentionSweepFailures = new Counter({
    name: "parley_retention_sweep_failures_total",
    help: "Retention sweeps on this node that failed (each is logged at error with its cause; the next interval retries).",
    registers: [this.registry],
  });
  readonly storeSeconds = new FastHistogram({
    name: "parley_store_duration_seconds",
    help: "Store calls by method (failed calls included).",
    labelNames: ["method"] as const,
    buckets: BACKEND_BUCKETS,
    registers: [this.registry],
  });
  readonly busSeconds = new FastHistogram({
    name: "parley_bus_duration_seconds",
    help: "Bus calls by method (publish, subscribe, unsubscribe).",
    labelNames: ["method"] as const,
    buckets: BACKEND_BUCKETS,
    registers: [this.registry],
  });
  readonly bestEffortFailures = new Counter({
    name: "parley_best_effort_failures_total",
    help: "Best-effort work that failed (fan-out, presence, cleanup; each also logged at warn), by where it failed.",
    labelNames: ["where"] as const,
    registers: [this.registry],
  });

  /** Children bound once per (transport, op): the per-request cost is then an addition and a bucket search. */
  private readonly opChildren = new Map<string, OpChildren>();
  private readonly frameCounts = new Map<TransportLabel, FrameCounts>();

  constructor(private readonly includeProcessMetrics = true) {
    // Every site starts at 0, so a first failure shows as an increase rather than as a new series.
    for (const where of BEST_EFFORT_SITES) this.bestEffortFailures.labels(where).inc(0);
  }

  /** Counts a frame received from a client. */
  frameIn(transport: TransportLabel): void {
    this.frames(transport).in++;
  }

  /** Counts a frame handed to a client connection. */
  frameOut(transport: TransportLabel): void {
    this.frames(transport).out++;
  }

  private frames(transport: TransportLabel): FrameCounts {
    let counts = this.frameCounts.get(transport);
    if (!counts) {
      counts = { in: 0, out: 0 };
      this.frameCounts.set(transport, counts);
    }
    return counts;
  }

  /** Moves the hot counters' pending counts into their prom-client counters (on every collection). */
  private collectHotCounters(): void {
    for (const [transport, counts] of this.frameCounts) {
      if (counts.in > 0) this.framesIn.labels(transport).inc(counts.in);
      if (counts.out > 0) this.framesOut.labels(transport).inc(counts.out);
      counts.in = 0;
      counts.out = 0;
    }
    for (const children of this.opChildren.values()) {
      if (children.ok > 0) children.okCounter.inc(children.ok);
      children.ok = 0;
    }
  }

  /** Counts one answered request (`result`: "ok" or the error code) and the seconds it took. */
  request(transport: TransportLabel, op: string, result: string, seconds: number): void {
    const key = `${transport} ${op}`;
    let children = this.opChildren.get(key);
    if (!children) {
      children = {
        ok: 0,
        okCounter: this.requests.labels(transport, op, "ok"),
        seconds: this.requestSeconds.labels(transport, op),
        ack: op === "messages.send" ? this.sendAckSeconds.labels(transport) : undefined,
      };
      this.opChildren.set(key, children);
    }
    children.seconds.observe(seconds);
    if (result === "ok") {
      children.ok++;
      children.ack?.observe(seconds);
    } else this.requests.labels(transport, op, result).inc();
  }

  /** The text exposition of this server's metrics and the process metrics. */
  async render(): Promise<string> {
    const own = await this.registry.metrics();
    return this.includeProcessMetrics ? `${await processMetrics().metrics()}\n${own}` : own;
  }
}

/**
 * Wraps an adapter so every asynchronous method call is timed into `histogram` under the method's name. Methods are
 * called on the adapter itself (not the proxy), so private fields keep working.
 */
export function instrument<T extends object>(target: T, histogram: FastHistogram<"method">, skip: readonly string[] = []): T {
  const cache = new Map<PropertyKey, unknown>();
  return new Proxy(target, {
    get(obj, prop) {
      const value = Reflect.get(obj, prop, obj);
      if (typeof value !== "function" || typeof prop !== "string" || skip.includes(prop)) {
        return typeof value === "function" ? value.bind(obj) : value;
      }
      let wrapped = cache.get(prop);
      if (!wrapped) {
        const child = histogram.labels(prop);
        wrapped = (...args: unknown[]) => {
          const start = performance.now();
          const done = () => child.observe((performance.now() - start) / 1000);
          const result = (value as (...a: unknown[]) => unknown).apply(obj, args);
          if (result instanceof Promise) return result.finally(done);
          done();
          return result;
        };
        cache.set(prop, wrapped);
      }
      return wrapped;
    },
  });
}
