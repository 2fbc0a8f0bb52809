// Distributed tracing: where OpenTelemetry spans are exported (OTLP over HTTP), if anywhere, and how many are kept.

import { ConfigError, type ConfigVars, nonEmpty } from "./parse.js";

export interface TracingConfig {
  /** OTLP/HTTP traces endpoint (`…/v1/traces`); unset: tracing is off and no span is made. */
  otlpTracesEndpoint: string | undefined;
  /** `service.name` of the exported spans. */
  traceServiceName: string;
  /** Share of requests traced (0 to 1), decided once per trace at its root. */
  traceSampleRatio: number;
}

function httpUrl(raw: string, env: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(env, `expected an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConfigError(env, "expected an http(s) URL");
  return url.toString();
}

function ratio(raw: string, env: string): number {
  const n = Number(raw);
  if (!/^\s*(0|1|0?\.\d+|1\.0*)\s*$/.test(raw) || !(n >= 0 && n <= 1)) {
    throw new ConfigError(env, `expected a number from 0 to 1, got "${raw}"`);
  }
  return n;
}

export const TRACING_VARS: ConfigVars<TracingConfig> = {
  otlpTracesEndpoint: {
    env: "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    default: undefined,
    description:
      "OpenTelemetry: the OTLP/HTTP (JSON) traces endpoint, e.g. `http://collector:4318/v1/traces`; unset: no tracing. `OTEL_EXPORTER_OTLP_HEADERS` and `OTEL_EXPORTER_OTLP_TRACES_HEADERS` add headers (docs/operations.md).",
    parse: httpUrl,
  },
  traceServiceName: {
    env: "OTEL_SERVICE_NAME",
    default: "parley",
    description: "OpenTelemetry `service.name` of this node's spans.",
    parse: nonEmpty,
  },
  traceSampleRatio: {
    env: "PARLEY_TRACE_SAMPLE_RATIO",
    default: 1,
    description:
      "Share of requests traced when tracing is on, 0 to 1 (a message's spans on every node follow its sender's decision).",
    parse: ratio,
  },
};
