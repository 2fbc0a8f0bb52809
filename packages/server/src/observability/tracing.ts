// Distributed tracing with OpenTelemetry: off unless an OTLP endpoint is configured; one tracer provider per server (so
// several servers can share a process), spans parented explicitly (no global context manager on the hot path), and
// the W3C `traceparent` as the one form a span context takes between nodes.

import {
  type Attributes,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { TracingConfig } from "../config/tracing.js";

export type { Span, SpanContext };

/** Span names: a closed list, documented in docs/operations.md ("Tracing"). */
export const SPAN = {
  /** Steps 1–4 of the request pipeline: caller, rate limit, operation, validation (child of the request's span). */
  admit: "parley.admit",
  /** A message draft waiting for and taking part in its group-committed store write. */
  storeCommit: "parley.store.commit",
  /** Publishing a committed entry's event on the bus. */
  busPublish: "parley.bus.publish",
  /** A node handing a bus event to its local connections (on whichever node the recipients are connected to). */
  deliver: "parley.deliver",
  /** A recipient's `receipts.mark` that acknowledged a traced message as delivered. */
  receiptDelivered: "parley.receipt.delivered",
} as const;

const propagator = new W3CTraceContextPropagator();

export interface SpanOptions {
  startTime?: number;
  kind?: SpanKind;
  attributes?: Attributes;
}

export class Tracing {
  /** Tracing that makes no spans: every method returns undefined or does nothing. */
  static readonly off = new Tracing(undefined, undefined);

  /**
   * Tracing as configured: exporting to the OTLP/HTTP endpoint (batched, in the background), or off when none is set.
   * `exporter` replaces the OTLP exporter (tests).
   */
  static start(config: TracingConfig, nodeId: string, exporter?: SpanExporter): Tracing {
    if (config.otlpTracesEndpoint === undefined && exporter === undefined) return Tracing.off;
    const provider = new TracerProvider({
      resource: resourceFromAttributes({ "service.name": config.traceServiceName, "service.instance.id": nodeId }),
      sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(config.traceSampleRatio) }),
      spanProcessors: [
        new BatchSpanProcessor({
          exporter: exporter ?? new OTLPTraceExporter({ url: config.otlpTracesEndpoint! }),
          scheduledDelayMillis: 1000,
          maxQueueSize: 8192,
        }),
      ],
    });
    return new Tracing(provider.getTracer("parley"), provider);
  }

  private constructor(
    private readonly tracer: Tracer | undefined,
    private readonly provider: TracerProvider | undefined,
  ) {}

  get enabled(): boolean {
    return this.tracer !== undefined;
  }

  /** The root span of a request of `op` (server kind), begun when it arrived; undefined when off or not sampled. */
  request(op: string, transport: string, startTime: number): Span | undefined {
    return this.recording(
      this.tracer?.startSpan(op, {
        kind: SpanKind.SERVER,
        startTime,
        attributes: { "parley.op": op, "parley.transport": transport },
      }),
    );
  }

  /** A span under `parent` (a span of this node, or one received from another node); undefined when off. */
  child(name: string, parent: SpanContext | undefined, options: SpanOptions = {}): Span | undefined {
    if (this.tracer === undefined || parent === undefined) return undefined;
    return this.recording(this.tracer.startSpan(name, options, trace.setSpanContext(ROOT_CONTEXT, parent)));
  }

  /** The W3C `traceparent` of `span`, as carried between nodes. */
  traceparent(span: Span): string | undefined {
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, defaultTextMapSetter);
    return carrier.traceparent;
  }

  /** The span context a `traceparent` names; undefined when off or when it is malformed. */
  parse(traceparent: string | undefined): SpanContext | undefined {
    if (this.tracer === undefined || traceparent === undefined) return undefined;
    const context = propagator.extract(ROOT_CONTEXT, { traceparent }, defaultTextMapGetter);
    return trace.getSpanContext(context);
  }

  /** Exports what is buffered and stops (shutdown). */
  async close(): Promise<void> {
    await this.provider?.shutdown();
  }

  /** Spans of unsampled traces record nothing: callers then skip the work of making their children. */
  private recording(span: Span | undefined): Span | undefined {
    if (span === undefined) return undefined;
    if (span.isRecording()) return span;
    span.end();
    return undefined;
  }
}

/** Ends `span` with the outcome of its work: an error code makes it an error span. */
export function endSpan(span: Span | undefined, errorCode?: string, endTime?: number): void {
  if (span === undefined) return;
  if (errorCode !== undefined) {
    span.setAttribute("parley.error", errorCode);
    span.setStatus({ code: SpanStatusCode.ERROR, message: errorCode });
  }
  span.end(endTime);
}

/** Log fields naming the trace a span belongs to (`trace_id`, `span_id`), or none. */
export function traceFields(span: { spanContext(): SpanContext } | undefined): Record<string, string> {
  if (span === undefined) return {};
  const { traceId, spanId } = span.spanContext();
  return { trace_id: traceId, span_id: spanId };
}

export { SpanKind };
