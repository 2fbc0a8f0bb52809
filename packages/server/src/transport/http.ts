// The HTTP JSON API: one route per protocol operation that has an HTTP binding, plus health and readiness.

import { ERRORS, isErrorCode, OP_NAMES, type OpName, operations, schemas } from "@parley/protocol";
import type { TSchema } from "@sinclair/typebox";
import { Value } from "@sinclair/typebox/value";
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from "fastify";
import { type PublicOp, publicHandlers, type RequestContext, userHandlers } from "../api/handlers.js";
import { validateArgs } from "../api/validation.js";
import type { Config } from "../config.js";
import { AppError, toErrorBody } from "../domain/app-error.js";
import type { Logger } from "../logger.js";
import type { Services } from "../services/index.js";

type AnyUserHandler = (ctx: RequestContext, args: unknown) => Promise<unknown>;
type AnyPublicHandler = (args: unknown) => Promise<unknown>;

export interface HealthProbe {
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
}

export function createHttpApi(config: Config, services: Services, log: Logger, health: HealthProbe): FastifyInstance {
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    bodyLimit: config.maxBodyBytes,
    logController: new LogController({ disableRequestLogging: true }),
    return503OnClosing: true,
  });
  const users = userHandlers(services) as unknown as Record<string, AnyUserHandler>;
  const publics = publicHandlers(services) as unknown as Record<string, AnyPublicHandler>;

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
    if (error instanceof AppError) return sendError(reply, error);
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

  for (const op of OP_NAMES) {
    const spec = operations[op];
    if (!spec.http || !spec.transports.includes("http")) continue;
    app.route({
      method: spec.http.method,
      url: spec.http.path,
      handler: async (request, reply) => {
        const args = collectArgs(op, request);
        if (spec.auth === "public") {
          const result = await publics[op as PublicOp]!(validateArgs(op, args));
          return reply.code(op === "auth.register" ? 201 : 200).send(result);
        }
        const principal = await services.auth.authenticate(bearer(request));
        const ctx: RequestContext = { userId: principal.userId, sessionId: principal.sessionId, transport: "http" };
        return reply.send(await users[op]!(ctx, validateArgs(op, args)));
      },
    });
  }
  return app;
}

function collectArgs(op: OpName, request: FastifyRequest): unknown {
  const params = (request.params ?? {}) as Record<string, string>;
  if (request.method === "GET" || request.method === "DELETE") {
    const query = { ...(request.query as Record<string, unknown>), ...params };
    // Query strings carry text; convert "10" to 10 where the schema wants a number.
    return Value.Convert(schemas[op] as TSchema, query);
  }
  const body = request.body ?? {};
  if (typeof body !== "object" || Array.isArray(body)) throw new AppError("invalid_frame", "The body must be a JSON object");
  return { ...(body as Record<string, unknown>), ...params };
}

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith("Bearer ")) return undefined;
  return header.slice("Bearer ".length).trim();
}

function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const body = toErrorBody(error);
  const status = isErrorCode(body.code) ? ERRORS[body.code].status : 500;
  if (body.retryAfterMs !== undefined) reply.header("retry-after", Math.ceil(body.retryAfterMs / 1000));
  if (body.code === "unauthorized" || body.code === "token_expired") reply.header("www-authenticate", 'Bearer realm="parley"');
  return reply.code(status).send({ error: body });
}
