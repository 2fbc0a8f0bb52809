// The one sink for failures of best-effort work (fan-out, presence, cleanup): a warn log line and a counter, by site.

import type { Logger } from "../logger.js";
import type { Metrics } from "./metrics.js";

/**
 * Where best-effort work can fail: a closed list, so the counter's `where` label cannot grow without bound and
 * docs/operations.md can say what each one means.
 */
export const BEST_EFFORT_SITES = [
  // Events published after a commit: the entries are stored, and clients repair what they missed with `sync`.
  "message.fanout",
  "message.hidden",
  "members.invalidate",
  "receipts.fanout",
  "receipts.audience",
  "typing.stop",
  "typing.expire",
  // Presence: announcing, heartbeats, watch subscriptions.
  "presence.connect",
  "presence.offline",
  "presence.heartbeat",
  "presence.watch",
  "presence.unwatch",
  "presence.recheck",
  // Channels: a node starting or stopping to follow a channel's topic for its member sessions (they sync after a gap).
  "channel.follow",
  "channel.unfollow",
  // A changed profile announced (`user.updated`): others see it the next time they fetch the user.
  "profile.updated",
  // Sessions: closing the sockets of a revoked session on every node, cleaning up after a closed one.
  "session.revoke",
  "session.cleanup",
  // Push notifications.
  "push.presence-check",
  "push.notify",
  "push.session-ended",
  // End-to-end encryption: announcing a device that left the directory.
  "e2ee.device-removed",
  // Media: the periodic sweep, removing a staged upload.
  "media.sweep",
  "media.staged",
  // Retention: telling members' devices which entries the sweeper deleted (they also learn it from sync).
  "retention.notify",
  // The data export (`GET /v1/me/export`): a failure after the first bytes were sent ends the download early.
  "me.export",
  // The Redis bus: a local handler that threw (the others still ran), a channel left subscribed, a resubscription
  // after a reconnect that failed (the next reconnect tries again).
  "bus.handler",
  "bus.unsubscribe",
  "bus.resubscribe",
] as const;
export type BestEffortSite = (typeof BEST_EFFORT_SITES)[number];

/**
 * Records best-effort failures. Injected (one per server, beside its logger and metrics) into everything that does
 * work whose failure must not fail the caller but must not go unseen either.
 */
export class BestEffort {
  constructor(
    private readonly log: Pick<Logger, "warn">,
    private readonly metrics: Pick<Metrics, "bestEffortFailures">,
  ) {}

  /** Records that the work at `where` failed with `error`; `ids` (user, conversation, connection ids) go in the log line. */
  failed(where: BestEffortSite, error: unknown, ids?: Record<string, string>): void {
    this.metrics.bestEffortFailures.labels(where).inc();
    this.log.warn({ ...ids, err: error, where }, "best-effort work failed");
  }

  /** Lets `work` run on without waiting for it: a rejection is recorded, never thrown. */
  detach(where: BestEffortSite, work: Promise<unknown>, ids?: Record<string, string>): void {
    work.catch((error: unknown) => this.failed(where, error, ids));
  }

  /** Waits for `work`; a rejection is recorded and the wait ends as if it had succeeded, with no value. */
  async attempt<T>(where: BestEffortSite, work: Promise<T>, ids?: Record<string, string>): Promise<T | undefined> {
    try {
      return await work;
    } catch (error) {
      this.failed(where, error, ids);
      return undefined;
    }
  }
}
