// Request dispatch shared by every session transport: frame decoding, the hello handshake, operations and cleanup.

import {
  CLOSE_CODES,
  type CloseReason,
  ERRORS,
  type ErrorBody,
  type ErrorCode,
  isOpName,
  MAX_ATTACHMENTS,
  negotiateVersion,
  SUPPORTED_VERSIONS,
  type User,
  type Welcome,
} from "@parley/protocol";
import { RequestPipeline } from "../api/pipeline.js";
import { validateArgs } from "../api/validation.js";
import type { Config } from "../config/index.js";
import { toErrorBody } from "../domain/app-error.js";
import type { Logger } from "../logger.js";
import { preciseNow } from "../observability/metrics.js";
import type { Broker } from "../ports/broker.js";
import type { RateDecision } from "../ports/rate-limiter.js";
import type { Principal } from "../services/auth-service.js";
import { encodeEvent } from "../services/delivery.js";
import type { Services } from "../services/index.js";
import { ConnectionRegistry } from "./connection-registry.js";
import type { Session } from "./session.js";

const KNOWN_CLOSE_CODES = new Set<number>([
  1000,
  1001,
  1002,
  1005,
  1006,
  1007,
  1009,
  1011,
  ...Object.values(CLOSE_CODES).map((c) => c.code),
]);

/** A frame that passed decoding rules 3–7 of docs/protocol.md §3.2, or the error answering it. */
export type Decoded = { rid: string; op: string; args: unknown } | { rid: string | null; error: ErrorBody };

/** Decodes one client frame (the text of a WebSocket message or one line of a long-poll batch). */
export function decodeFrame(text: string): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { rid: null, error: errorBody("invalid_json", "The frame is not valid JSON") };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { rid: null, error: errorBody("invalid_frame", "A frame is a JSON object") };
  }
  const { rid, op, args } = value as Record<string, unknown>;
  const ridOk = typeof rid === "string" && rid.length > 0 && rid.length <= 64;
  if (!ridOk) return { rid: null, error: errorBody("invalid_frame", "`rid` must be a string of 1 to 64 characters", "rid") };
  if (typeof op !== "string") return { rid, error: errorBody("invalid_frame", "`op` must be a string", "op") };
  if (args !== undefined && (typeof args !== "object" || args === null || Array.isArray(args))) {
    return { rid, error: errorBody("invalid_frame", "`args` must be an object", "args") };
  }
  return { rid, op, args: args ?? {} };
}

export function errorBody(code: ErrorCode, message: string, field?: string): ErrorBody {
  return { code, message, retryable: ERRORS[code].retryable, ...(field ? { details: { field } } : {}) };
}

export function errorFrame(rid: string | null, error: ErrorBody): string {
  return JSON.stringify({ type: "error", rid, error });
}

/** The outcome of a `hello`: who is connecting, or the error to answer and the close reason to close with. */
export type HelloOutcome =
  | { ok: true; version: number; principal: Principal; user: User }
  | { ok: false; error: ErrorBody; close: CloseReason };

/**
 * Owns the node's session registry and everything a live transport must not do differently: the handshake's checks and
 * close reasons, handing requests to the request pipeline, answer encoding, and the cleanup after a session ends.
 */
export class SessionDispatcher {
  readonly registry: ConnectionRegistry;
  private readonly pipeline: RequestPipeline;
  private readonly cleanedUp = new WeakSet<Session>();
  private readonly admitted = new WeakSet<Session>();

  constructor(
    private readonly config: Config,
    private readonly services: Services,
    broker: Broker,
    private readonly log: Logger,
  ) {
    this.pipeline = new RequestPipeline(services);
    const { metrics } = services;
    this.registry = new ConnectionRegistry(
      broker,
      services.failures,
      (message) => {
        if (message.type === "members-changed") services.members.invalidate(message.conversationId);
        else if (message.type === "blocks-changed") services.blocks.invalidate(message.ownerId, message.userId);
        else if (message.type === "presence-narrowed") void this.endHiddenWatches(message.userIds);
      },
      (session, message) => {
        if (session.closed) {
          // The connection was closed as a slow consumer instead of taking the frame: the client syncs after reconnecting.
          if (message.seq !== undefined && session.closeReason === "slow_consumer") {
            metrics.messagesUndelivered.labels("slow_consumer").inc();
            log.warn({ conn: session.id, userId: session.userId, reason: session.closeReason }, "message undelivered");
          }
          return;
        }
        this.countOut(session);
        services.stages.delivered(session.id, session.userId, message);
      },
      (userId) => services.channels.membershipsOf(userId),
    );
  }

  /** Counts a frame received on `transport` before its session exists (the handshake). */
  countIn(transport: Session["transport"]): void {
    this.services.metrics.frameIn(transport);
  }

  private countOut(session: Session): void {
    this.services.metrics.frameOut(session.transport);
  }

  /**
   * A new session from client address `ip` (WebSocket upgrade, long-poll open): draws from the per-address
   * connection bucket. A refusal is answered by the transport with HTTP 429 and Retry-After.
   */
  connect(ip: string): RateDecision | Promise<RateDecision> {
    return this.services.limits.connect(ip);
  }

  /** Counts a closed session by close code (unknown codes together, so clients cannot grow the label set). */
  disconnected(code: number): void {
    this.services.metrics.disconnects.labels(KNOWN_CLOSE_CODES.has(code) ? String(code) : "other").inc();
  }

  start(): Promise<void> {
    return this.registry.start();
  }

  /** Tells every session of this node that events may have been lost (`resync`), one frame encoded for all. */
  resync(): void {
    const frame = encodeEvent("resync", { reason: "events_lost" });
    const bytes = Buffer.from(frame);
    for (const session of [...this.registry.all()]) {
      session.send(frame, bytes);
      this.countOut(session);
    }
  }

  /** Checks `hello` arguments (the token argument wins over one the transport carried beside them). */
  async hello(rawArgs: unknown, tokenBeside: string | undefined): Promise<HelloOutcome> {
    let args: ReturnType<typeof validateArgs<"hello">>;
    try {
      args = validateArgs("hello", rawArgs);
    } catch (error) {
      return { ok: false, error: toErrorBody(error), close: "protocol_violation" };
    }
    const version = negotiateVersion(args.versions);
    if (version === undefined) {
      return {
        ok: false,
        error: {
          ...errorBody("validation_failed", "None of the offered protocol versions is supported"),
          details: { field: "versions", supported: [...SUPPORTED_VERSIONS] },
        },
        close: "unsupported_version",
      };
    }
    try {
      const principal = await this.services.auth.authenticate(args.token ?? tokenBeside);
      const user = await this.services.accounts.me(principal.userId);
      return { ok: true, version, principal, user };
    } catch (error) {
      const body = toErrorBody(error);
      const close: CloseReason =
        body.code === "token_expired"
          ? "token_expired"
          : body.code === "account_deactivated"
            ? "account_deactivated"
            : body.details?.["reason"] === "session_revoked"
              ? "session_revoked"
              : body.code === "unauthorized"
                ? "unauthorized"
                : "internal_error";
      if (close === "internal_error") this.log.error({ err: error }, "hello failed");
      return { ok: false, error: body, close };
    }
  }

  /**
   * Registers an accepted session, hands its welcome to `deliver` (the transport decides how it travels), then
   * announces the user online.
   */
  async admit(session: Session, version: number, user: User, deliver: (welcome: Welcome) => void): Promise<void> {
    await this.registry.add(session);
    this.admitted.add(session);
    this.services.metrics.connections.labels(session.transport).inc();
    this.countOut(session);
    deliver({
      version,
      user,
      sessionId: session.sessionId,
      connectionId: session.id,
      serverTime: Date.now(),
      limits: {
        maxMessageBytes: this.config.maxMessageBytes,
        maxFrameBytes: this.config.maxFrameBytes,
        maxBufferedBytes: this.config.maxBufferedBytes,
        maxGroupMembers: this.config.maxGroupMembers,
        maxChannelMembers: this.config.maxChannelMembers,
        historyPageMax: this.config.historyPageMax,
        syncPageMax: this.config.syncPageMax,
        maxConversationsPerUser: this.config.maxConversationsPerUser,
        maxGroupsPerDay: this.config.maxGroupsPerDay,
        conversationPageMax: this.config.conversationPageMax,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        typingTimeoutMs: this.config.typingTimeoutMs,
        presenceGraceMs: this.config.presenceGraceMs,
        maxUploadBytes: this.config.maxUploadBytes,
        maxAttachments: MAX_ATTACHMENTS,
      },
    });
    await this.services.failures.attempt("presence.connect", this.services.presence.connected(session.userId, session.id));
  }

  /**
   * One frame from an admitted session, as its transport received it: decoded (rules 3–7), then run. Both transports
   * enter here, so per-frame policy (limits, counting) belongs here and cannot differ between them.
   */
  frame(session: Session, text: string): void {
    const receivedAt = preciseNow();
    this.countIn(session.transport);
    const frame = decodeFrame(text);
    if ("error" in frame) void this.undecodable(session, frame.rid, frame.error);
    else void this.request(session, frame.rid, frame.op, frame.args, receivedAt);
  }

  /** Answers a frame that failed decoding, after it drew from the request budget like any frame (pipeline.ts). */
  private async undecodable(session: Session, rid: string | null, error: ErrorBody): Promise<void> {
    const outcome = await this.pipeline.invoke({
      ...this.call(session, preciseNow()),
      op: "",
      args: () => ({}),
      undecodable: error,
    });
    this.countOut(session);
    if (!outcome.ok) session.send(errorFrame(rid, outcome.error));
  }

  /** Runs one decoded request of an admitted session through the request pipeline and sends its answer. */
  async request(session: Session, rid: string, op: string, rawArgs: unknown, receivedAt = preciseNow()): Promise<void> {
    const outcome = await this.pipeline.invoke({ ...this.call(session, receivedAt), op, args: () => rawArgs });
    if (outcome.ok) session.send(`{"type":"result","rid":${JSON.stringify(rid)},"result":${JSON.stringify(outcome.result)}}`);
    else session.send(errorFrame(rid, outcome.error));
    this.countOut(session);
    // Client-chosen op strings never become metric labels: unknown ones are counted together.
    const opLabel = isOpName(op) ? op : "unknown";
    const result = outcome.ok ? "ok" : outcome.error.code;
    this.services.metrics.request(session.transport, opLabel, result, (preciseNow() - receivedAt) / 1000);
  }

  private call(session: Session, receivedAt: number) {
    return {
      caller: { session },
      transport: session.transport,
      receivedAt,
      log: this.log,
      logContext: { conn: session.id },
    } as const;
  }

  /**
   * Ends the presence watches among `userIds` that visibility no longer allows (subscribe checked it only once): one
   * visibility query per watching user with a session on this node.
   */
  private async endHiddenWatches(userIds: readonly string[]): Promise<void> {
    for (const [viewerId, { targets, sessions }] of this.registry.watchesAmong(userIds)) {
      try {
        const visible = new Set(await this.services.presence.visible(viewerId, [...targets]));
        const ended = [...targets].filter((id) => !visible.has(id));
        if (ended.length > 0) for (const session of sessions) this.registry.unwatch(session, ended);
      } catch (err) {
        this.services.failures.failed("presence.recheck", err, { user: viewerId });
      }
    }
  }

  /** The same cleanup for every transport once a session is gone: registry, typing, presence. Idempotent. */
  async closed(session: Session): Promise<void> {
    if (this.cleanedUp.has(session)) return;
    this.cleanedUp.add(session);
    if (this.admitted.delete(session)) this.services.metrics.connections.labels(session.transport).dec();
    try {
      this.services.stages.forget(session.id);
      await this.registry.remove(session);
      await this.services.typing.connectionClosed(session.id);
      await this.services.presence.disconnected(session.userId, session.id);
    } catch (err) {
      this.services.failures.failed("session.cleanup", err, { conn: session.id });
    }
  }
}
