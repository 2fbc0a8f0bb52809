// The only writer of conversation sequences: stores entry drafts (group-committed through the store's one append) and
// conversation creations, and hands every committed entry, in commit order, to the subscribers it was built with.

import type { Message } from "@parley/protocol";
import type { BestEffort } from "../../observability/best-effort.js";
import { type Metrics, preciseNow } from "../../observability/metrics.js";
import { endSpan, SPAN, Tracing } from "../../observability/tracing.js";
import type { AppendOutcome, ConversationRecord, ConversationStore, EntryDraft, MessageStore } from "../../ports/store.js";
import type { CommittedEntry, LogSubscriber } from "./committed-entry.js";
import type { Origin } from "./entry-drafts.js";
import { GroupCommit } from "./group-commit.js";

type OpenDirectInput = Parameters<ConversationStore["openDirect"]>[0];
type CreateGroupInput = Parameters<ConversationStore["createGroup"]>[0];
type CreateChannelInput = Parameters<ConversationStore["createChannel"]>[0];

export class ConversationLog {
  private readonly commits: GroupCommit;
  /** Subscribers' work still running for committed batches (bus publishes not yet confirmed). */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly store: Pick<MessageStore, "append" | "pipelinedAppends" | "defaultCommitWindowMs" | "getHistory"> &
      Pick<ConversationStore, "openDirect" | "createGroup" | "createChannel">,
    private readonly subscribers: readonly LogSubscriber[],
    private readonly failures: BestEffort,
    private readonly metrics?: Metrics,
    private readonly tracing: Tracing = Tracing.off,
    /** Group commit's window (group-commit.ts): the shortest time between two commits, in ms; default: the store's. */
    commitWindowMs = store.defaultCommitWindowMs ?? 0,
  ) {
    this.commits = new GroupCommit(store, (entries) => this.publish(entries), commitWindowMs);
  }

  /**
   * Appends one entry; resolves with its outcome (refusals and duplicates included) once the batch it was committed
   * in has been handed to every subscriber (the bus publishes issued in order, not necessarily confirmed).
   */
  submit(draft: EntryDraft, origin: Origin = {}): Promise<AppendOutcome> {
    return this.commits.append(draft, origin.trace === undefined ? origin : { ...origin, queuedAt: preciseNow() });
  }

  /** Opens the pair's direct conversation; a new one's first entry (seq 1) is published like any other. */
  async openDirect(input: OpenDirectInput, origin: Origin = {}): Promise<{ conversation: ConversationRecord; created: boolean }> {
    const result = await this.store.openDirect(input);
    if (result.created) {
      const id = result.conversation.id;
      const [first] = await this.store.getHistory({ conversationId: id, minSeq: 1, maxSeq: 1, limit: 1, direction: "asc" });
      if (first) await this.created(first, origin);
    }
    return result;
  }

  /** Creates a group; its first entry (`conversation.created`, seq 1) is published like any other. */
  async createGroup(input: CreateGroupInput, origin: Origin = {}): Promise<{ conversation: ConversationRecord }> {
    const result = await this.store.createGroup(input);
    await this.created(result.message, origin);
    return result;
  }

  /** Creates a channel; its first entry (`conversation.created`, seq 1) is published like any other. */
  async createChannel(input: CreateChannelInput, origin: Origin = {}): Promise<{ conversation: ConversationRecord }> {
    const result = await this.store.createChannel(input);
    await this.created(result.message, origin);
    return result;
  }

  /** Waits until every accepted draft is stored and handed on (graceful shutdown). */
  async drain(): Promise<void> {
    await this.commits.drain();
    await Promise.all(this.inFlight);
  }

  /** The send→stored stage of each entry a request made, and the store span of each traced one. */
  private stored(entries: readonly CommittedEntry[]): void {
    const now = preciseNow();
    for (const { message, origin } of entries) {
      if (origin.receivedAt !== undefined) this.metrics?.stage.sendStored.observe((now - origin.receivedAt) / 1000);
      if (origin.trace === undefined) continue;
      const span = this.tracing.child(SPAN.storeCommit, origin.trace, {
        startTime: origin.queuedAt ?? now,
        attributes: { "parley.conversation": message.conversationId, "parley.seq": message.seq, "parley.batch": entries.length },
      });
      endSpan(span, undefined, now);
    }
  }

  /** A new conversation has no other writer yet: its first entry only needs its place in the stream's order. */
  private created(message: Message, origin: Origin): Promise<void> {
    return this.commits.after(() => this.publish([{ message, origin }]));
  }

  private async publish(entries: readonly CommittedEntry[]): Promise<void> {
    const messages = entries.filter((e) => e.message.kind !== "system").length;
    if (messages > 0) this.metrics?.messagesStored.inc(messages);
    this.stored(entries);
    // Announcing is best effort: the entries are durable and clients repair missed events by sync. A subscriber that
    // fails is recorded and the next one still runs.
    for (const subscriber of this.subscribers) {
      try {
        const inFlight = await subscriber.committed(entries);
        if (inFlight) this.track(subscriber, inFlight.confirmed, messages);
      } catch (error) {
        this.failed(subscriber, error, messages);
      }
    }
  }

  /** Work still running after its subscriber returned: awaited by `drain`, its failure recorded like any other. */
  private track(subscriber: LogSubscriber, confirmed: Promise<void>, messages: number): void {
    const settled = confirmed.then(
      () => undefined,
      (error: unknown) => this.failed(subscriber, error, messages),
    );
    this.inFlight.add(settled);
    void settled.finally(() => this.inFlight.delete(settled));
  }

  private failed(subscriber: LogSubscriber, error: unknown, messages: number): void {
    const lost = subscriber.delivers === true ? messages : 0;
    this.failures.failed(subscriber.where, error, lost > 0 ? { undelivered: String(lost) } : undefined);
    if (lost > 0) this.metrics?.messagesUndelivered.labels("fanout_failed").inc(lost);
  }
}
