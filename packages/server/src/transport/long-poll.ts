// Long polling: the WebSocket protocol's frames over plain HTTP requests, for networks where WebSockets cannot pass.

import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { CLOSE_CODES, type CloseReason, ERRORS, type ErrorBody } from "@parley/protocol";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config/index.js";
import { AppError } from "../domain/app-error.js";
import { newId } from "../domain/ids.js";
import type { Logger } from "../logger.js";
import { errorBody, type SessionDispatcher } from "./dispatch.js";
import { addressKey, bearer, clientAddress, upgradeOriginAllowed } from "./security.js";
import { type Carrier, Session } from "./session.js";

type LongPollSession = Session<LongPollCarrier>;

export const LONG_POLL_PATH = "/v1/lp";
/** The header that carries the session secret on every request after `open` (never the URL). */
export const POLL_SECRET_HEADER = "parley-poll-secret";
/** The media type of a batch of request frames: one frame per line, each line exactly a WebSocket text frame. */
export const FRAME_BATCH_TYPE = "application/x-ndjson";

type LongPollConfig = Pick<Config, "maxBufferedBytes" | "maxFrameBytes" | "longPollHoldMs" | "longPollExpiryMs">;

interface HeldPoll {
  reply: FastifyReply;
  timer: NodeJS.Timeout;
}

/** Sends a body that is already JSON text (frames are serialized once, when they are queued). */
function json(reply: FastifyReply, status: number, body: string | Buffer): FastifyReply {
  return reply.code(status).header("content-type", "application/json; charset=utf-8").send(body);
}

function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret).digest();
}

function closeNotice(reason: CloseReason): string {
  return `{"code":${CLOSE_CODES[reason].code},"reason":${JSON.stringify(reason)}}`;
}

/**
 * The long-poll carrier of a session. Every outgoing frame gets the next sequence number of the session and stays in
 * `queue` until a poll acknowledges it, so a poll answer lost on the way is simply sent again by the next poll: nothing
 * is lost, and clients drop what they already have by sequence number.
 */
export class LongPollCarrier implements Carrier {
  readonly kind = "longpoll";
  /** Highest send batch processed; a batch number not above it is a retry and is ignored. */
  lastBatch = 0;
  /** Unacknowledged frames (UTF-8 bytes of JSON frames); `queue[0]` has sequence number `firstSeq`. */
  private queue: Buffer[] = [];
  private firstSeq = 1;
  private queuedBytes = 0;
  private held: HeldPoll | undefined;
  private answerScheduled = false;
  private expiry: NodeJS.Timeout | undefined;
  private closeReason: CloseReason | undefined;

  constructor(
    private readonly secretHash: Buffer,
    private readonly config: LongPollConfig,
    /** A client that stopped polling for the expiry period: the session closes with this reason. */
    private readonly onExpired: (reason: CloseReason) => void,
    private readonly onClosed: (reason: CloseReason) => void,
  ) {
    this.armExpiry();
  }

  /** Unacknowledged bytes: what the client has not taken yet. */
  get bufferedBytes(): number {
    return this.queuedBytes;
  }

  /** Sequence number of the newest frame queued so far (0 before the first). */
  get lastSeq(): number {
    return this.firstSeq + this.queue.length - 1;
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  authorize(secret: string | undefined): boolean {
    if (secret === undefined) return false;
    return timingSafeEqual(hashSecret(secret), this.secretHash);
  }

  write(frames: readonly Buffer[]): void {
    for (const f of frames) {
      this.queue.push(f);
      this.queuedBytes += f.length;
    }
    // Answered after the current call stack, so that a close right behind these frames (Session.close flushes first)
    // travels in the same answer as they do.
    if (this.held && !this.answerScheduled) {
      this.answerScheduled = true;
      queueMicrotask(() => {
        this.answerScheduled = false;
        if (this.held && this.queue.length > 0) this.answer(this.held.reply, true);
      });
    }
  }

  close(reason: CloseReason): void {
    if (this.closeReason) return;
    this.closeReason = reason;
    clearTimeout(this.expiry);
    // A slow consumer's backlog is what the limit protects against; the client syncs after reconnecting.
    if (reason === "slow_consumer") this.dropThrough(this.lastSeq);
    if (this.held) this.answer(this.held.reply, true);
    this.onClosed(reason);
  }

  /** The close notice of a closed carrier. */
  notice(): string {
    return closeNotice(this.closeReason ?? "normal");
  }

  /**
   * A poll: frames up to `ack` are acknowledged and dropped; the poll is answered at once when frames are waiting or
   * the session is closed, and held otherwise. A poll already held is answered empty: the newest poll wins.
   */
  poll(ack: number, reply: FastifyReply): void {
    if (ack > this.lastSeq) {
      throw new AppError("validation_failed", `ack ${ack} is beyond the last frame sent (${this.lastSeq})`, { field: "ack" });
    }
    this.dropThrough(ack);
    if (this.held) this.answer(this.held.reply, false);
    if (this.queue.length > 0 || this.closed) {
      this.answer(reply, true);
      return;
    }
    clearTimeout(this.expiry);
    const held: HeldPoll = { reply, timer: setTimeout(() => this.answer(reply, false), this.config.longPollHoldMs) };
    this.held = held;
    // A client that goes away (tab closed, network gone) stops counting as polling now, not when the hold ends.
    reply.raw.once("close", () => {
      if (this.held !== held) return;
      clearTimeout(held.timer);
      this.held = undefined;
      this.armExpiry();
    });
  }

  /** Stops the carrier's timers without answering (the server is going away and answers elsewhere). */
  dispose(): void {
    clearTimeout(this.expiry);
    if (this.held) clearTimeout(this.held.timer);
  }

  /**
   * Answers a poll with every unacknowledged frame (`withFrames`) or none. `last` is the sequence number to
   * acknowledge next: the newest frame in the answer, or for an empty answer the newest acknowledged one.
   */
  private answer(reply: FastifyReply, withFrames: boolean): void {
    if (this.held?.reply === reply) {
      clearTimeout(this.held.timer);
      this.held = undefined;
    }
    const frames = withFrames ? this.queue : [];
    const last = withFrames ? this.lastSeq : this.firstSeq - 1;
    const close = this.closeReason ? `,"close":${closeNotice(this.closeReason)}` : "";
    const parts: Buffer[] = [Buffer.from(`{"last":${last},"frames":[`)];
    frames.forEach((f, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(f);
    });
    parts.push(Buffer.from(`]${close}}`));
    if (!reply.sent) json(reply, 200, Buffer.concat(parts));
    if (!this.closed) this.armExpiry();
  }

  private dropThrough(seq: number): void {
    const n = Math.min(this.queue.length, seq - this.firstSeq + 1);
    if (n <= 0) return;
    for (let i = 0; i < n; i++) this.queuedBytes -= this.queue[i]!.length;
    this.queue = this.queue.slice(n);
    this.firstSeq += n;
  }

  private armExpiry(): void {
    clearTimeout(this.expiry);
    this.expiry = setTimeout(() => this.onExpired("heartbeat_timeout"), this.config.longPollExpiryMs);
    this.expiry.unref();
  }
}

const COMMA = Buffer.from(",");

const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
const COUNT_PATTERN = /^\d{1,15}$/;

/** Reads the query string strictly: only the named parameters, each at most once (tokens and secrets never go here). */
function query(request: FastifyRequest, allowed: readonly string[]): Record<string, string> {
  const q = (request.query ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(q)) {
    if (!allowed.includes(key)) throw new AppError("validation_failed", `Unknown parameter "${key}"`, { field: key });
    if (typeof value !== "string") throw new AppError("validation_failed", `"${key}" must be given once`, { field: key });
    out[key] = value;
  }
  return out;
}

function count(value: string | undefined, field: string, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!COUNT_PATTERN.test(value) || Number(value) < min) {
    throw new AppError("validation_failed", `"${field}" must be an integer ≥ ${min}`, { field });
  }
  return Number(value);
}

/**
 * The long-poll gateway: `open` (the hello), `send` (a batch of request frames), `poll` (frames out, acknowledged by
 * sequence number) and `close`, all feeding the shared dispatcher exactly as the WebSocket gateway does.
 */
export class LongPollGateway {
  private readonly sessions = new Map<string, LongPollSession>();
  /** Closed sessions stay answerable (their close notice and unacknowledged frames) for one expiry period. */
  private readonly tombstones = new Map<string, NodeJS.Timeout>();
  private closing = false;

  constructor(
    private readonly config: Config,
    private readonly dispatcher: SessionDispatcher,
    private readonly log: Logger,
  ) {}

  /** Adds the routes; call before the HTTP server is ready. */
  register(app: FastifyInstance): void {
    app.register(async (scope) => {
      // Batches are text: each line is decoded by the same rules as a WebSocket frame.
      scope.addContentTypeParser([FRAME_BATCH_TYPE, "text/plain"], { parseAs: "string" }, (_request, body, done) =>
        done(null, String(body)),
      );
      scope.addHook("onSend", async (_request, reply, payload) => {
        reply.header("cache-control", "no-store");
        return payload;
      });
      scope.post(`${LONG_POLL_PATH}/open`, (request, reply) => this.open(request, reply));
      scope.post(`${LONG_POLL_PATH}/send`, async (request, reply) => this.send(request, reply));
      scope.route({
        method: ["GET", "POST"],
        url: `${LONG_POLL_PATH}/poll`,
        handler: async (request, reply) => this.poll(request, reply),
      });
      scope.post(`${LONG_POLL_PATH}/close`, async (request, reply) => this.closeRequest(request, reply));
    });
  }

  /** Closes every session with `going_away`, which answers held polls with that close notice; run before HTTP closes. */
  async close(): Promise<void> {
    this.closing = true;
    for (const session of [...this.sessions.values()]) {
      session.close("going_away");
      session.carrier.dispose();
    }
    for (const timer of this.tombstones.values()) clearTimeout(timer);
  }

  private async open(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    this.dispatcher.countIn("longpoll");
    query(request, []);
    if (this.closing) return this.refuse(reply, errorBody("unavailable", "The server is shutting down"), "going_away");
    // The same admission as a WebSocket upgrade: allowed origins only, and the per-address connection budget.
    if (!upgradeOriginAllowed(request.raw, this.config)) {
      throw new AppError("forbidden", "Pages of this origin may not open sessions here");
    }
    let decision = this.dispatcher.connect(addressKey(clientAddress(request.raw, this.config.trustProxy)));
    if (decision instanceof Promise) decision = await decision;
    if (!decision.ok) {
      throw new AppError(
        "rate_limited",
        "Too many connections from this address",
        { limit: "connect_ip" },
        decision.retryAfterMs,
      );
    }
    const body = request.body ?? {};
    const outcome = await this.dispatcher.hello(body, bearer(request.raw));
    if (!outcome.ok) return this.refuse(reply, outcome.error, outcome.close);
    const secret = randomBytes(32).toString("base64url");
    const carrier = new LongPollCarrier(
      hashSecret(secret),
      this.config,
      (reason) => session.close(reason),
      () => this.closed(session),
    );
    const session: LongPollSession = new Session(
      newId(),
      outcome.principal.userId,
      outcome.principal.sessionId,
      carrier,
      this.config.maxBufferedBytes,
      this.dispatcher.registry,
    );
    this.sessions.set(session.id, session);
    try {
      await this.dispatcher.admit(session, outcome.version, outcome.user, (welcome) => {
        reply.code(200).send({
          welcome,
          secret,
          pollTimeoutMs: this.config.longPollHoldMs,
          expiresAfterMs: this.config.longPollExpiryMs,
        });
      });
    } catch (error) {
      session.close("internal_error");
      throw error;
    }
    return reply;
  }

  private send(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const q = query(request, ["connection", "batch"]);
    const session = this.session(request, q["connection"]);
    if (!session) return this.unknown(reply);
    const batch = count(q["batch"], "batch", 1);
    if (typeof request.body !== "string") {
      throw new AppError("invalid_frame", `Send request frames as ${FRAME_BATCH_TYPE}, one JSON frame per line`);
    }
    if (session.closed) return this.notice(reply, session);
    if (batch !== undefined) {
      if (batch <= session.carrier.lastBatch) return reply.code(200).send({});
      session.carrier.lastBatch = batch;
    }
    for (const raw of request.body.split("\n")) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line.trim() === "") continue;
      if (Buffer.byteLength(line) > this.config.maxFrameBytes) {
        session.close("frame_too_large");
        return this.notice(reply, session);
      }
      this.dispatcher.frame(session, line);
    }
    return reply.code(200).send({});
  }

  private poll(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const q = query(request, ["connection", "ack"]);
    const session = this.session(request, q["connection"]);
    if (!session) return this.unknown(reply);
    session.carrier.poll(count(q["ack"], "ack", 0) ?? 0, reply);
    return reply;
  }

  private closeRequest(request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const q = query(request, ["connection"]);
    const session = this.session(request, q["connection"]);
    if (!session) return this.unknown(reply);
    session.close("normal");
    return reply.code(200).send({});
  }

  /** The session named and proven by the secret header; unknown and unproven are indistinguishable to the caller. */
  private session(request: FastifyRequest, id: string | undefined): LongPollSession | undefined {
    if (id === undefined || !ID_PATTERN.test(id)) {
      throw new AppError("validation_failed", '"connection" must be the connectionId of a long-poll session', {
        field: "connection",
      });
    }
    const session = this.sessions.get(id);
    const header = request.headers[POLL_SECRET_HEADER];
    return session?.carrier.authorize(typeof header === "string" ? header : undefined) ? session : undefined;
  }

  private closed(session: LongPollSession): void {
    this.tombstones.set(
      session.id,
      setTimeout(() => {
        this.tombstones.delete(session.id);
        this.sessions.delete(session.id);
      }, this.config.longPollExpiryMs).unref(),
    );
    this.log.debug({ conn: session.id, reason: session.closeReason }, "long-poll session closed");
    this.dispatcher.disconnected(CLOSE_CODES[session.closeReason ?? "normal"].code);
    void this.dispatcher.closed(session);
  }

  private notice(reply: FastifyReply, session: LongPollSession): FastifyReply {
    return json(reply, 200, `{"close":${session.carrier.notice()}}`);
  }

  private unknown(reply: FastifyReply): FastifyReply {
    return this.refuse(reply, errorBody("not_found", "Unknown long-poll session"), "unknown_session");
  }

  private refuse(reply: FastifyReply, error: ErrorBody, reason: CloseReason): FastifyReply {
    if (error.code === "unauthorized" || error.code === "token_expired")
      reply.header("www-authenticate", 'Bearer realm="parley"');
    return json(reply, ERRORS[error.code].status, `{"error":${JSON.stringify(error)},"close":${closeNotice(reason)}}`);
  }
}
