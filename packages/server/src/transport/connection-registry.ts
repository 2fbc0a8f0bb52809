// The node's local client sessions (every transport) by user, device session and watched presence, subscribed to the
// bus topics that feed them.

import type { BestEffort } from "../observability/best-effort.js";
import { type Broker, type BusMessage, topics } from "../ports/broker.js";
import type { Session } from "./session.js";

/** A user's current channel memberships, read when a session is admitted (one indexed read). */
export type ChannelsOf = (userId: string) => Promise<readonly { conversationId: string; joinedSeq: number }[]>;

export class ConnectionRegistry {
  private readonly byUser = new Map<string, Set<Session>>();
  /** Sessions by channel: the node subscribes a channel's topic while it holds a session of one of its members. */
  private readonly byConversation = new Map<string, Set<Session>>();
  private readonly bySession = new Map<string, Set<Session>>();
  private readonly watchers = new Map<string, Set<Session>>();
  private readonly encodings = new WeakMap<object, Buffer>();

  constructor(
    private readonly broker: Broker,
    private readonly failures: BestEffort,
    private readonly onSystem: (message: BusMessage) => void,
    /** Told of every frame handed to a session (metrics: frames out, send→deliver latency). */
    private readonly onDelivered?: (session: Session, message: Extract<BusMessage, { type: "frame" }>) => void,
    /** Absent: no channels are followed (tests of the registry alone). */
    private readonly channelsOf?: ChannelsOf,
  ) {}

  async start(): Promise<void> {
    await this.broker.subscribe(topics.system, (message) => {
      if (message.type === "session-revoked") {
        for (const c of this.bySession.get(message.sessionId) ?? []) c.close("session_revoked");
      } else if (message.type === "user-deactivated") {
        for (const c of this.byUser.get(message.userId) ?? []) c.close("account_deactivated");
      } else if (message.type === "channel-members") {
        this.channelMembersChanged(message);
      }
      this.onSystem(message);
    });
    await this.broker.subscribe(topics.users, (message) => {
      if (message.type !== "frame") return;
      for (const userId of message.userIds ?? []) this.deliver(this.byUser.get(userId), message);
    });
  }

  /** Open connections, not counting those already told to close. */
  get size(): number {
    let n = 0;
    for (const set of this.byUser.values()) for (const c of set) if (!c.closed) n++;
    return n;
  }

  *all(): Iterable<Session> {
    for (const set of this.byUser.values()) yield* set;
  }

  async add(connection: Session): Promise<void> {
    addTo(this.bySession, connection.sessionId, connection);
    if (addTo(this.byUser, connection.userId, connection)) {
      const userId = connection.userId;
      await this.broker.subscribe(topics.user(userId), (message) => this.deliver(this.byUser.get(userId), message));
    }
    // The session follows its user's channels from here on: it learns them now and then follows its own membership
    // changes (`channel-members` on the system topic). A change between the read and the subscription is repaired by
    // sync, like any event the bus lost.
    if (this.channelsOf) {
      const channels = await this.channelsOf(connection.userId);
      await Promise.all(channels.map((c) => this.follow(connection, c.conversationId, c.joinedSeq)));
    }
  }

  async remove(connection: Session): Promise<void> {
    removeFrom(this.bySession, connection.sessionId, connection);
    this.unwatch(connection, [...connection.watching]);
    for (const conversationId of [...connection.channels.keys()]) this.unfollow(connection, conversationId);
    if (removeFrom(this.byUser, connection.userId, connection)) await this.broker.unsubscribe(topics.user(connection.userId));
  }

  /** The channels this node follows (their topics are subscribed), for tests and metrics. */
  get channelTopics(): number {
    return this.byConversation.size;
  }

  private follow(connection: Session, conversationId: string, joinedSeq: number): Promise<void> {
    if (connection.closed) return Promise.resolve();
    connection.channels.set(conversationId, joinedSeq);
    if (!addTo(this.byConversation, conversationId, connection)) return Promise.resolve();
    return this.broker.subscribe(topics.conversation(conversationId), (message) =>
      this.deliverToChannel(conversationId, message),
    );
  }

  private unfollow(connection: Session, conversationId: string): void {
    if (!connection.channels.delete(conversationId)) return;
    if (removeFrom(this.byConversation, conversationId, connection)) {
      this.failures.detach("channel.unfollow", this.broker.unsubscribe(topics.conversation(conversationId)));
    }
  }

  private channelMembersChanged(message: Extract<BusMessage, { type: "channel-members" }>): void {
    for (const userId of message.departed) {
      for (const c of this.byUser.get(userId) ?? []) this.unfollow(c, message.conversationId);
    }
    for (const { userId, joinedSeq } of message.joined) {
      for (const c of this.byUser.get(userId) ?? []) {
        this.failures.detach("channel.follow", this.follow(c, message.conversationId, joinedSeq));
      }
    }
  }

  /** A frame on a channel's topic: to each local member session in the frame's audience (by where its window starts). */
  private deliverToChannel(conversationId: string, message: BusMessage): void {
    const targets = this.byConversation.get(conversationId);
    if (!targets || message.type !== "frame") return;
    const from = message.joinedFrom ?? Number.NEGATIVE_INFINITY;
    const below = message.joinedBelow ?? Number.POSITIVE_INFINITY;
    for (const c of targets) {
      if (c.id === message.exceptConnection) continue;
      const joinedSeq = c.channels.get(conversationId);
      if (joinedSeq === undefined || joinedSeq < from || joinedSeq >= below) continue;
      c.send(message.frame, this.encoded(message));
      this.onDelivered?.(c, message);
    }
  }

  watch(connection: Session, userIds: readonly string[]): void {
    for (const id of userIds) {
      if (connection.watching.has(id)) continue;
      connection.watching.add(id);
      if (addTo(this.watchers, id, connection)) {
        this.failures.detach(
          "presence.watch",
          this.broker.subscribe(topics.presence(id), (message) => this.deliver(this.watchers.get(id), message)),
        );
      }
    }
  }

  unwatch(connection: Session, userIds: readonly string[]): void {
    for (const id of userIds) {
      if (!connection.watching.delete(id)) continue;
      if (removeFrom(this.watchers, id, connection))
        this.failures.detach("presence.unwatch", this.broker.unsubscribe(topics.presence(id)));
    }
  }

  /**
   * The presence watches among `userIds`: per watching user with a local session, the users of the set they watch and
   * the sessions watching them.
   */
  watchesAmong(userIds: readonly string[]): Map<string, { targets: Set<string>; sessions: Session[] }> {
    const among = new Set(userIds);
    const found = new Map<string, { targets: Set<string>; sessions: Session[] }>();
    for (const viewerId of among) {
      for (const c of this.byUser.get(viewerId) ?? []) {
        const targets = [...c.watching].filter((id) => among.has(id));
        if (targets.length === 0) continue;
        let entry = found.get(viewerId);
        if (entry === undefined) {
          entry = { targets: new Set(), sessions: [] };
          found.set(viewerId, entry);
        }
        for (const t of targets) entry.targets.add(t);
        entry.sessions.push(c);
      }
    }
    return found;
  }

  private deliver(targets: Set<Session> | undefined, message: BusMessage): void {
    if (!targets || message.type !== "frame") return;
    for (const c of targets) {
      if (c.id === message.exceptConnection) continue;
      c.send(message.frame, this.encoded(message));
      this.onDelivered?.(c, message);
    }
  }

  /**
   * The frame's UTF-8 bytes, encoded once per bus message and shared by every local recipient (a fan-out to 500
   * members encodes once, not 500 times). The bus hands the same message object to every topic it was published to.
   */
  private encoded(message: Extract<BusMessage, { type: "frame" }>): Buffer {
    let bytes = this.encodings.get(message);
    if (!bytes) {
      bytes = Buffer.from(message.frame);
      this.encodings.set(message, bytes);
    }
    return bytes;
  }
}

/** Adds; true when the key's set was created (first member). */
function addTo(map: Map<string, Set<Session>>, key: string, c: Session): boolean {
  const set = map.get(key);
  if (set) {
    set.add(c);
    return false;
  }
  map.set(key, new Set([c]));
  return true;
}

/** Removes; true when the key's set became empty and was dropped. */
function removeFrom(map: Map<string, Set<Session>>, key: string, c: Session): boolean {
  const set = map.get(key);
  if (!set?.delete(c) || set.size > 0) return false;
  map.delete(key);
  return true;
}
