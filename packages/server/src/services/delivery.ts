// Fan-out of server events to users' devices over the bus; each event is serialized once for all recipients.

import type { EventMap, EventName, User } from "@parley/protocol";
import { type Broker, type BusMessage, topics } from "../ports/broker.js";

export function encodeEvent<K extends EventName>(event: K, data: EventMap[K]): string {
  return JSON.stringify({ type: "event", event, data });
}

export class Delivery {
  constructor(private readonly broker: Broker) {}

  /** Sends the event to every device of every user, except the connection that caused it. */
  toUsers<K extends EventName>(userIds: Iterable<string>, event: K, data: EventMap[K], exceptConnection?: string): Promise<void> {
    return this.framesToUsers(userIds, encodeEvent(event, data), exceptConnection);
  }

  /** `sentAt`: when the request that caused the event arrived (`preciseNow()`), for send→deliver latency. */
  framesToUsers(userIds: Iterable<string>, frame: string, exceptConnection?: string, sentAt?: number): Promise<void> {
    const list: string[] = [];
    for (const id of userIds) list.push(topics.user(id));
    if (list.length === 0) return Promise.resolve();
    const message: BusMessage = { type: "frame", frame };
    if (exceptConnection) message.exceptConnection = exceptConnection;
    if (sentAt !== undefined) message.sentAt = sentAt;
    return this.broker.publish(list, message);
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
