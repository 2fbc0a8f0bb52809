// The WebSocket carrier of a session (session.ts): corked frame writes, heartbeat liveness, close codes and their grace.

import { CLOSE_CODES, type CloseReason } from "@parley/protocol";
import type { WebSocket } from "ws";
import type { Carrier } from "./session.js";

/** After a close frame, a peer that does not finish the closing handshake within this time is dropped. */
const CLOSE_GRACE_MS = 2000;

/** The WebSocket carrier of a session: frames written corked, heartbeat liveness, close codes. */
export class WebSocketCarrier implements Carrier {
  readonly kind = "ws";
  /** Cleared by each heartbeat round, set again by any pong or frame from the client. */
  alive = true;

  constructor(readonly socket: WebSocket) {}

  /** What ws has not handed to the kernel yet, in bytes (ws encodes text frames as UTF-8). */
  get bufferedBytes(): number {
    return this.socket.bufferedAmount;
  }

  /** Writes one turn's frames, corked into one socket write; each frame is still its own WebSocket message. */
  write(frames: readonly Buffer[]): void {
    const ws = this.socket;
    if (ws.readyState !== ws.OPEN) return;
    if (frames.length === 1) {
      ws.send(frames[0]!, TEXT);
      return;
    }
    // ws writes each frame as header + payload; corking the TCP socket turns the whole batch into one writev.
    const tcp = (ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    tcp?.cork();
    for (const f of frames) ws.send(f, TEXT);
    tcp?.uncork();
  }

  close(reason: CloseReason): void {
    closeSocket(this.socket, reason);
  }
}

/** Buffers are sent as text frames too: they hold a JSON frame's UTF-8 bytes. */
const TEXT = { binary: false } as const;

/**
 * The close code of each socket the server decided to close. A peer that stops reading never answers the close frame,
 * so `ws` reports 1006 when the grace runs out; metrics and logs must show why the server closed it (4000, 4001, …).
 */
const decided = new WeakMap<WebSocket, number>();

/** What a closed socket is counted and logged as: the server's own code when it closed it, else what the peer's close reported. */
export function closeCodeOf(socket: WebSocket, reported: number): number {
  return decided.get(socket) ?? reported;
}

export function closeSocket(socket: WebSocket, reason: CloseReason): void {
  // The first decision is the reason: a later one (shutdown while a close is under way) changes nothing on the wire.
  if (!decided.has(socket) && socket.readyState === socket.OPEN) decided.set(socket, CLOSE_CODES[reason].code);
  try {
    socket.close(CLOSE_CODES[reason].code, reason);
  } catch {
    socket.terminate();
    return;
  }
  setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
}
