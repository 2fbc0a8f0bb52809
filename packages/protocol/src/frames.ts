// The wire envelope: the one frame a client sends and the three a server sends, over every transport.

import type { ErrorBody } from "./errors.js";
import type { Message, MlsWelcome, Presence, ReceiptState, User } from "./model.js";
import type { OpArgs, OpName, OpResult } from "./operations.js";

/** Client → server: a request. `rid` is chosen by the client and echoed in the answer. */
export interface RequestFrame<K extends OpName = OpName> {
  rid: string;
  op: K;
  args: OpArgs<K>;
}

/** Server → client: the successful answer to the request with the same `rid`. */
export interface ResultFrame<K extends OpName = OpName> {
  type: "result";
  rid: string;
  result: OpResult<K>;
}

/** Server → client: the failed answer to a request; `rid` is null when the request could not be read. */
export interface ErrorFrame {
  type: "error";
  rid: string | null;
  error: ErrorBody;
}

export interface EventMap {
  /** A new entry in a conversation the recipient belongs to (text, system or action). */
  message: Message;
  /** Watermarks that moved, coalesced per conversation. */
  receipts: { conversationId: string; receipts: ReceiptState[] };
  /** A member started or stopped typing; `typing: true` expires by itself after `expiresInMs`. */
  typing: { conversationId: string; userId: string; typing: boolean; expiresInMs: number };
  /** A user the recipient subscribed to went online or offline. */
  presence: Presence;
  /**
   * A user's profile changed (display name, profile picture): sent to the user's own devices and to the sessions that
   * subscribed to the user's presence (§6.4). Replaces what the client knew of that user.
   */
  "user.updated": User;
  /** The recipient deleted this message for themself on another device ("delete for me"). */
  "message.hidden": { conversationId: string; seq: number };
  /**
   * A Welcome for one of the recipient's devices (`deviceId`) was stored (§6.15): that device joins the encrypted
   * conversation from it and acknowledges it with `e2ee.welcomes.ack`. Sent to every device of the user.
   */
  "e2ee.welcome": MlsWelcome;
  /**
   * A registered MLS device's session ended (logout, revocation, password change, deactivation; §6.15): it left the
   * directory. Sent to its user and to every current member of an encrypted conversation its user is in; their
   * devices remove its leaf from the groups they share with it.
   */
  "e2ee.device.removed": { userId: string; deviceId: string };
  /** Retention deleted the conversation's entries with seq ≤ `expiredThrough` (§6.14): drop them. */
  "messages.expired": { conversationId: string; expiredThrough: number };
  /**
   * Events for this connection may have been lost (cluster: the node's event bus was interrupted): catch up with
   * `sync` from the client's cursors and subscribe to presence again. The connection itself stays open.
   */
  resync: { reason: "events_lost" };
}

export type EventName = keyof EventMap;

/** Server → client: a server-initiated event. */
export type EventFrame = { [K in EventName]: { type: "event"; event: K; data: EventMap[K] } }[EventName];

export type ServerFrame = ResultFrame | ErrorFrame | EventFrame;
