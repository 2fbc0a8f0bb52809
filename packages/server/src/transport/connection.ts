// One authenticated WebSocket: the ClientSession of the WebSocket transport, with bounded sending (slow consumers are cut off).

import { CLOSE_CODES, type CloseReason } from "@parley/protocol";
import type { WebSocket } from "ws";
import type { ClientSession } from "./session.js";

/** After a close frame, a peer that does not finish the closing handshake within this time is dropped. */
const CLOSE_GRACE_MS = 2000;

/**
 * Connections with frames queued in this event-loop turn. Frames are written once per turn, corked, so that
 * everything a connection gets in one turn (a send's ack, events of the same group commit, receipts) leaves in one
 * `writev` instead of one syscall per frame. Each frame is still its own WebSocket message.
 */
const dirty: Connection[] = [];
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  // Connections marked during the flush (none write synchronously from here, but be safe) wait for the next turn.
  const list = dirty.splice(0);
  for (const c of list) c.flush();
}

export class Connection implements ClientSession {
  readonly transport = "ws";
  /** Cleared by each heartbeat round, set again by any pong or frame from the client. */
  alive = true;
  closed = false;
  /** Users whose presence this connection receives. */
  readonly watching = new Set<string>();
  /** Frames queued in this turn (strings, or one Buffer shared by every recipient of a fan-out), and their size. */
  private outbox: (string | Buffer)[] | undefined;
  private outboxBytes = 0;

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
   * is on what is already queued (in the socket and in this turn's outbox, strings counted by length), so one large
   * answer (a sync page) is never refused by itself: the buffer is bounded by the limit plus one frame.
   * `encoded`: the frame's UTF-8 bytes when the caller shares them between many recipients (fan-out).
   */
  send(frame: string, encoded?: Buffer): void {
    if (this.closed) return;
    if (this.socket.bufferedAmount + this.outboxBytes > this.maxBufferedBytes) {
      this.close("slow_consumer");
      return;
    }
    const data = encoded ?? frame;
    this.outboxBytes += encoded ? encoded.length : frame.length;
    if (this.outbox) {
      this.outbox.push(data);
      return;
    }
    this.outbox = [data];
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  }

  /** Writes the frames queued in this turn, corked into one socket write. */
  flush(): void {
    const frames = this.outbox;
    if (!frames) return;
    this.outbox = undefined;
    this.outboxBytes = 0;
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
    if (this.closed) return;
    this.closed = true;
    // Frames queued before the close (an error answer, the last events) still go out ahead of the close frame.
    this.flush();
    closeSocket(this.socket, reason);
  }

  watchPresence(userIds: readonly string[]): void {
    this.registry.watch(this, userIds);
  }

  unwatchPresence(userIds: readonly string[]): void {
    this.registry.unwatch(this, userIds);
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
