// Test support: a scripted in-memory Parley server behind FakeWebSocket, enough for client-level unit tests.

import type { Limits, Member, Message, MessageAck, User, Welcome } from "@parley/protocol";
import { type FakeWebSocket, fakeWebSocketFactory, type SentFrame } from "./fake-websocket.js";

export const TEST_LIMITS: Limits = {
  maxMessageBytes: 4096,
  maxFrameBytes: 65536,
  maxBufferedBytes: 1 << 20,
  maxGroupMembers: 100,
  maxChannelMembers: 100_000,
  historyPageMax: 100,
  syncPageMax: 500,
  heartbeatIntervalMs: 30_000,
  typingTimeoutMs: 6000,
  presenceGraceMs: 1000,
  maxUploadBytes: 1 << 20,
  maxAttachments: 10,
  maxConversationsPerUser: 1000,
  maxGroupsPerDay: 100,
  conversationPageMax: 200,
};

export type Handler = (frame: SentFrame, socket: FakeWebSocket) => unknown;

/**
 * One user's view of a server: conversations with message logs, answering hello, conversations.list, sync,
 * messages.history, messages.send (idempotent by clientId) and receipts.mark. `hold` keeps answers back so that
 * tests can reorder or drop them.
 */
export class FakeServer {
  readonly user: User = { id: "me", username: "me", displayName: "Me", createdAt: 0 };
  readonly logs = new Map<string, Message[]>();
  readonly members = new Map<string, Member[]>();
  readonly byClientId = new Map<string, MessageAck>();
  readonly handlers = new Map<string, Handler>();
  readonly factory = fakeWebSocketFactory((socket) => this.#attach(socket));
  /** When true, sockets open by themselves; otherwise the test calls `socket.open()`. */
  autoOpen = true;
  /** Ops whose frames are recorded but not answered. */
  readonly hold = new Set<string>();

  get sockets(): FakeWebSocket[] {
    return this.factory.sockets;
  }

  get socket(): FakeWebSocket {
    const s = this.factory.sockets[this.factory.sockets.length - 1];
    if (!s) throw new Error("no socket yet");
    return s;
  }

  conversation(id: string, memberIds: string[] = ["me", "bob"]): void {
    this.logs.set(id, []);
    this.members.set(
      id,
      memberIds.map((userId) => ({ userId, role: "member", joinedSeq: 1, deliveredSeq: 0, readSeq: 0 })),
    );
  }

  /** Appends an entry from `senderId` and returns it (not delivered anywhere). */
  append(conversationId: string, senderId: string, body: string, clientId: string | null = null): Message {
    const log = this.logs.get(conversationId);
    if (!log) throw new Error(`unknown conversation ${conversationId}`);
    const message: Message = {
      id: `m-${conversationId}-${log.length + 1}`,
      conversationId,
      seq: log.length + 1,
      senderId,
      clientId,
      kind: "text",
      body,
      event: null,
      createdAt: 1_700_000_000_000 + log.length,
      attachments: [],
    };
    log.push(message);
    return message;
  }

  /** Pushes a `message` event to the current socket. */
  deliver(message: Message): void {
    this.socket.receive({ type: "event", event: "message", data: message });
  }

  welcome(): Welcome {
    return { version: 1, user: this.user, sessionId: "s1", connectionId: "c1", serverTime: 1, limits: TEST_LIMITS };
  }

  #attach(socket: FakeWebSocket): void {
    socket.onSend = (frame) => {
      if (this.hold.has(frame.op)) return;
      const custom = this.handlers.get(frame.op);
      const result = custom ? custom(frame, socket) : this.#answer(frame);
      if (result !== undefined) queueMicrotask(() => socket.readyState === 1 && socket.reply(frame.rid, result));
    };
    if (this.autoOpen) queueMicrotask(() => socket.open());
  }

  #answer(frame: SentFrame): unknown {
    const args = frame.args;
    switch (frame.op) {
      case "hello":
        return this.welcome();
      case "ping":
        return { serverTime: 1 };
      case "conversations.list":
        return {
          conversations: [...this.logs.keys()].map((id) => ({
            id,
            kind: "direct",
            title: null,
            createdAt: 0,
            lastSeq: this.logs.get(id)!.length,
            members: this.members.get(id)!,
            lastMessage: null,
            unread: 0,
            mentions: 0,
            membership: "member",
          })),
          next: null,
        };
      case "sync": {
        const cursors = args.cursors as Record<string, number>;
        const conversations = [];
        for (const [id, log] of this.logs) {
          const cursor = cursors[id] ?? 0;
          if (cursor >= log.length && id in cursors) continue;
          conversations.push({
            conversationId: id,
            membership: "member",
            lastSeq: log.length,
            messages: log.filter((m) => m.seq > cursor),
            members: this.members.get(id)!,
          });
        }
        return { conversations, hasMore: false, next: null, serverTime: 2 };
      }
      case "messages.history": {
        const log = this.logs.get(args.conversationId as string) ?? [];
        const after = (args.after as number | undefined) ?? 0;
        const before = (args.before as number | undefined) ?? Number.POSITIVE_INFINITY;
        const limit = (args.limit as number | undefined) ?? 50;
        const all = log.filter((m) => m.seq > after && m.seq < before);
        const messages = args.after !== undefined ? all.slice(0, limit) : all.slice(-limit);
        return { messages, hasMore: all.length > limit };
      }
      case "messages.send": {
        const clientId = args.clientId as string;
        const known = this.byClientId.get(clientId);
        if (known) return { ...known, duplicate: true };
        const m = this.append(args.conversationId as string, this.user.id, args.body as string, clientId);
        const ack = {
          id: m.id,
          conversationId: m.conversationId,
          seq: m.seq,
          clientId,
          createdAt: m.createdAt,
          duplicate: false,
        };
        this.byClientId.set(clientId, ack);
        return ack;
      }
      case "receipts.mark":
        return {
          userId: this.user.id,
          deliveredSeq: (args.delivered as number) ?? (args.read as number),
          readSeq: (args.read as number) ?? 0,
        };
      case "typing":
      case "presence.unsubscribe":
        return {};
      case "presence.subscribe":
      case "presence.query":
        return { presence: [] };
      default:
        return undefined;
    }
  }
}
