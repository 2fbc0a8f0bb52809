// Sending (idempotent, group-committed, fanned out), history pages and the cursor-based sync of missed entries.

import type { Message, MessageAck, SyncConversation, SyncResult } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { newId } from "../domain/ids.js";
import type { Metrics } from "../observability/metrics.js";
import type { AppendOutcome, ConversationStore, MessageStore } from "../ports/store.js";
import { toMember } from "./conversation-service.js";
import { type Delivery, encodeEvent } from "./delivery.js";
import type { MediaService } from "./media-service.js";
import type { MemberCache } from "./member-cache.js";
import { SendBatcher } from "./send-batcher.js";

export interface MessageLimits {
  maxMessageBytes: number;
  historyPageMax: number;
  syncPageMax: number;
}

/** Receipt changes older than this before `receiptsSince` are still reported: clocks of nodes drift a little. */
const RECEIPT_CLOCK_SLACK_MS = 5000;

export class MessageService {
  private readonly batcher: SendBatcher;
  /**
   * Where each in-flight draft came from: the connection, so fan-out skips it (it gets the ack instead), and when the
   * request arrived (`preciseNow()`), carried with the event so recipients' nodes can measure send→deliver latency.
   */
  private readonly origin = new Map<string, { connectionId: string | undefined; receivedAt: number | undefined }>();

  constructor(
    private readonly store: ConversationStore & MessageStore,
    private readonly members: MemberCache,
    private readonly delivery: Delivery,
    private readonly limits: MessageLimits,
    private readonly metrics?: Metrics,
    private readonly media?: Pick<MediaService, "attachmentsFor">,
  ) {
    this.batcher = new SendBatcher(store, (outcomes) => this.fanOut(outcomes));
  }

  async send(
    userId: string,
    input: { conversationId: string; clientId: string; body: string; attachments?: string[] },
    connectionId?: string,
    receivedAt?: number,
  ): Promise<MessageAck> {
    if (Buffer.byteLength(input.body, "utf8") > this.limits.maxMessageBytes) {
      throw new AppError("too_large", `The message body exceeds ${this.limits.maxMessageBytes} bytes`, {
        field: "body",
        limit: this.limits.maxMessageBytes,
      });
    }
    const attachmentIds = input.attachments ?? [];
    if (input.body.trim() === "" && attachmentIds.length === 0)
      throw new AppError("validation_failed", "The message body must not be blank", { field: "body" });
    const attachments = attachmentIds.length > 0 && this.media ? await this.media.attachmentsFor(userId, attachmentIds) : [];
    const id = newId();
    if (connectionId || receivedAt) this.origin.set(id, { connectionId, receivedAt });
    let outcome: AppendOutcome;
    try {
      outcome = await this.batcher.append({
        id,
        conversationId: input.conversationId,
        senderId: userId,
        clientId: input.clientId,
        body: input.body,
        createdAt: Date.now(),
        ...(attachments.length > 0 ? { attachments } : {}),
      });
    } finally {
      this.origin.delete(id);
    }
    if (!outcome.ok) {
      throw new AppError(
        outcome.code,
        outcome.code === "not_found" ? "Conversation not found" : "You are not a member of this conversation",
      );
    }
    const m = outcome.message;
    if (outcome.duplicate && m.conversationId !== input.conversationId) {
      throw new AppError("conflict", "This clientId was already used for a message in another conversation", {
        field: "clientId",
      });
    }
    return {
      id: m.id,
      conversationId: m.conversationId,
      seq: m.seq,
      clientId: m.clientId!,
      createdAt: m.createdAt,
      duplicate: outcome.duplicate,
    };
  }

  async history(
    userId: string,
    input: { conversationId: string; before?: number; after?: number; limit?: number },
  ): Promise<{ messages: Message[]; hasMore: boolean }> {
    const { minSeq, maxSeq } = await this.window(userId, input.conversationId);
    const limit = Math.min(input.limit ?? 50, this.limits.historyPageMax);
    const direction = input.after !== undefined && input.before === undefined ? "asc" : "desc";
    const query = { conversationId: input.conversationId, minSeq, maxSeq, limit: limit + 1, direction } as const;
    const rows = await this.store.getHistory({
      ...query,
      ...(input.after !== undefined ? { afterSeq: input.after } : {}),
      ...(input.before !== undefined ? { beforeSeq: input.before } : {}),
    });
    const hasMore = rows.length > limit;
    const messages = hasMore ? (direction === "asc" ? rows.slice(0, limit) : rows.slice(rows.length - limit)) : rows;
    return { messages, hasMore };
  }

  /**
   * Everything the caller missed: per conversation, the entries after its cursor (from joinedSeq when the conversation
   * is not in `cursors`), in seq order, cut at `limit` entries in total; and the members' watermarks where they changed.
   */
  async sync(
    userId: string,
    input: { cursors: Record<string, number>; receiptsSince?: number; limit?: number },
  ): Promise<SyncResult> {
    const serverTime = Date.now();
    let budget = Math.min(input.limit ?? this.limits.syncPageMax, this.limits.syncPageMax);
    const since = input.receiptsSince === undefined ? undefined : input.receiptsSince - RECEIPT_CLOCK_SLACK_MS;
    const result: SyncConversation[] = [];
    let hasMore = false;
    for (const { membership, conversation } of await this.store.listMemberships(userId)) {
      const maxSeq = membership.leftSeq ?? conversation.lastSeq;
      const known = Object.hasOwn(input.cursors, conversation.id);
      const cursor = Math.max(known ? input.cursors[conversation.id]! : 0, membership.joinedSeq - 1);
      const missing = cursor < maxSeq;
      let members = await this.store.getMembers(conversation.id);
      const receiptsMoved = since === undefined ? missing || !known : members.some((m) => m.receiptAt > since);
      if (!missing && known && !receiptsMoved) continue;
      let messages: Message[] = [];
      if (missing && budget > 0) {
        messages = await this.store.getHistory({
          conversationId: conversation.id,
          afterSeq: cursor,
          minSeq: membership.joinedSeq,
          maxSeq,
          limit: budget,
          direction: "asc",
        });
        budget -= messages.length;
      }
      if (cursor + messages.length < maxSeq) hasMore = true;
      // A former member learns nothing about the group after leaving: not who is in it now, nor their receipts.
      if (membership.leftSeq !== null) members = [];
      result.push({
        conversationId: conversation.id,
        membership: membership.leftSeq === null ? "member" : "left",
        lastSeq: maxSeq,
        messages,
        members: members.map(toMember),
      });
    }
    if (this.metrics) {
      this.metrics.syncConversations.observe(result.length);
      this.metrics.syncMessages.observe(result.reduce((n, c) => n + c.messages.length, 0));
    }
    return { conversations: result, hasMore, serverTime };
  }

  /** Waits until every accepted send is stored and fanned out (used by graceful shutdown). */
  drain(): Promise<void> {
    return this.batcher.drain();
  }

  private async window(userId: string, conversationId: string): Promise<{ minSeq: number; maxSeq: number }> {
    const membership = await this.store.getMembership(conversationId, userId);
    if (!membership) {
      throw new AppError("not_found", "Conversation not found");
    }
    const maxSeq = membership.leftSeq ?? (await this.store.getConversation(conversationId))?.lastSeq ?? 0;
    return { minSeq: membership.joinedSeq, maxSeq };
  }

  private async fanOut(outcomes: readonly AppendOutcome[]): Promise<void> {
    const fresh = outcomes.filter((o): o is Extract<AppendOutcome, { ok: true }> => o.ok && !o.duplicate);
    if (fresh.length === 0) return;
    this.metrics?.messagesStored.inc(fresh.length);
    // Resolve member lists first so that publishing below happens in seq order without interleaved awaits.
    const lists = new Map<string, readonly string[]>();
    for (const o of fresh) {
      const id = o.message.conversationId;
      if (!lists.has(id)) lists.set(id, await this.members.get(id));
    }
    const published: Promise<void>[] = [];
    for (const o of fresh) {
      const frame = encodeEvent("message", o.message);
      const from = this.origin.get(o.message.id);
      published.push(
        this.delivery.framesToUsers(lists.get(o.message.conversationId)!, frame, from?.connectionId, from?.receivedAt),
      );
    }
    await Promise.all(published);
  }
}
