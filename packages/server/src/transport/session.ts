// The one session abstraction every live transport (WebSocket, long polling) implements for the registry and handlers.

import type { CloseReason } from "@parley/protocol";
import type { ConnectionHooks } from "../api/handlers.js";

/** Transports that carry a session: the names double as metric labels. */
export type SessionTransport = "ws" | "longpoll";

/**
 * One authenticated client connection, whatever carries it. The registry fans frames out to it, handlers use its
 * presence hooks, services know it only by `id`. A transport owns delivery (`send`) and teardown (`close`); the shared
 * dispatcher (dispatch.ts) owns everything between a decoded frame and its answer.
 */
export interface ClientSession extends ConnectionHooks {
  /** Connection id: `welcome.connectionId`, and the `exceptConnection` of events the session caused itself. */
  readonly id: string;
  readonly userId: string;
  /** The device session of the token that opened it. */
  readonly sessionId: string;
  readonly transport: SessionTransport;
  /** Users whose presence this session receives (maintained by the registry). */
  readonly watching: Set<string>;
  /** True once the session was told to close or its transport went away; frames sent afterwards are dropped. */
  readonly closed: boolean;
  /**
   * Queues one serialized server frame. Bounded: a client that does not take its frames fast enough is closed with
   * `slow_consumer` instead of growing server memory. `encoded`: the same frame as UTF-8 bytes, when the caller
   * already has them (shared by every recipient of a fan-out); a transport may use them instead of `frame`.
   */
  send(frame: string, encoded?: Buffer): void;
  /** Closes with a registry close reason; the transport reports the reason's code to the client. */
  close(reason: CloseReason): void;
}
