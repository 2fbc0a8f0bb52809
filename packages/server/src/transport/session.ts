// The one client session of every live transport: identity, presence watching, the bounded outbox, the slow-consumer
// rule and the close reason, over a thin carrier (WebSocket or long polling) that only moves frame bytes.

import type { CloseReason } from "@parley/protocol";
import type { ConnectionHooks } from "../api/handlers.js";

/** Transports that carry a session: the names double as metric labels. */
export type SessionTransport = "ws" | "longpoll";

/**
 * What a live transport does for a session, and nothing more: write frames, say how many bytes it still holds for the
 * client, close. Everything a client could see differ between transports (limits, accounting, ordering) is in Session.
 */
export interface Carrier {
  readonly kind: SessionTransport;
  /** UTF-8 bytes written to the carrier that the client has not taken yet (socket buffer, unacknowledged polls). */
  readonly bufferedBytes: number;
  /** The frames of one event-loop turn, in order, each the UTF-8 bytes of one JSON frame. */
  write(frames: readonly Buffer[]): void;
  /** Tells the client why and ends the carrier; called once, after the frames queued before it were written. */
  close(reason: CloseReason): void;
}

/** What the session needs of the registry to keep `watching` and the registry's index in step. */
export interface PresenceIndex {
  watch(session: Session, ids: readonly string[]): void;
  unwatch(session: Session, ids: readonly string[]): void;
}

/**
 * Sessions with frames queued in this event-loop turn. Frames are handed to the carrier once per turn, so everything a
 * session gets in one turn (a send's ack, events of the same group commit, receipts) leaves together: one corked
 * socket write, one poll answer.
 */
const dirty: Session[] = [];
let flushScheduled = false;

function flushAll(): void {
  flushScheduled = false;
  for (const s of dirty.splice(0)) s.flush();
}

/**
 * One authenticated client connection, whatever carries it. The registry fans frames out to it, handlers use its
 * presence hooks, services know it only by `id`; the shared dispatcher (dispatch.ts) owns everything between a
 * decoded frame and its answer.
 */
export class Session<C extends Carrier = Carrier> implements ConnectionHooks {
  /** Users whose presence this session receives (maintained by the registry). */
  readonly watching = new Set<string>();
  /** The channels whose topic this session receives, with where its user's window starts (maintained by the registry). */
  readonly channels = new Map<string, number>();
  /** True once the session was told to close or its carrier went away; frames sent afterwards are dropped. */
  closed = false;
  /** Why the server closed it (undefined when the carrier went away by itself). */
  closeReason: CloseReason | undefined;
  /** Frames queued in this turn, and their size in UTF-8 bytes. */
  private outbox: Buffer[] | undefined;
  private outboxBytes = 0;

  constructor(
    /** Connection id: `welcome.connectionId`, and the `exceptConnection` of events the session caused itself. */
    readonly id: string,
    readonly userId: string,
    /** The device session of the token that opened it. */
    readonly sessionId: string,
    readonly carrier: C,
    private readonly maxBufferedBytes: number,
    private readonly presence: PresenceIndex,
  ) {}

  get transport(): SessionTransport {
    return this.carrier.kind;
  }

  /**
   * Queues one serialized server frame; closes the session with `slow_consumer` instead when what the client has not
   * taken yet (in the carrier and in this turn's outbox, in UTF-8 bytes on every transport) exceeds the limit. The
   * check is on what is already queued, so one large answer (a sync page) is never refused by itself: memory is
   * bounded by the limit plus one frame. `encoded`: the same frame as UTF-8 bytes, when the caller already has them
   * (shared by every recipient of a fan-out).
   */
  send(frame: string, encoded?: Buffer): void {
    if (this.closed) return;
    if (this.carrier.bufferedBytes + this.outboxBytes > this.maxBufferedBytes) {
      this.close("slow_consumer");
      return;
    }
    const bytes = encoded ?? Buffer.from(frame);
    this.outboxBytes += bytes.length;
    if (this.outbox) {
      this.outbox.push(bytes);
      return;
    }
    this.outbox = [bytes];
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(flushAll);
    }
  }

  /** Hands the frames queued in this turn to the carrier. */
  flush(): void {
    const frames = this.outbox;
    if (!frames) return;
    this.outbox = undefined;
    this.outboxBytes = 0;
    this.carrier.write(frames);
  }

  /** Closes with a registry close reason; the carrier reports the reason's code to the client. Idempotent. */
  close(reason: CloseReason): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    // Frames queued before the close (an error answer, the last events) still go out ahead of the close notice.
    this.flush();
    this.carrier.close(reason);
  }

  /** The carrier went away by itself (the peer closed the socket): nothing more is sent. */
  ended(): void {
    this.closed = true;
    this.outbox = undefined;
    this.outboxBytes = 0;
  }

  watchPresence(userIds: readonly string[]): void {
    this.presence.watch(this, userIds);
  }

  unwatchPresence(userIds: readonly string[]): void {
    this.presence.unwatch(this, userIds);
  }
}
