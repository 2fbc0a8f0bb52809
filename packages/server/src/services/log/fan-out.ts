// Delivery of committed entries to the devices of the users who may see them, in commit order.

import type { ChannelSettings, Message } from "@parley/protocol";
import { audiencesOf, joinedRanges } from "../../domain/membership-window.js";
import { preciseNow } from "../../observability/metrics.js";
import { endSpan, SPAN, SpanKind, type Tracing } from "../../observability/tracing.js";
import type { ChannelKinds } from "../channel-kinds.js";
import { type Delivery, encodeEvent, type FrameMeta } from "../delivery.js";
import type { MemberCache, Members } from "../member-cache.js";
import type { MessageView } from "../message-view.js";
import { type CommittedEntry, departedBy, type InFlight, type LogSubscriber } from "./committed-entry.js";

export class FanOut implements LogSubscriber {
  readonly where = "message.fanout";
  readonly delivers = true;

  constructor(
    private readonly members: MemberCache,
    private readonly delivery: Delivery,
    private readonly view: MessageView,
    private readonly tracing: Tracing,
    /** Which conversations are channels: those are published once on their topic, never per member. */
    private readonly kinds?: Pick<ChannelKinds, "settingsOf">,
  ) {}

  /** The log's subscriber (runs after the member cache forgot the conversations whose members changed). */
  readonly committed = async (entries: readonly CommittedEntry[]): Promise<InFlight> => {
    // Action entries go out with their target's new state (reactions included); plain messages need nothing more.
    const shown = new Map<string, Message>();
    for (const { message } of entries) {
      if (message.action === undefined) continue;
      const [entry] = await this.view.present(message.conversationId, [message]);
      shown.set(message.id, entry!);
    }
    // Resolve member lists first so that publishing below happens in seq order without interleaved awaits. A channel
    // has no list here (it may have 100,000 members): its entries go out on its topic.
    const lists = new Map<string, Members>();
    const channels = new Map<string, ChannelSettings>();
    for (const { message } of entries) {
      const id = message.conversationId;
      if (lists.has(id) || channels.has(id)) continue;
      const settings = this.kinds === undefined ? null : await this.kinds.settingsOf(id);
      if (settings) channels.set(id, settings);
      else lists.set(id, await this.members.current(id));
    }
    const changes = membershipChanges(entries);
    const storedAt = preciseNow();
    const published: Promise<void>[] = [];
    for (const { message, origin } of entries) {
      const meta: FrameMeta = { storedAt, conversationId: message.conversationId, seq: message.seq };
      if (origin.connectionId !== undefined) meta.exceptConnection = origin.connectionId;
      if (origin.receivedAt !== undefined) meta.sentAt = origin.receivedAt;
      const channel = channels.get(message.conversationId);
      if (channel !== undefined) {
        if (message.kind === "system") this.announceInChannel(message, channel, published);
        else published.push(this.toChannel(shown.get(message.id) ?? message, meta));
        continue;
      }
      const members = lists.get(message.conversationId)!;
      const recipients = coveredBy(message, members, changes.get(message.conversationId));
      if (message.kind === "system") {
        this.announce(message, recipients, published);
        continue;
      }
      const span = this.tracing.child(SPAN.busPublish, origin.trace, {
        kind: SpanKind.PRODUCER,
        attributes: {
          "parley.conversation": message.conversationId,
          "parley.seq": message.seq,
          "parley.recipients": recipients.length,
        },
      });
      if (span) meta.traceparent = this.tracing.traceparent(span);
      // Members who joined after an action's target or a reply's quote get a frame without it (one per audience).
      const sends: Promise<void>[] = [];
      for (const audience of audiencesOf(shown.get(message.id) ?? message, recipients, members.joinedSeq)) {
        const frame = encodeEvent("message", audience.entry);
        sends.push(this.delivery.framesToUsers(audience.userIds, frame, meta));
      }
      const sent = sends.length === 1 ? sends[0]! : Promise.all(sends).then(() => undefined);
      published.push(span ? traced(sent, span) : sent);
    }
    // Every publish is issued, in commit order; acknowledgements need not wait for the bus to confirm them (the
    // entries are durable, and a node that loses its bus tells its clients to sync).
    return { confirmed: Promise.all(published).then(() => undefined) };
  };

  /** One publish on the channel's topic per audience (at most four, usually one), whatever the member count. */
  private toChannel(entry: Message, meta: FrameMeta): Promise<void> {
    const sends = joinedRanges(entry).map(({ entry: shown, joinedFrom, joinedBelow }) =>
      this.delivery.framesToConversation(entry.conversationId, encodeEvent("message", shown), {
        ...meta,
        ...(joinedFrom === undefined ? {} : { joinedFrom }),
        ...(joinedBelow === undefined ? {} : { joinedBelow }),
      }),
    );
    return sends.length === 1 ? sends[0]! : Promise.all(sends).then(() => undefined);
  }

  /**
   * A channel's system entry: on its topic to the members followed so far (so the departing still get theirs), to the
   * user topics of those it admits (at most 1,000: their sessions follow the topic only from the next entry), then the
   * nodes are told who joined and who departed. The bus keeps this order per publisher. No member list is read, no
   * presence watch changes (channels do not share presence) and no member cache is involved.
   */
  private announceInChannel(message: Message, channel: ChannelSettings, published: Promise<void>[]): void {
    const event = message.event;
    const admitted = event?.type === "member.added" || event?.type === "conversation.created" ? event.userIds : [];
    const departed = departedBy(message);
    if (event?.type !== "conversation.created")
      published.push(this.delivery.framesToConversation(message.conversationId, encodeEvent("message", message), {}));
    if (admitted.length > 0) published.push(this.delivery.toUsers(admitted, "message", message));
    const joinedSeq = channel.history === "full" ? 1 : message.seq;
    published.push(
      this.delivery.channelMembersChanged(
        message.conversationId,
        admitted.map((userId) => ({ userId, joinedSeq })),
        departed,
      ),
    );
  }

  /**
   * A system entry goes to everyone who was or now is a member: the removed see their removal, the added their
   * addition. Other nodes drop their member lists first (the bus keeps publish order), and who left no longer shares
   * the conversation with those who stay, so presence watches granted by it end.
   */
  private announce(message: Message, recipients: readonly string[], published: Promise<void>[]): void {
    if (message.event?.type !== "conversation.created") published.push(this.delivery.membersChanged(message.conversationId));
    if (departedBy(message).length > 0) published.push(this.delivery.presenceNarrowed(recipients));
    published.push(this.delivery.toUsers(recipients, "message", message));
  }
}

/** Ends the publish span when the bus accepted the event (an error span when it refused it). */
function traced(sent: Promise<void>, span: NonNullable<ReturnType<Tracing["child"]>>): Promise<void> {
  return sent.then(
    () => endSpan(span),
    (error: unknown) => {
      endSpan(span, "bus_failed");
      throw error;
    },
  );
}

/** Per user, where a batch's system entries of one conversation ended their membership, and where they began it. */
interface BatchChanges {
  leftAt: Map<string, number>;
  joinedAt: Map<string, number>;
}

function membershipChanges(entries: readonly CommittedEntry[]): Map<string, BatchChanges> {
  const changes = new Map<string, BatchChanges>();
  for (const { message } of entries) {
    const event = message.event;
    if (event === null || event === undefined) continue;
    const added = event.type === "member.added" ? event.userIds : [];
    const departed = departedBy(message);
    if (added.length === 0 && departed.length === 0) continue;
    const c = changes.get(message.conversationId) ?? { leftAt: new Map(), joinedAt: new Map() };
    changes.set(message.conversationId, c);
    for (const userId of added) if (!c.joinedAt.has(userId)) c.joinedAt.set(userId, message.seq);
    for (const userId of departed) c.leftAt.set(userId, message.seq);
  }
  return changes;
}

/**
 * Who may receive `message`: the members whose window covers its seq. The member lists are read after the whole batch
 * committed, so a member added later in the batch is left out (their window starts after the entry), and one removed
 * later in the batch is put back in (theirs ended after it).
 */
function coveredBy(message: Message, members: Members, changes: BatchChanges | undefined): string[] {
  const seq = message.seq;
  const recipients = members.ids.filter((id) => (members.joinedSeq.get(id) ?? 0) <= seq);
  if (changes === undefined) return recipients;
  for (const [userId, leftSeq] of changes.leftAt) {
    const joined = changes.joinedAt.get(userId);
    if (leftSeq >= seq && (joined === undefined || joined <= seq) && !recipients.includes(userId)) recipients.push(userId);
  }
  return recipients;
}
