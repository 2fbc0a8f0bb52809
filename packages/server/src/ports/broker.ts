// The bus port: topic-based fan-out between the nodes of a deployment (immediacy, not durability).

/**
 * What travels on the bus. `frame` carries an already-serialized server frame so that a message is encoded once
 * however many devices receive it.
 */
export type BusMessage =
  /** Deliver a serialized frame to every local device of the topic's user, except `exceptConnection`. */
  | {
      type: "frame";
      frame: string;
      exceptConnection?: string;
      /** When the request behind the event arrived (ms since the epoch, sub-ms precision); feeds a latency metric only. */
      sentAt?: number;
      /** When the entry behind the event was committed (same clock); feeds the stored→delivered stage metric only. */
      storedAt?: number;
      /** The committed entry a `message` event carries, for the delivery stages (delivered→read, receipt spans). */
      conversationId?: string;
      seq?: number;
      /** W3C `traceparent` of the publishing span, when the message is traced (observability/tracing.ts). */
      traceparent?: string;
      /**
       * On a channel topic (`conv:<id>`): only for the sessions whose membership window starts at or after `joinedFrom`
       * and before `joinedBelow` (each bound absent: open), so that one publish per audience serves every member.
       */
      joinedFrom?: number;
      joinedBelow?: number;
      /**
       * On the users topic (`users`, which every node follows): the users whose local devices get the frame. One
       * publish serves a large audience, instead of one per user topic (services/delivery.ts, USERS_TOPIC_FROM).
       */
      userIds?: readonly string[];
    }
  /**
   * A channel's members changed: nodes start (`joined`, with where each one's window starts) or stop (`departed`)
   * handing the channel's topic to those users' local sessions.
   */
  | { type: "channel-members"; conversationId: string; joined: { userId: string; joinedSeq: number }[]; departed: string[] }
  /** A conversation's member list changed: drop cached copies. */
  | { type: "members-changed"; conversationId: string }
  /** `ownerId` blocked or unblocked `userId`: drop cached block decisions for the pair. */
  | { type: "blocks-changed"; ownerId: string; userId: string }
  /**
   * Presence visibility between some of these users may have ended (a removal or leave, a contact removed): re-check
   * the presence watches among them and end those no longer allowed.
   */
  | { type: "presence-narrowed"; userIds: string[] }
  /** A device session was revoked: close its connections. */
  | { type: "session-revoked"; sessionId: string }
  /** An administrator deactivated the user (every session is revoked already): close all of their connections. */
  | { type: "user-deactivated"; userId: string };

export type BusHandler = (message: BusMessage) => void;

/**
 * Topic names. Users' devices listen on `user:<id>`, presence watchers on `presence:<id>`, every node on `system`, and a
 * node on `conv:<id>` while it holds a session of a member of channel `<id>` (channels are fanned out by topic).
 */
export const topics = {
  user: (userId: string) => `user:${userId}`,
  conversation: (conversationId: string) => `conv:${conversationId}`,
  presence: (userId: string) => `presence:${userId}`,
  /** Frames for many users at once, each naming its users (`userIds`): every node follows it. */
  users: "users",
  system: "system",
} as const;

export interface Broker {
  /** Publishes to each topic; resolves when the bus accepted them (not when they were delivered). */
  publish(topics: readonly string[], message: BusMessage): Promise<void>;
  /** Registers the node's single handler for a topic (a second subscribe to the same topic is a no-op). */
  subscribe(topic: string, handler: BusHandler): Promise<void>;
  unsubscribe(topic: string): Promise<void>;
  /**
   * Registers a callback for when the node's subscriptions were lost and are back (the bus connection dropped and
   * reconnected): whatever was published meanwhile never reached this node, so caches must be dropped and clients
   * told to sync. In-process adapters never call it.
   */
  onReconnect(listener: () => void): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}
