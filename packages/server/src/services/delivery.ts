// Fan-out of server events to users' devices over the bus; each event is serialized once for all recipients.

import type { EventMap, EventName, User } from "@parley/protocol";
import { type Broker, type BusMessage, topics } from "../ports/broker.js";

/** What a frame carries besides itself: the connection that caused it, and its timing and trace fields (broker.ts). */
export type FrameMeta = Omit<Extract<BusMessage, { type: "frame" }>, "type" | "frame">;

export function encodeEvent<K extends EventName>(event: K, data: EventMap[K]): string {
  return JSON.stringify({ type: "event", event, data });
}

/**
 * The audience size from which a frame goes out once on the users topic instead of once per user topic. Per user
 * topic, a frame for R users costs R publishes and reaches only the nodes that serve them; on the users topic it costs
 * one publish that every node receives. Measured at 500 members over 3 nodes in docs/scaling.md.
 */
export const USERS_TOPIC_FROM = 16;

export class Delivery {
  constructor(private readonly broker: Broker) {}

  /** Sends the event to every device of every user, except the connection that caused it. */
  toUsers<K extends EventName>(userIds: Iterable<string>, event: K, data: EventMap[K], exceptConnection?: string): Promise<void> {
    return this.framesToUsers(userIds, encodeEvent(event, data), exceptConnection === undefined ? {} : { exceptConnection });
  }

  /**
   * Sends one serialized frame to every device of every user; `meta` travels with it (its fields are all optional).
   * A few users: one publish per user topic, which reaches only the nodes serving them. From USERS_TOPIC_FROM users:
   * one publish on the users topic naming them, which every node receives once.
   */
  framesToUsers(userIds: Iterable<string>, frame: string, meta: FrameMeta): Promise<void> {
    const ids = [...userIds];
    if (ids.length === 0) return Promise.resolve();
    if (ids.length >= USERS_TOPIC_FROM)
      return this.broker.publish([topics.users], { type: "frame", frame, ...meta, userIds: ids });
    return this.broker.publish(
      ids.map((id) => topics.user(id)),
      { type: "frame", frame, ...meta },
    );
  }

  /**
   * Sends one serialized frame to the local sessions of a channel's members on every node (one publish on the
   * channel's topic, whatever its member count); `meta.joinedFrom`/`joinedBelow` narrow it to one audience.
   */
  framesToConversation(conversationId: string, frame: string, meta: FrameMeta): Promise<void> {
    return this.broker.publish([topics.conversation(conversationId)], { type: "frame", frame, ...meta });
  }

  /** Every node starts or stops handing a channel's topic to these users' sessions. */
  channelMembersChanged(
    conversationId: string,
    joined: { userId: string; joinedSeq: number }[],
    departed: string[],
  ): Promise<void> {
    if (joined.length === 0 && departed.length === 0) return Promise.resolve();
    return this.broker.publish([topics.system], { type: "channel-members", conversationId, joined, departed });
  }

  /** Sends a presence event to the connections watching `userId`. */
  toPresenceWatchers(userId: string, frame: string): Promise<void> {
    return this.broker.publish([topics.presence(userId)], { type: "frame", frame });
  }

  /** A changed profile reaches the user's own devices and whoever follows the user's presence (they show the user). */
  userUpdated(user: User): Promise<void> {
    return this.broker.publish([topics.user(user.id), topics.presence(user.id)], {
      type: "frame",
      frame: encodeEvent("user.updated", user),
    });
  }

  membersChanged(conversationId: string): Promise<void> {
    return this.broker.publish([topics.system], { type: "members-changed", conversationId });
  }

  /** Every node drops what it cached about whether `ownerId` blocks `userId`. */
  blocksChanged(ownerId: string, userId: string): Promise<void> {
    return this.broker.publish([topics.system], { type: "blocks-changed", ownerId, userId });
  }

  /** Every node re-checks the presence watches among `userIds` (their visibility to each other may have ended). */
  presenceNarrowed(userIds: readonly string[]): Promise<void> {
    if (userIds.length < 2) return Promise.resolve();
    return this.broker.publish([topics.system], { type: "presence-narrowed", userIds: [...userIds] });
  }

  sessionRevoked(sessionId: string): Promise<void> {
    return this.broker.publish([topics.system], { type: "session-revoked", sessionId });
  }

  /** Every node closes the user's connections (close 4103). */
  userDeactivated(userId: string): Promise<void> {
    return this.broker.publish([topics.system], { type: "user-deactivated", userId });
  }
}
