// The retention sweeper (docs/protocol.md §6.14): on every node, periodically deletes the entries past their
// conversation's age limit with their files, and tells the members' devices which seqs are gone; and takes the MLS
// devices whose session expired out of the directory, announced as removed (protocol §6.15, "Devices that leave").

import type { Logger } from "../logger.js";
import type { BestEffort } from "../observability/best-effort.js";
import type { Metrics } from "../observability/metrics.js";
import type { RetentionStore } from "../ports/store.js";
import type { ChannelKinds } from "./channel-kinds.js";
import { type Delivery, encodeEvent } from "./delivery.js";
import type { E2eeService } from "./e2ee-service.js";
import type { MediaService } from "./media-service.js";
import type { MemberCache } from "./member-cache.js";
import type { RetentionPolicy } from "./retention-policy.js";

/** Conversations per store step and entries per conversation and step: bounds each transaction, not the sweep. */
const CONVERSATIONS_PER_STEP = 100;
const ENTRIES_PER_STEP = 1000;

export interface SweepResult {
  /** Entries deleted. */
  entries: number;
  /** Conversations that lost entries. */
  conversations: number;
  /** Uploads deleted with them (files no other message shares). */
  uploads: number;
  /** MLS devices whose session expired, taken out of the directory and announced. */
  devices: number;
}

export class RetentionSweeper {
  private running: Promise<unknown> | undefined;

  constructor(
    private readonly store: RetentionStore,
    private readonly policy: Pick<RetentionPolicy, "maxMessageAge">,
    private readonly media: Pick<MediaService, "forgetUploads">,
    private readonly members: Pick<MemberCache, "get">,
    private readonly delivery: Pick<Delivery, "toUsers" | "framesToConversation">,
    private readonly observability: { metrics: Metrics; failures: BestEffort; log: Pick<Logger, "error"> },
    /** Channels are told on their topic (their member list is never loaded). */
    private readonly kinds?: Pick<ChannelKinds, "isChannel">,
    /** Expired devices of end-to-end encryption (absent: not swept). */
    private readonly devices?: Pick<E2eeService, "sweepExpiredDevices">,
  ) {}

  /** `messages.expired` to the conversation's members: a channel's on its topic, others' by member. */
  private async announce(data: { conversationId: string; expiredThrough: number }): Promise<void> {
    if (await this.kinds?.isChannel(data.conversationId)) {
      await this.delivery.framesToConversation(data.conversationId, encodeEvent("messages.expired", data), {});
      return;
    }
    await this.delivery.toUsers(await this.members.get(data.conversationId), "messages.expired", data);
  }

  /**
   * One sweep as of `now` (the clock is a parameter so that tests need not wait an hour). Safe on several nodes at
   * once: the store hands each expired range to exactly one of them. Each conversation's members are told once its
   * entries are deleted (`messages.expired`); a failed announcement is recorded, and clients learn it from sync.
   */
  async sweep(now: number = Date.now()): Promise<SweepResult> {
    const { metrics, failures } = this.observability;
    const result: SweepResult = { entries: 0, conversations: 0, uploads: 0, devices: 0 };
    if (this.devices !== undefined) result.devices = await this.devices.sweepExpiredDevices(now);
    const serverMaxAgeSeconds = await this.policy.maxMessageAge();
    for (;;) {
      const step = await this.store.expireEntries({
        now,
        serverMaxAgeSeconds,
        conversations: CONVERSATIONS_PER_STEP,
        batch: ENTRIES_PER_STEP,
      });
      for (const expired of step) {
        result.entries += expired.deleted;
        result.conversations++;
        metrics.retentionSwept.inc({ kind: "entry" }, expired.deleted);
        if (expired.uploadIds.length > 0) {
          const forgotten = await this.media.forgetUploads(expired.uploadIds, now);
          result.uploads += forgotten.uploads;
          metrics.retentionSwept.inc({ kind: "upload" }, forgotten.uploads);
        }
        const data = { conversationId: expired.conversationId, expiredThrough: expired.expiredThrough };
        failures.detach("retention.notify", this.announce(data), { conversationId: expired.conversationId });
      }
      if (step.length < CONVERSATIONS_PER_STEP) return result;
    }
  }

  /**
   * Sweeps every `intervalMs` (the first after one interval; 0: never). A sweep that fails is logged at `error` with
   * its cause and counted (`parley_retention_sweep_failures_total`); the next interval tries again. Returns the stop
   * function, which waits for a sweep under way.
   */
  start(intervalMs: number): () => Promise<void> {
    if (intervalMs <= 0) return async () => {};
    const timer = setInterval(() => {
      if (this.running) return;
      this.running = this.sweep()
        .catch((error: unknown) => {
          this.observability.metrics.retentionSweepFailures.inc();
          this.observability.log.error({ err: error }, "retention sweep failed");
        })
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    timer.unref();
    return async () => {
      clearInterval(timer);
      await this.running;
    };
  }
}
