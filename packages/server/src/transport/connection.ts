// One authenticated WebSocket: the ClientSession of the WebSocket transport, with bounded sending (slow consumers are cut off).

import { CLOSE_CODES, type CloseReason } from "@parley/protocol";
import type { WebSocket } from "ws";
import type { ClientSession } from "./session.js";

/** After a close frame, a peer that does not finish the closing handshake within this time is dropped. */
const CLOSE_GRACE_MS = 2000;

export class Connection implements ClientSession {
  readonly transport = "ws";
  /** Cleared by each heartbeat round, set again by any pong or frame from the client. */
  alive = true;
  closed = false;
  /** Users whose presence this connection receives. */
  readonly watching = new Set<string>();

  constructor(
    readonly id: string,
    readonly userId: string,
    readonly sessionId: string,
    readonly socket: WebSocket,
    private readonly maxBufferedBytes: number,
    private readonly registry: {
      watch(c: ClientSession, ids: readonly string[]): void;
      unwatch(c: ClientSession, ids: readonly string[]): void;
    },
  ) {}

  /**
   * Queues a serialized frame; closes the connection instead when the client is not reading fast enough. The check
   * is on what is already queued, so one large answer (a sync page) is never refused by itself: the buffer is bounded
   * by the limit plus one frame.
   */
  send(frame: string): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.close("slow_consumer");
      return;
    }
    this.socket.send(frame);
  }

  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    closeSocket(this.socket, reason);
  }

  watchPresence(userIds: readonly string[]): void {
    this.registry.watch(this, userIds);
  }

  unwatchPresence(userIds: readonly string[]): void {
    this.registry.unwatch(this, userIds);
  }
}

export function closeSocket(socket: WebSocket, reason: CloseReason): void {
  try {
    socket.close(CLOSE_CODES[reason].code, reason);
  } catch {
    socket.terminate();
    return;
  }
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}
