// The node's local client sessions (every transport) by user, device session and watched presence, subscribed to the
// bus topics that feed them.

import type { BestEffort } from "../observability/best-effort.js";
import { type Broker, type BusMessage, topics } from "../ports/broker.js";
import type { Session } from "./session.js";

export class ConnectionRegistry {
  private readonly byUser = new Map<string, Set<Session>>();
  private readonly bySession = new Map<string, Set<Session>>();
  private readonly watchers = new Map<string, Set<Session>>();
  private readonly encodings = new WeakMap<object, Buffer>();

  constructor(
    private readonly broker: Broker,
    private readonly failures: BestEffort,
    private readonly onSystem: (message: BusMessage) => void,
    /** Told of every frame handed to a session (metrics: frames out, send→deliver latency). */
    private readonly onDelivered?: (session: Session, message: Extract<BusMessage, { type: "frame" }>) => void,
  ) {}

  async start(): Promise<void> {
    await this.broker.subscribe(topics.system, (message) => {
      if (message.type === "session-revoked") {
        for (const c of this.bySession.get(message.sessionId) ?? []) c.close("session_revoked");
      } else if (message.type === "user-deactivated") {
        for (const c of this.byUser.get(message.userId) ?? []) c.close("account_deactivated");
      }
      this.onSystem(message);
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
  }

  async remove(connection: Session): Promise<void> {
    removeFrom(this.bySession, connection.sessionId, connection);
    this.unwatch(connection, [...connection.watching]);
    if (removeFrom(this.byUser, connection.userId, connection)) await this.broker.unsubscribe(topics.user(connection.userId));
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
