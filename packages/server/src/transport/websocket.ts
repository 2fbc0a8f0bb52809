// The WebSocket gateway: upgrade, hello (version + token), frame decoding, dispatch, heartbeats and close codes.

import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import {
  type CloseReason,
  ERRORS,
  type ErrorBody,
  isOpName,
  negotiateVersion,
  operations,
  SUBPROTOCOL_PREFIX,
  TOKEN_SUBPROTOCOL_PREFIX,
  type Welcome,
} from "@parley/protocol";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import { type RequestContext, userHandlers } from "../api/handlers.js";
import { validateArgs } from "../api/validation.js";
import type { Config } from "../config.js";
import { AppError, toErrorBody } from "../domain/app-error.js";
import { newId } from "../domain/ids.js";
import type { Logger } from "../logger.js";
import type { Broker } from "../ports/broker.js";
import type { Services } from "../services/index.js";
import { Connection, closeSocket } from "./connection.js";
import { ConnectionRegistry } from "./connection-registry.js";

export const WS_PATH = "/v1/ws";
const MAX_EARLY_FRAMES = 64;

type Handlers = ReturnType<typeof userHandlers>;
type AnyHandler = (ctx: RequestContext, args: unknown) => Promise<unknown>;

export class WebSocketGateway {
  readonly registry: ConnectionRegistry;
  private readonly wss: WebSocketServer;
  private readonly handlers: Handlers;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly pendingHello = new Set<WebSocket>();
  private readonly cleanedUp = new WeakSet<Connection>();

  constructor(
    private readonly config: Config,
    private readonly services: Services,
    broker: Broker,
    private readonly log: Logger,
  ) {
    this.handlers = userHandlers(services);
    this.registry = new ConnectionRegistry(broker, (message) => {
      if (message.type === "members-changed") services.members.invalidate(message.conversationId);
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      clientTracking: false,
      perMessageDeflate: config.wsCompression
        ? { threshold: 1024, serverNoContextTakeover: true, clientNoContextTakeover: true, concurrencyLimit: 4 }
        : false,
      handleProtocols: (offered) => {
        // Select the highest supported `parley.vN`; the token subprotocol is read, never echoed.
        const versions = [...offered].filter((p) => p.startsWith(SUBPROTOCOL_PREFIX)).map((p) => Number(p.slice(SUBPROTOCOL_PREFIX.length)));
        const version = negotiateVersion(versions.filter(Number.isInteger));
        return version === undefined ? false : `${SUBPROTOCOL_PREFIX}${version}`;
      },
    });
  }

  async attach(server: Server): Promise<void> {
    await this.registry.start();
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? "").split("?")[0];
      if (path !== WS_PATH) {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.opened(ws, req));
    });
    this.heartbeat = setInterval(() => this.beat(), this.config.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /** Closes every connection with `going_away` so clients reconnect (to another node, if any). */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const ws of this.pendingHello) closeSocket(ws, "going_away");
    for (const c of [...this.registry.all()]) c.close("going_away");
    this.wss.close();
  }

  private opened(ws: WebSocket, req: IncomingMessage): void {
    const tokenFromHeader = tokenSubprotocol(req.headers["sec-websocket-protocol"]);
    let connection: Connection | undefined;
    let helloSeen = false;
    /** Requests pipelined behind `hello` wait for its answer instead of being refused. */
    const early: { rid: string; op: string; args: unknown }[] = [];
    this.pendingHello.add(ws);
    const helloTimer = setTimeout(() => closeSocket(ws, "hello_timeout"), this.config.helloTimeoutMs);
    helloTimer.unref();

    ws.on("error", (error) => this.log.debug({ err: error }, "websocket error"));
    ws.on("pong", () => {
      if (connection) connection.alive = true;
    });
    ws.on("close", () => {
      clearTimeout(helloTimer);
      this.pendingHello.delete(ws);
      if (connection) void this.closed(connection);
    });
    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (isBinary) return closeSocket(ws, "binary_not_supported");
      if (connection) connection.alive = true;
      const frame = decode(data);
      if ("error" in frame) return sendError(ws, frame.rid, frame.error);
      if (!connection) {
        if (helloSeen && early.length < MAX_EARLY_FRAMES) {
          early.push(frame);
          return;
        }
        if (frame.op !== "hello" || helloSeen) {
          return closeWithError(ws, frame.rid, "protocol_violation", "unauthorized", "The first frame must be `hello`");
        }
        helloSeen = true;
        void this.hello(ws, frame.rid, frame.args, tokenFromHeader).then(
          (c) => {
            clearTimeout(helloTimer);
            this.pendingHello.delete(ws);
            connection = c;
            // The socket may have closed while hello was in flight: its close handler saw no connection yet.
            if (ws.readyState !== ws.OPEN) {
              void this.closed(c);
              return;
            }
            for (const f of early.splice(0)) void this.request(c, f.rid, f.op, f.args);
          },
          () => {},
        );
        return;
      }
      void this.request(connection, frame.rid, frame.op, frame.args);
    });
  }

  private async hello(ws: WebSocket, rid: string, rawArgs: unknown, tokenFromHeader: string | undefined): Promise<Connection> {
    let args: ReturnType<typeof validateArgs<"hello">>;
    try {
      args = validateArgs("hello", rawArgs);
    } catch (error) {
      closeWithError(ws, rid, "protocol_violation", "validation_failed", (error as Error).message);
      throw error;
    }
    const version = negotiateVersion(args.versions);
    if (version === undefined) {
      closeWithError(ws, rid, "unsupported_version", "validation_failed", "None of the offered protocol versions is supported", {
        field: "versions",
        supported: [1],
      });
      throw new Error("unsupported version");
    }
    let principal: Awaited<ReturnType<Services["auth"]["authenticate"]>>;
    try {
      principal = await this.services.auth.authenticate(args.token ?? tokenFromHeader);
    } catch (error) {
      const body = toErrorBody(error);
      const reason: CloseReason =
        body.code === "token_expired"
          ? "token_expired"
          : body.details?.["reason"] === "session_revoked"
            ? "session_revoked"
            : "unauthorized";
      closeWithError(ws, rid, reason, body.code, body.message);
      throw error;
    }
    const user = await this.services.accounts.me(principal.userId);
    const connection = new Connection(
      newId(),
      principal.userId,
      principal.sessionId,
      ws,
      this.config.maxBufferedBytes,
      this.registry,
    );
    if (ws.readyState !== ws.OPEN) throw new Error("closed during hello");
    await this.registry.add(connection);
    const welcome: Welcome = {
      version,
      user,
      sessionId: principal.sessionId,
      connectionId: connection.id,
      serverTime: Date.now(),
      limits: {
        maxMessageBytes: this.config.maxMessageBytes,
        maxFrameBytes: this.config.maxFrameBytes,
        maxBufferedBytes: this.config.maxBufferedBytes,
        maxGroupMembers: this.config.maxGroupMembers,
        historyPageMax: this.config.historyPageMax,
        syncPageMax: this.config.syncPageMax,
        heartbeatIntervalMs: this.config.heartbeatIntervalMs,
        typingTimeoutMs: this.config.typingTimeoutMs,
        presenceGraceMs: this.config.presenceGraceMs,
      },
    };
    connection.send(JSON.stringify({ type: "result", rid, result: welcome }));
    await this.services.presence
      .connected(principal.userId, connection.id)
      .catch((err: unknown) => this.log.warn({ err }, "presence"));
    return connection;
  }

  private async request(connection: Connection, rid: string, op: string, rawArgs: unknown): Promise<void> {
    try {
      if (op === "hello") throw new AppError("already_authenticated", "This connection is already authenticated");
      if (!isOpName(op) || !operations[op].transports.includes("ws")) {
        throw new AppError("unknown_op", `Unknown operation "${op}" on WebSocket`, { field: "op" });
      }
      const args = validateArgs(op, rawArgs);
      const ctx: RequestContext = { userId: connection.userId, sessionId: connection.sessionId, transport: "ws", connection };
      const result = await (this.handlers[op as keyof Handlers] as AnyHandler)(ctx, args);
      connection.send(`{"type":"result","rid":${JSON.stringify(rid)},"result":${JSON.stringify(result)}}`);
    } catch (error) {
      if (!(error instanceof AppError)) this.log.error({ err: error, op }, "request failed");
      connection.send(JSON.stringify({ type: "error", rid, error: toErrorBody(error) }));
    }
  }

  private async closed(connection: Connection): Promise<void> {
    if (this.cleanedUp.has(connection)) return;
    this.cleanedUp.add(connection);
    connection.closed = true;
    try {
      await this.registry.remove(connection);
      await this.services.typing.connectionClosed(connection.id);
      await this.services.presence.disconnected(connection.userId, connection.id);
    } catch (err) {
      this.log.warn({ err }, "cleanup after close failed");
    }
  }

  private beat(): void {
    for (const c of this.registry.all()) {
      if (!c.alive) {
        c.close("heartbeat_timeout");
        continue;
      }
      c.alive = false;
      try {
        c.socket.ping();
      } catch {
        // the close event cleans up
      }
    }
  }
}

type Decoded = { rid: string; op: string; args: unknown } | { rid: string | null; error: ErrorBody };

function decode(data: RawData): Decoded {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === "string" ? data : data.toString());
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

function errorBody(code: keyof typeof ERRORS, message: string, field?: string): ErrorBody {
  return { code, message, retryable: ERRORS[code].retryable, ...(field ? { details: { field } } : {}) };
}

function sendError(ws: WebSocket, rid: string | null, error: ErrorBody): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: "error", rid, error }));
}

function closeWithError(
  ws: WebSocket,
  rid: string | null,
  reason: CloseReason,
  code: keyof typeof ERRORS,
  message: string,
  details?: ErrorBody["details"],
): void {
  sendError(ws, rid, { code, message, retryable: ERRORS[code].retryable, ...(details ? { details } : {}) });
  closeSocket(ws, reason);
}

function tokenSubprotocol(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(",")) {
    const p = part.trim();
    if (p.startsWith(TOKEN_SUBPROTOCOL_PREFIX)) return p.slice(TOKEN_SUBPROTOCOL_PREFIX.length);
  }
  return undefined;
}
