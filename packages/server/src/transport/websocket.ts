// The WebSocket gateway: upgrade, hello pipelining, heartbeats and close codes; frames go to the shared dispatcher.

import type { IncomingMessage, Server } from "node:http";
import type { Server as HttpsServer } from "node:https";
import type { Duplex } from "node:stream";
import {
  type CloseReason,
  ERRORS,
  type ErrorBody,
  negotiateVersion,
  SUBPROTOCOL_PREFIX,
  TOKEN_SUBPROTOCOL_PREFIX,
} from "@parley/protocol";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import type { Config } from "../config/index.js";
import { newId } from "../domain/ids.js";
import type { Logger } from "../logger.js";
import { type AddressSlots, slotsRefusal } from "./address-slots.js";
import { closeCodeOf, closeSocket, WebSocketCarrier } from "./connection.js";
import type { ConnectionRegistry } from "./connection-registry.js";
import { decodeFrame, errorFrame, type SessionDispatcher } from "./dispatch.js";
import { addressKey, clientAddress, upgradeOriginAllowed } from "./security.js";
import { Session } from "./session.js";

type WsSession = Session<WebSocketCarrier>;

export const WS_PATH = "/v1/ws";
const MAX_EARLY_FRAMES = 64;

export class WebSocketGateway {
  readonly registry: ConnectionRegistry;
  private readonly wss: WebSocketServer;
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly pendingHello = new Set<WebSocket>();
  /** This gateway's admitted sessions: the heartbeat and shutdown walk them. */
  private readonly sessions = new Set<WsSession>();

  constructor(
    private readonly config: Config,
    private readonly dispatcher: SessionDispatcher,
    private readonly log: Logger,
  ) {
    this.registry = dispatcher.registry;
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: config.maxFrameBytes,
      clientTracking: false,
      perMessageDeflate: config.wsCompression
        ? { threshold: 1024, serverNoContextTakeover: true, clientNoContextTakeover: true, concurrencyLimit: 4 }
        : false,
      handleProtocols: (offered) => {
        // Select the highest supported `parley.vN`; the token subprotocol is read, never echoed.
        const versions = [...offered]
          .filter((p) => p.startsWith(SUBPROTOCOL_PREFIX))
          .map((p) => Number(p.slice(SUBPROTOCOL_PREFIX.length)));
        const version = negotiateVersion(versions.filter(Number.isInteger));
        return version === undefined ? false : `${SUBPROTOCOL_PREFIX}${version}`;
      },
    });
  }

  /** Serves upgrades on `server`; the dispatcher must have been started (its registry subscribed to the bus). */
  async attach(server: Server | HttpsServer, slots: AddressSlots): Promise<void> {
    server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? "").split("?")[0];
      if (path !== WS_PATH) {
        socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      const ip = clientAddress(req, this.config.trustProxy);
      // Browsers let any page open a WebSocket anywhere: only this server's own pages and allowed origins may.
      if (!upgradeOriginAllowed(req, this.config)) {
        this.log.info({ origin: req.headers.origin, ip }, "websocket refused: origin not allowed");
        socket.end("HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
        return;
      }
      // The socket holds a slot of its address from the upgrade request until it closes, however it ends.
      const release = slots.take(addressKey(ip));
      if (!release) {
        this.log.info({ ip, limit: "connections" }, "websocket refused: too many connections from this address");
        const refusal = slotsRefusal(this.config.maxConnectionsPerAddress);
        socket.end(
          `HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${Math.ceil((refusal.retryAfterMs ?? 1000) / 1000)}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
        );
        return;
      }
      socket.once("close", release);
      const proceed = (decision: { ok: boolean; retryAfterMs: number }) => {
        if (decision.ok) return this.wss.handleUpgrade(req, socket, head, (ws) => this.opened(ws, req, ip));
        this.log.info({ ip, limit: "connect_ip" }, "websocket refused: rate limited");
        const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
        socket.end(`HTTP/1.1 429 Too Many Requests\r\nRetry-After: ${seconds}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      };
      const decision = this.dispatcher.connect(addressKey(ip));
      if (decision instanceof Promise) decision.then(proceed, () => socket.destroy());
      else proceed(decision);
    });
    this.heartbeat = setInterval(() => this.beat(), this.config.heartbeatIntervalMs);
    this.heartbeat.unref();
  }

  /** Closes every connection with `going_away` so clients reconnect (to another node, if any). */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const ws of this.pendingHello) closeSocket(ws, "going_away");
    for (const s of [...this.sessions]) s.close("going_away");
    this.wss.close();
  }

  private opened(ws: WebSocket, req: IncomingMessage, ip: string): void {
    const tokenFromHeader = tokenSubprotocol(req.headers["sec-websocket-protocol"]);
    const id = newId();
    const openedAt = Date.now();
    // Every line about this socket carries its id; never frames or arguments (they hold message bodies and tokens).
    const log = this.log.child({ conn: id });
    log.debug({ ip }, "websocket opened");
    let connection: WsSession | undefined;
    let helloSeen = false;
    /** Requests pipelined behind `hello` wait for its answer instead of being refused. */
    const early: { rid: string; op: string; args: unknown }[] = [];
    this.pendingHello.add(ws);
    const helloTimer = setTimeout(() => closeSocket(ws, "hello_timeout"), this.config.helloTimeoutMs);
    helloTimer.unref();

    ws.on("error", (error) => log.debug({ err: error }, "websocket error"));
    ws.on("pong", () => {
      if (connection) connection.carrier.alive = true;
    });
    ws.on("close", (reported: number) => {
      const code = closeCodeOf(ws, reported);
      clearTimeout(helloTimer);
      this.pendingHello.delete(ws);
      this.dispatcher.disconnected(code);
      log.debug({ code, ms: Date.now() - openedAt }, "websocket closed");
      if (connection) this.closed(connection);
    });
    ws.on("message", (data: RawData, isBinary: boolean) => {
      if (!connection) this.dispatcher.countIn("ws");
      if (isBinary) return closeSocket(ws, "binary_not_supported");
      const text = typeof data === "string" ? data : data.toString();
      if (connection) {
        connection.carrier.alive = true;
        this.dispatcher.frame(connection, text);
        return;
      }
      const frame = decodeFrame(text);
      if ("error" in frame) return sendError(ws, frame.rid, frame.error);
      if (helloSeen) {
        // Only frames that arrive while the hello's checks are in flight get here: in practice those in the same TCP
        // read as the hello, or all of them while a cluster node waits for the database (§4.4).
        if (early.length < MAX_EARLY_FRAMES) {
          early.push(frame);
          return;
        }
        const message = `At most ${MAX_EARLY_FRAMES} requests may wait for the welcome`;
        return closeWithError(ws, frame.rid, "protocol_violation", "unauthorized", message, { limit: MAX_EARLY_FRAMES });
      }
      if (frame.op !== "hello") {
        return closeWithError(ws, frame.rid, "protocol_violation", "unauthorized", "The first frame must be `hello`");
      }
      helloSeen = true;
      void this.hello(ws, id, frame.rid, frame.args, tokenFromHeader).then(
        (c) => {
          // Refused (already answered and closed) or closed while in flight: nothing more to do.
          if (c === undefined) return;
          log.debug({ userId: c.userId }, "websocket authenticated");
          clearTimeout(helloTimer);
          this.pendingHello.delete(ws);
          connection = c;
          // The socket may have closed while hello was in flight: its close handler saw no connection yet.
          if (ws.readyState !== ws.OPEN) {
            this.closed(c);
            return;
          }
          for (const f of early.splice(0)) void this.dispatcher.request(c, f.rid, f.op, f.args);
        },
        // Admitting failed (the bus refused the user's subscription): the hello timeout closes the socket.
        (err: unknown) => log.error({ err }, "hello failed"),
      );
    });
  }

  private async hello(
    ws: WebSocket,
    id: string,
    rid: string,
    rawArgs: unknown,
    tokenFromHeader: string | undefined,
  ): Promise<WsSession | undefined> {
    const outcome = await this.dispatcher.hello(rawArgs, tokenFromHeader);
    if (!outcome.ok) {
      sendError(ws, rid, outcome.error);
      closeSocket(ws, outcome.close);
      return undefined;
    }
    const { principal } = outcome;
    const connection = new Session(
      id,
      principal.userId,
      principal.sessionId,
      new WebSocketCarrier(ws),
      this.config.maxBufferedBytes,
      this.registry,
    );
    if (ws.readyState !== ws.OPEN) return undefined;
    await this.dispatcher.admit(connection, outcome.version, outcome.user, (welcome) =>
      connection.send(JSON.stringify({ type: "result", rid, result: welcome })),
    );
    this.sessions.add(connection);
    return connection;
  }

  private closed(connection: WsSession): void {
    connection.ended();
    this.sessions.delete(connection);
    void this.dispatcher.closed(connection);
  }

  private beat(): void {
    for (const s of this.sessions) {
      const c = s.carrier;
      if (!c.alive) {
        s.close("heartbeat_timeout");
        continue;
      }
      c.alive = false;
      // ws throws on ping only before the socket opens, which one handed over by the upgrade never is; a closing one is
      // not pinged: its close event cleans it up.
      if (c.socket.readyState === c.socket.OPEN) c.socket.ping();
    }
  }
}

function sendError(ws: WebSocket, rid: string | null, error: ErrorBody): void {
  if (ws.readyState === ws.OPEN) ws.send(errorFrame(rid, error));
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
