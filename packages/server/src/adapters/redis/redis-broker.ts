// Redis pub/sub bus for cluster mode: topics are channels under the deployment prefix, one publisher and one
// subscriber connection per node (publishes auto-pipelined), local handlers served in-process, subscriptions restored
// after a reconnect.

import { randomBytes } from "node:crypto";
import type { Redis } from "ioredis";
import type { BestEffort } from "../../observability/best-effort.js";
import type { Broker, BusHandler, BusMessage } from "../../ports/broker.js";
import { BackendUnavailableError, isBackendUnavailable } from "../../ports/errors.js";
import { closeRedis, keyspace, openRedis, type RedisConnectOptions } from "./redis-connection.js";

/** SUBSCRIBE arguments per command when restoring subscriptions (a node may hold tens of thousands of topics). */
const RESUBSCRIBE_CHUNK = 1000;
const ORIGIN_LENGTH = 8;

/**
 * Wire format, one string per message: a type letter, the publishing broker's 8-character origin tag, then the body.
 * `F<origin><exceptConnection>[ <sentAt> <storedAt> <conversationId> <seq> <traceparent>[ <joinedFrom> <joinedBelow>]]\n<frame>`
 * (the timing and trace fields are present together or not at all, each may be empty; the channel audience bounds
 * follow them when either is set) · `M<origin><conversationId>` · `S<origin><sessionId>` ·
 * `C<origin><conversationId> <userId>:<joinedSeq>,…  <userId>,…` (channel members joined, then departed) ·
 * `P<origin><userId>,<userId>,…` · `B<origin><ownerId>,<userId>` (ids never contain a comma) · `D<origin><userId>` (a user
 * deactivated) · `U<origin><userId>,<userId>,…\n<as F after its origin>` (a frame for the users it names, on the users
 * topic).
 * The frame is already JSON and is carried verbatim (no second JSON layer, no escaping).
 */
export function encodeBusMessage(message: BusMessage, origin: string): string {
  switch (message.type) {
    case "frame": {
      const body = `${message.exceptConnection ?? ""}${frameMeta(message)}\n${message.frame}`;
      return message.userIds === undefined ? `F${origin}${body}` : `U${origin}${message.userIds.join(",")}\n${body}`;
    }
    case "members-changed":
      return `M${origin}${message.conversationId}`;
    case "session-revoked":
      return `S${origin}${message.sessionId}`;
    case "presence-narrowed":
      return `P${origin}${message.userIds.join(",")}`;
    case "blocks-changed":
      return `B${origin}${message.ownerId},${message.userId}`;
    case "user-deactivated":
      return `D${origin}${message.userId}`;
    case "channel-members":
      return `C${origin}${message.conversationId} ${message.joined.map((j) => `${j.userId}:${j.joinedSeq}`).join(",")} ${message.departed.join(",")}`;
  }
}

/** The message and its origin tag, or undefined for a payload this version does not understand. */
export function decodeBusMessage(payload: string): { origin: string; message: BusMessage } | undefined {
  const origin = payload.slice(1, 1 + ORIGIN_LENGTH);
  const body = payload.slice(1 + ORIGIN_LENGTH);
  switch (payload[0]) {
    case "F": {
      const nl = body.indexOf("\n");
      if (nl < 0) return undefined;
      return { origin, message: decodeFrame(body.slice(0, nl), body.slice(nl + 1)) };
    }
    case "U": {
      const users = body.indexOf("\n");
      const nl = users < 0 ? -1 : body.indexOf("\n", users + 1);
      if (nl < 0) return undefined;
      const message = decodeFrame(body.slice(users + 1, nl), body.slice(nl + 1));
      message.userIds = users === 0 ? [] : body.slice(0, users).split(",");
      return { origin, message };
    }
    case "M":
      return { origin, message: { type: "members-changed", conversationId: body } };
    case "S":
      return { origin, message: { type: "session-revoked", sessionId: body } };
    case "P":
      return { origin, message: { type: "presence-narrowed", userIds: body === "" ? [] : body.split(",") } };
    case "B": {
      const [ownerId, userId, ...rest] = body.split(",");
      if (!ownerId || !userId || rest.length > 0) return undefined;
      return { origin, message: { type: "blocks-changed", ownerId, userId } };
    }
    case "D":
      return { origin, message: { type: "user-deactivated", userId: body } };
    case "C": {
      const [conversationId, joined, departed, ...rest] = body.split(" ");
      if (!conversationId || joined === undefined || departed === undefined || rest.length > 0) return undefined;
      const list = (s: string) => (s === "" ? [] : s.split(","));
      return {
        origin,
        message: {
          type: "channel-members",
          conversationId,
          joined: list(joined).map((j) => {
            const at = j.lastIndexOf(":");
            return { userId: j.slice(0, at), joinedSeq: Number(j.slice(at + 1)) };
          }),
          departed: list(departed),
        },
      };
    }
    default:
      return undefined;
  }
}

type FrameMessage = Extract<BusMessage, { type: "frame" }>;

/** The optional timing and trace fields of a frame, space-separated after its `exceptConnection` (ids have no space). */
function frameMeta(m: FrameMessage): string {
  const audience =
    m.joinedFrom !== undefined || m.joinedBelow !== undefined ? ` ${m.joinedFrom ?? ""} ${m.joinedBelow ?? ""}` : "";
  if (
    m.sentAt === undefined &&
    m.storedAt === undefined &&
    m.seq === undefined &&
    m.traceparent === undefined &&
    audience === ""
  ) {
    return "";
  }
  return ` ${m.sentAt ?? ""} ${m.storedAt ?? ""} ${m.conversationId ?? ""} ${m.seq ?? ""} ${m.traceparent ?? ""}${audience}`;
}

function decodeFrame(header: string, frame: string): FrameMessage {
  const [exceptConnection, sentAt, storedAt, conversationId, seq, traceparent, joinedFrom, joinedBelow] = header.split(" ");
  const message: FrameMessage = { type: "frame", frame };
  if (exceptConnection) message.exceptConnection = exceptConnection;
  if (sentAt) message.sentAt = Number(sentAt);
  if (storedAt) message.storedAt = Number(storedAt);
  if (conversationId) message.conversationId = conversationId;
  if (seq) message.seq = Number(seq);
  if (traceparent) message.traceparent = traceparent;
  if (joinedFrom) message.joinedFrom = Number(joinedFrom);
  if (joinedBelow) message.joinedBelow = Number(joinedBelow);
  return message;
}

export class RedisBroker implements Broker {
  private readonly handlers = new Map<string, BusHandler>();
  private readonly reconnectListeners: (() => void)[] = [];
  /** Tags this broker's publishes so that their echo from Redis is skipped (local handlers already ran). */
  private readonly origin = randomBytes(6).toString("base64url");
  private readonly channelPrefix: string;
  private closed = false;

  private constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    prefix: string,
    private readonly failures: BestEffort,
  ) {
    this.channelPrefix = `${keyspace(prefix)}bus:`;
    sub.on("message", (channel: string, payload: string) => this.received(channel, payload));
    // Attached after the first `ready`, so every call here follows a lost connection.
    sub.on("ready", () => void this.resubscribe());
  }

  static async connect(url: string, options: RedisConnectOptions & { failures: BestEffort }): Promise<RedisBroker> {
    const [pub, sub] = await Promise.allSettled([
      openRedis(url, "bus publisher", options),
      // Subscriptions are restored by `resubscribe`, which also tells the node that it missed messages.
      openRedis(url, "bus subscriber", options, { autoResubscribe: false }),
    ]);
    if (pub.status === "fulfilled" && sub.status === "fulfilled")
      return new RedisBroker(pub.value, sub.value, options.prefix, options.failures);
    for (const r of [pub, sub]) if (r.status === "fulfilled") await closeRedis(r.value);
    throw pub.status === "rejected" ? pub.reason : (sub as PromiseRejectedResult).reason;
  }

  async publish(topics: readonly string[], message: BusMessage): Promise<void> {
    // Local subscribers are served in-process, in publish order, without a round trip through Redis.
    for (const topic of topics) {
      const handler = this.handlers.get(topic);
      if (handler) this.safely(handler, message);
    }
    if (this.closed || topics.length === 0) return;
    const payload = encodeBusMessage(message, this.origin);
    try {
      // Issued together in this tick, the PUBLISHes leave in one write (auto-pipelining) and in call order, also
      // relative to the node's other publishes, which an explicit pipeline would not guarantee.
      if (topics.length === 1) await this.pub.publish(this.channelPrefix + topics[0], payload);
      else await Promise.all(topics.map((t) => this.pub.publish(this.channelPrefix + t, payload)));
    } catch (error) {
      throw unavailable(error);
    }
  }

  async subscribe(topic: string, handler: BusHandler): Promise<void> {
    if (this.handlers.has(topic)) return;
    this.handlers.set(topic, handler);
    // While disconnected the handler is kept and the channel is subscribed again on reconnect.
    if (this.sub.status !== "ready") return;
    try {
      await this.sub.subscribe(this.channelPrefix + topic);
    } catch (error) {
      // A broken connection reconnects and resubscribes every kept handler; anything else is refused.
      if (isBackendUnavailable(error)) return;
      if (this.handlers.get(topic) === handler) this.handlers.delete(topic);
      throw error;
    }
  }

  async unsubscribe(topic: string): Promise<void> {
    if (!this.handlers.delete(topic) || this.sub.status !== "ready") return;
    // A failure leaves a stale channel at worst: its messages find no handler and are dropped.
    await this.failures.attempt("bus.unsubscribe", this.sub.unsubscribe(this.channelPrefix + topic));
  }

  onReconnect(listener: () => void): void {
    this.reconnectListeners.push(listener);
  }

  async ping(): Promise<void> {
    if (this.sub.status !== "ready") throw new BackendUnavailableError("bus", `subscriber connection is ${this.sub.status}`);
    try {
      await this.pub.ping();
    } catch (error) {
      throw unavailable(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.handlers.clear();
    await Promise.all([closeRedis(this.pub), closeRedis(this.sub)]);
  }

  private received(channel: string, payload: string): void {
    if (!channel.startsWith(this.channelPrefix)) return;
    const handler = this.handlers.get(channel.slice(this.channelPrefix.length));
    // This node's own publishes come back from Redis: their local handlers already ran, so they are not even decoded.
    if (!handler || payload.startsWith(this.origin, 1)) return;
    const decoded = decodeBusMessage(payload);
    if (!decoded) return;
    this.safely(handler, decoded.message);
  }

  private async resubscribe(): Promise<void> {
    if (this.closed) return;
    const channels = [...this.handlers.keys()].map((t) => this.channelPrefix + t);
    try {
      for (let i = 0; i < channels.length; i += RESUBSCRIBE_CHUNK) {
        await this.sub.subscribe(...channels.slice(i, i + RESUBSCRIBE_CHUNK));
      }
    } catch (error) {
      // Dropped again: the next `ready` starts over.
      this.failures.failed("bus.resubscribe", error);
      return;
    }
    for (const listener of this.reconnectListeners) this.safely(listener, undefined);
  }

  /** A failing handler must not stop delivery to the others or kill the subscriber connection. */
  private safely<T>(fn: (arg: T) => void, arg: T): void {
    try {
      fn(arg);
    } catch (error) {
      this.failures.failed("bus.handler", error);
    }
  }
}

/** Connection failures become BackendUnavailableError; anything else stays what it is. */
function unavailable(error: unknown): unknown {
  return isBackendUnavailable(error) ? new BackendUnavailableError("bus", (error as Error).message, { cause: error }) : error;
}
