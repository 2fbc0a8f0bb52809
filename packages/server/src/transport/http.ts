// The HTTP JSON API: one route per protocol operation that has an HTTP binding, plus health and readiness.

import { timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { ERRORS, type ErrorBody, isErrorCode, OP_NAMES, type OpDefinition, type OpName, operations } from "@parley/protocol";
import { Value } from "@sinclair/typebox/value";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { RequestPipeline } from "../api/pipeline.js";
import type { Config } from "../config/index.js";
import { AppError, toErrorBody } from "../domain/app-error.js";
import { newId } from "../domain/ids.js";
import type { Logger } from "../logger.js";
import { preciseNow } from "../observability/metrics.js";
import type { Services } from "../services/index.js";
import { type AddressSlots, capRequestsPerAddress } from "./address-slots.js";
import { addressKey, bearer, clientAddress, registerEdgeSecurity } from "./security.js";

export interface HealthProbe {
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
}

export function createHttpApi(
  config: Config,
  services: Services,
  log: Logger,
  health: HealthProbe,
  slots: AddressSlots,
): FastifyInstance {
  const timeouts = httpTimeouts(config);
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: config.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
    requestTimeout: config.httpRequestTimeoutMs,
    connectionTimeout: idleTimeoutMs(config),
    http: timeouts,
    genReqId: () => newId(),
    // A malformed URL (bad percent-encoding, a path parameter longer than any id) matches no route: answer like any
    // unknown route, with an ErrorBody.
    frameworkErrors: (error, request, reply) => {
      const path = request.url.split("?")[0] ?? "";
      if (error.code === "FST_ERR_BAD_URL" || error.code === "FST_ERR_MAX_PARAM_LENGTH") {
        return sendError(reply, new AppError("not_found", `No route ${request.method} ${path.slice(0, 200)}`));
      }
      request.log.error({ err: error }, "request failed");
      return sendError(reply, error);
    },
    ...(config.tlsCert && config.tlsKey
      ? { https: { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey), ...timeouts } }
      : {}),
  }) as unknown as FastifyInstance;
  const { metrics } = services;
  registerEdgeSecurity(app, config);
  capRequestsPerAddress(app, config, slots);
  // One line per answered request: route pattern (never the query or body), status and time, with the request id.
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url;
    const op = (request.routeOptions.config as { op?: OpName }).op;
    if (op) metrics.request("http", op, errorCodes.get(request) ?? "ok", reply.elapsedTime / 1000);
    // Long-poll sends and polls are the frames of a live connection, which are not logged one by one either.
    const quiet =
      route === "/healthz" || route === "/readyz" || route === "/metrics" || route === "/v1/lp/poll" || route === "/v1/lp/send";
    request.log[quiet ? "debug" : "info"](
      { method: request.method, route: route ?? null, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 },
      "http request",
    );
    done();
  });
  const pipeline = new RequestPipeline(services);

  // Operation bodies are JSON only (§2.2): Fastify's default text/plain parser would hand a string to the handler,
  // answered `invalid_frame`; without it, every other type is refused as FST_ERR_CTP_INVALID_MEDIA_TYPE below.
  app.removeContentTypeParser("text/plain");
  // An empty JSON body means "no arguments" (POST /v1/auth/logout); anything else must parse.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = String(body);
    if (text.trim() === "") return done(null, {});
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new AppError("invalid_json", "The body is not valid JSON"), undefined);
    }
  });

  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    if (error instanceof AppError) {
      if (error.code === "rate_limited") request.log.info({ limit: error.details?.["limit"] }, "rate limited");
      return sendError(reply, error);
    }
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE")
      return sendError(reply, new AppError("too_large", "The request body is too large"));
    if (error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
      return sendError(reply, new AppError("invalid_json", "Send a JSON body with Content-Type: application/json"));
    }
    if (error.statusCode === 400 || error.code === "FST_ERR_CTP_EMPTY_JSON_BODY") {
      return sendError(reply, new AppError("invalid_json", "The body is not valid JSON"));
    }
    request.log.error({ err: error }, "request failed");
    return sendError(reply, error);
  });
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, new AppError("not_found", `No route ${request.method} ${request.url.split("?")[0]}`)),
  );

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    const result = await health.ready();
    return reply.code(result.ok ? 200 : 503).send({ status: result.ok ? "ready" : "not ready", checks: result.checks });
  });
  if (config.metricsEnabled) {
    if (!config.metricsToken) log.warn("/metrics is served to anyone who can reach this port: set PARLEY_METRICS_TOKEN");
    const expected = config.metricsToken ? Buffer.from(config.metricsToken) : undefined;
    app.get("/metrics", async (request, reply) => {
      if (expected) {
        const given = Buffer.from(bearer(request.raw) ?? "");
        if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
          return sendError(reply, new AppError("unauthorized", "The metrics token is required"));
        }
      }
      return reply.header("content-type", metrics.contentType).send(await metrics.render());
    });
  }

  for (const op of OP_NAMES) {
    const spec: OpDefinition = operations[op];
    if (!spec.http || !spec.transports.includes("http")) continue;
    app.route({
      method: spec.http.method,
      url: spec.http.path,
      config: { op },
      handler: async (request, reply) => {
        const outcome = await pipeline.invoke({
          op,
          caller: { token: bearer(request.raw), address: addressKey(clientAddress(request.raw, config.trustProxy)) },
          transport: "http",
          args: () => collectArgs(op, request),
          receivedAt: preciseNow() - reply.elapsedTime,
          log: request.log,
        });
        if (!outcome.ok) return sendErrorBody(reply, outcome.error);
        return reply.code(op === "auth.register" ? 201 : 200).send(outcome.result);
      },
    });
  }
  return app;
}

/**
 * Node's own guards against clients that send slowly (Fastify turns them off by default): headers and the whole
 * request must arrive in time, else 408 and the socket is closed. They are checked every `connectionsCheckingInterval`,
 * at most a second late (and finer when the timeouts are short, as in tests).
 */
function httpTimeouts(config: Config) {
  const shortest = Math.min(config.httpHeadersTimeoutMs, config.httpRequestTimeoutMs || Number.POSITIVE_INFINITY);
  return {
    headersTimeout: config.httpHeadersTimeoutMs,
    requestTimeout: config.httpRequestTimeoutMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(shortest / 4))),
  };
}

/** A held long poll sends no byte until it is answered: the idle timeout never cuts it first. */
const LONG_POLL_IDLE_MARGIN_MS = 1000;

function idleTimeoutMs(config: Config): number {
  if (config.httpIdleTimeoutMs === 0) return 0;
  return Math.max(config.httpIdleTimeoutMs, config.longPollHoldMs + LONG_POLL_IDLE_MARGIN_MS);
}

function collectArgs(op: OpName, request: FastifyRequest): unknown {
  const params = (request.params ?? {}) as Record<string, string>;
  if (request.method === "GET" || request.method === "DELETE") {
    const query = { ...(request.query as Record<string, unknown>), ...params };
    // Query strings carry text; convert "10" to 10 where the schema wants a number.
    return Value.Convert(operations[op].args, query);
  }
  const body = request.body ?? {};
  if (typeof body !== "object" || Array.isArray(body)) throw new AppError("invalid_frame", "The body must be a JSON object");
  // Path parameters are text too (`:seq`); only they are converted, the JSON body keeps its types.
  const converted = Object.keys(params).length === 0 ? params : Value.Convert(operations[op].args, params);
  return { ...(body as Record<string, unknown>), ...(converted as Record<string, unknown>) };
}

/** The error code each failed request was answered with, for the request metrics. */
const errorCodes = new WeakMap<FastifyRequest, string>();

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  return sendErrorBody(reply, toErrorBody(error));
}

function sendErrorBody(reply: FastifyReply, body: ErrorBody): FastifyReply {
  errorCodes.set(reply.request, body.code);
  const status = isErrorCode(body.code) ? ERRORS[body.code].status : 500;
  if (body.retryAfterMs !== undefined) reply.header("retry-after", Math.ceil(body.retryAfterMs / 1000));
  if (body.code === "unauthorized" || body.code === "token_expired") reply.header("www-authenticate", 'Bearer realm="parley"');
  return reply.code(status).send({ error: body });
}
