// The one request pipeline of every transport: caller → rate limit → operation → validation → handler → error body.

import { type ErrorBody, isOpName, type OpArgs, type OpResult, operations, type Transport } from "@parley/protocol";
import { AppError, toErrorBody } from "../domain/app-error.js";
import type { Logger } from "../logger.js";
import { endSpan, SPAN, type Span, traceFields } from "../observability/tracing.js";
import type { Services } from "../services/index.js";
import {
  type AdminHandlers,
  type AdminRequestOp,
  adminHandlers,
  type ConnectionHooks,
  type PublicContext,
  type PublicHandlers,
  type PublicRequestOp,
  publicHandlers,
  type RequestOp,
  type RequestTransport,
  type UserContext,
  type UserHandlers,
  type UserOp,
  userHandlers,
} from "./handlers.js";
import { validateArgs } from "./validation.js";

/** Who is calling, as the transport knows it. */
export type Caller =
  /** A live session (WebSocket or long polling): authenticated once, by its `hello`. */
  | { session: ConnectionHooks & { userId: string; sessionId: string } }
  /** A stateless HTTP request: the bearer token it carries (checked per request) and the client's address key. */
  | { token: string | undefined; address: string };

/** One request as a transport hands it over, decoded from its frame or route. */
export interface Call {
  /** As the client named it: a live frame may name anything, answered `unknown_op` once within the budget. */
  op: string;
  caller: Caller;
  transport: RequestTransport;
  /**
   * The arguments in the transport's form, read only once the caller is identified and within budget (an HTTP body
   * that is not an object is refused then, as a live frame's arguments are checked then).
   */
  args: () => unknown;
  /** When the request arrived (`preciseNow()`). */
  receivedAt: number;
  /**
   * A live frame that failed decoding (answered with this error): it still draws from the request budget like any
   * frame, so garbage cannot be sent faster than requests, and over the limit is answered `rate_limited` (§15.1).
   */
  undecodable?: ErrorBody;
  /** Where failures are logged, with `logContext` (ids only: never arguments). */
  log: Pick<Logger, "error" | "info">;
  logContext?: Record<string, unknown>;
}

export type Outcome = { ok: true; result: unknown } | { ok: false; error: ErrorBody };

/**
 * Runs requests the same way whatever carried them; transports keep only what is theirs (decoding a frame or a
 * route's parameters, the HTTP status, writing the answer, counting it).
 *
 * 1. the caller: a live session is already authenticated; an HTTP request of a `user` operation authenticates its
 *    bearer token (the budget below is the user's, so it needs the user);
 * 2. the rate limit: the user's request budget, or for a `public` operation the client address's `auth` budget;
 * 3. the operation: known and offered on this transport (`hello` again on a live session is `already_authenticated`);
 * 4. validation of the arguments against the operation's schema (for an `admin` operation, after the caller's role was
 *    read and found to be administrator: others are answered `forbidden` whatever they sent);
 * 5. the operation's handler;
 * 6. error mapping: anything thrown becomes an ErrorBody; unexpected errors are logged, never shown.
 */
export class RequestPipeline {
  private readonly publics: PublicHandlers;
  private readonly users: UserHandlers;
  private readonly admins: AdminHandlers;

  constructor(private readonly services: Services) {
    this.publics = publicHandlers(services);
    this.users = userHandlers(services);
    this.admins = adminHandlers(services);
  }

  /**
   * Runs one request. Everything before the handler is synchronous when it can be (a live session, the in-process
   * limiter), so refusals, invalid requests and decoding errors are answered in the order their frames arrived.
   */
  invoke(call: Call): Promise<Outcome> {
    // Traced requests (tracing on and sampled) have a span from arrival to answer; the handler's work hangs below it.
    const span = this.services.tracing.request(opLabel(call.op), call.transport, call.receivedAt);
    const outcome = this.start(call, span);
    if (span === undefined) return outcome;
    return outcome.then((o) => {
      endSpan(span, o.ok ? undefined : o.error.code);
      return o;
    });
  }

  private start(call: Call, span: Span | undefined): Promise<Outcome> {
    let identified: ReturnType<RequestPipeline["identifyAndLimit"]>;
    try {
      identified = this.identifyAndLimit(call, span);
    } catch (error) {
      return Promise.resolve(this.failed(call, error, span));
    }
    if (identified instanceof Promise) {
      return identified.then(
        (user) => this.proceed(call, user, span),
        (error: unknown) => this.failed(call, error, span),
      );
    }
    return this.proceed(call, identified, span);
  }

  /** Steps 3 to 6, once the caller is known and within budget. */
  private proceed(call: Call, user: UserContext | undefined, span: Span | undefined): Promise<Outcome> {
    if (call.undecodable) return Promise.resolve({ ok: false, error: call.undecodable });
    let pending: Promise<unknown>;
    try {
      pending = this.run(call, user, span);
    } catch (error) {
      return Promise.resolve(this.failed(call, error, span));
    }
    return pending.then(
      (result) => ({ ok: true, result }),
      (error: unknown) => this.failed(call, error, span),
    );
  }

  /** Steps 3 to 5: throws synchronously up to the handler's call. */
  private run(call: Call, user: UserContext | undefined, span: Span | undefined): Promise<unknown> {
    const op = resolve(call.op, "session" in call.caller ? "live" : "http");
    if (isPublicRequestOp(op)) {
      const args = validateArgs(op, call.args());
      this.admitted(call, span);
      return this.runPublic(op, { transport: call.transport, receivedAt: call.receivedAt }, args);
    }
    // Step 1 authenticated every caller of a user operation; this only tells the type checker so.
    if (!user) throw new AppError("unauthorized", "A token is required");
    if (isAdminRequestOp(op)) {
      return this.services.admin.requireAdmin(user.userId).then(() => {
        const args = validateArgs(op, call.args());
        this.admitted(call, span);
        return this.runAdmin(op, user, args);
      });
    }
    const args = validateArgs(op, call.args());
    this.admitted(call, span);
    return this.runUser(op, user, args);
  }

  /** Steps 1 to 4 are done: the request's admit span covers them (from its arrival). */
  private admitted(call: Call, span: Span | undefined): void {
    if (span === undefined) return;
    endSpan(this.services.tracing.child(SPAN.admit, span.spanContext(), { startTime: call.receivedAt }));
  }

  /**
   * Steps 1 and 2. Synchronous for a live session with the in-process limiter, so its frames draw from the budget in
   * the order they arrived. Resolves with the user's context, or undefined for a public operation over HTTP.
   */
  private identifyAndLimit(call: Call, span: Span | undefined): Promise<UserContext | undefined> | UserContext | undefined {
    const { caller, op } = call;
    const trace = span === undefined ? {} : { trace: span.spanContext() };
    if ("session" in caller) {
      const { session } = caller;
      const ctx: UserContext = {
        userId: session.userId,
        sessionId: session.sessionId,
        transport: call.transport,
        connection: session,
        receivedAt: call.receivedAt,
        ...trace,
      };
      const limited = this.services.limits.request(session.userId, op);
      return limited ? limited.then(() => ctx) : ctx;
    }
    if (isOpName(op) && operations[op].auth === "public") {
      return this.services.limits.auth(op, caller.address).then(() => undefined);
    }
    return this.services.auth.authenticate(caller.token).then(async (principal) => {
      await this.services.limits.request(principal.userId, op);
      return { ...principal, transport: call.transport, receivedAt: call.receivedAt, ...trace };
    });
  }

  private runPublic<K extends PublicRequestOp>(op: K, ctx: PublicContext, args: OpArgs<K>): Promise<OpResult<K>> {
    return this.publics[op](ctx, args);
  }

  private runUser<K extends UserOp>(op: K, ctx: UserContext, args: OpArgs<K>): Promise<OpResult<K>> {
    return this.users[op](ctx, args);
  }

  private runAdmin<K extends AdminRequestOp>(op: K, ctx: UserContext, args: OpArgs<K>): Promise<OpResult<K>> {
    return this.admins[op](ctx, args);
  }

  /** Step 6. */
  private failed(call: Call, error: unknown, span: Span | undefined): Outcome {
    const body = toErrorBody(error);
    const op = opLabel(call.op);
    if (!(error instanceof AppError))
      call.log.error({ ...call.logContext, ...traceFields(span), err: error, op }, "request failed");
    else if (body.code === "rate_limited") {
      call.log.info({ ...call.logContext, ...traceFields(span), op, limit: body.details?.["limit"] }, "rate limited");
    }
    return { ok: false, error: body };
  }
}

/** Client-chosen op strings are never logged or traced as given: unknown ones go together. */
function opLabel(op: string): string {
  return isOpName(op) ? op : "unknown";
}

/** Step 3: the operation named, if it is a request offered on `transport`. */
function resolve(op: string, transport: Transport): RequestOp {
  if (!isOpName(op) || !operations[op].transports.includes(transport)) {
    const where = transport === "live" ? "on a live connection" : "over HTTP";
    throw new AppError("unknown_op", `Unknown operation "${op}" ${where}`, { field: "op" });
  }
  if (op === "hello") throw new AppError("already_authenticated", "This connection is already authenticated");
  return op;
}

function isPublicRequestOp(op: RequestOp): op is PublicRequestOp {
  return operations[op].auth === "public";
}

function isAdminRequestOp(op: RequestOp): op is AdminRequestOp {
  return operations[op].auth === "admin";
}
