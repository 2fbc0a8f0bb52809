// The stages of a message after its commit, seen from the node its recipients are connected to: written to each
// connection (stored→delivered, and the trace's deliver span), then acknowledged by that connection's receipts
// (delivered→read, and the trace's receipt span). One record per connection and conversation, dropped when the
// connection ends: memory is bounded by the conversations each connection has unacknowledged messages in.

import { type Metrics, preciseNow } from "../observability/metrics.js";
import { endSpan, SPAN, type SpanContext, SpanKind, type Tracing } from "../observability/tracing.js";
import type { BusMessage } from "../ports/broker.js";

type Frame = Extract<BusMessage, { type: "frame" }>;

/** Traced deliveries kept per connection and conversation until acknowledged (older ones are dropped first). */
const TRACED_PER_CONVERSATION = 16;

interface Pending {
  /** When the connection was written its first message that it has not yet reported read. */
  firstUnreadAt?: number;
  firstUnreadSeq?: number;
  /** Deliver spans of traced messages not yet acknowledged as delivered, by seq. */
  traced?: Map<number, SpanContext>;
}

export class DeliveryStages {
  private readonly connections = new Map<string, Map<string, Pending>>();

  constructor(
    private readonly metrics: Pick<Metrics, "sendDeliverSeconds" | "stage">,
    private readonly tracing: Tracing,
  ) {}

  /** `frame` was written to connection `connectionId` of `userId`. */
  delivered(connectionId: string, userId: string, frame: Frame): void {
    const now = preciseNow();
    if (frame.sentAt !== undefined) this.metrics.sendDeliverSeconds.observe((now - frame.sentAt) / 1000);
    if (frame.storedAt !== undefined) this.metrics.stage.storedDelivered.observe((now - frame.storedAt) / 1000);
    const { conversationId, seq } = frame;
    if (conversationId === undefined || seq === undefined) return;
    const parent = this.tracing.parse(frame.traceparent);
    const span = this.tracing.child(SPAN.deliver, parent, {
      kind: SpanKind.CONSUMER,
      startTime: now,
      attributes: {
        "parley.conversation": conversationId,
        "parley.seq": seq,
        "parley.connection": connectionId,
        "parley.user": userId,
      },
    });
    const pending = this.pendingOf(connectionId, conversationId);
    if (pending.firstUnreadAt === undefined) {
      pending.firstUnreadAt = now;
      pending.firstUnreadSeq = seq;
    }
    if (span === undefined) return;
    endSpan(span);
    pending.traced ??= new Map();
    pending.traced.set(seq, span.spanContext());
    if (pending.traced.size > TRACED_PER_CONVERSATION) pending.traced.delete(pending.traced.keys().next().value!);
  }

  /**
   * The connection's `receipts.mark` (which arrived at `receivedAt`) stored its watermarks: a read covering its first
   * unread delivery ends the delivered→read stage; a delivered watermark acknowledges the traced deliveries it covers.
   */
  acknowledged(
    connectionId: string,
    conversationId: string,
    marks: { delivered?: number; read?: number },
    receivedAt: number,
  ): void {
    const byConversation = this.connections.get(connectionId);
    const pending = byConversation?.get(conversationId);
    if (byConversation === undefined || pending === undefined) return;
    const read = marks.read ?? 0;
    const delivered = Math.max(marks.delivered ?? 0, read);
    const now = preciseNow();
    if (pending.firstUnreadAt !== undefined && read >= pending.firstUnreadSeq!) {
      this.metrics.stage.deliveredRead.observe((now - pending.firstUnreadAt) / 1000);
      pending.firstUnreadAt = undefined;
      pending.firstUnreadSeq = undefined;
    }
    if (pending.traced !== undefined) {
      for (const [seq, parent] of pending.traced) {
        if (seq > delivered) continue;
        const span = this.tracing.child(SPAN.receiptDelivered, parent, {
          kind: SpanKind.SERVER,
          startTime: receivedAt,
          attributes: { "parley.conversation": conversationId, "parley.seq": seq, "parley.connection": connectionId },
        });
        endSpan(span, undefined, now);
        pending.traced.delete(seq);
      }
      if (pending.traced.size === 0) pending.traced = undefined;
    }
    if (pending.firstUnreadAt === undefined && pending.traced === undefined) byConversation.delete(conversationId);
  }

  /** The connection ended: what it had not acknowledged is no longer measured. */
  forget(connectionId: string): void {
    this.connections.delete(connectionId);
  }

  private pendingOf(connectionId: string, conversationId: string): Pending {
    let byConversation = this.connections.get(connectionId);
    if (byConversation === undefined) {
      byConversation = new Map();
      this.connections.set(connectionId, byConversation);
    }
    let pending = byConversation.get(conversationId);
    if (pending === undefined) {
      pending = {};
      byConversation.set(conversationId, pending);
    }
    return pending;
  }
}
