// Group commit: drafts are stored in batches, one store call (one transaction, one fsync) per batch. A batch closes
// at the end of the event-loop turn its first draft arrived in, unless the previous batch closed less than the commit
// window ago: then it stays open until the window has passed (or it is full). So a quiet server commits every send at
// once, and a busy one commits at most once per window, with more drafts in each commit (docs/performance.md).

import type { AppendOutcome, EntryDraft, MessageStore } from "../../ports/store.js";
import type { CommittedEntry } from "./committed-entry.js";
import type { Origin } from "./entry-drafts.js";

/** A batch's store call, settled: held as a value so that a pipelined write failing early is not "unhandled". */
type Stored = { ok: true; outcomes: AppendOutcome[] } | { ok: false; error: unknown };

interface Pending {
  draft: EntryDraft;
  origin: Origin;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private queue: Pending[] = [];
  private scheduled = false;
  /** The window's timer while a batch waits for it. */
  private timer: NodeJS.Timeout | undefined;
  /** When the last batch closed (performance.now()). */
  private lastFlushAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<MessageStore, "append" | "pipelinedAppends">,
    /** Called with the new entries of every stored batch, in commit order, before the callers' promises resolve. */
    private readonly onCommitted: (entries: readonly CommittedEntry[]) => Promise<void>,
    /** The shortest time between two batches' closing, in ms (0: every event-loop turn). */
    private readonly windowMs = 0,
    private readonly maxBatch = 512,
  ) {}

  append(draft: EntryDraft, origin: Origin): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, origin, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        const wait = this.windowMs - (performance.now() - this.lastFlushAt);
        if (wait <= 0) setImmediate(() => this.flush());
        else this.timer = setTimeout(() => this.flush(), Math.ceil(wait));
      } else if (this.timer !== undefined && this.queue.length >= this.maxBatch) {
        // A full batch does not wait for the window.
        clearTimeout(this.timer);
        this.timer = undefined;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Runs `work` after the batches committed so far were handed on: entries written elsewhere keep commit order. */
  after(work: () => Promise<void>): Promise<void> {
    const done = this.inFlight.then(work);
    this.inFlight = done;
    return done;
  }

  /** Resolves once everything queued so far is stored. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.scheduled) {
      await new Promise((r) => setImmediate(r));
      await this.inFlight;
    }
    await this.inFlight;
  }

  private flush(): void {
    this.scheduled = false;
    this.timer = undefined;
    this.lastFlushAt = performance.now();
    const batch = this.queue.splice(0, this.maxBatch);
    if (this.queue.length > 0) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    // Batches are chained so that seq order and event order agree even with an asynchronous store. A store that
    // writes synchronously (pipelinedAppends) gets the next batch while the previous one waits for its fsync; only
    // the fan-out and the answers stay chained.
    if (this.store.pipelinedAppends) {
      const stored = this.write(batch);
      this.inFlight = this.inFlight.then(() => this.commit(batch, stored));
    } else this.inFlight = this.inFlight.then(() => this.commit(batch));
  }

  private write(batch: readonly Pending[]): Promise<Stored> {
    return this.store.append(batch.map((p) => p.draft)).then(
      (outcomes) => ({ ok: true, outcomes }),
      (error: unknown) => ({ ok: false, error }),
    );
  }

  private async commit(batch: Pending[], stored = this.write(batch)): Promise<void> {
    const answer = await stored;
    if (!answer.ok) {
      for (const p of batch) p.reject(answer.error);
      return;
    }
    const { outcomes } = answer;
    const entries: CommittedEntry[] = [];
    outcomes.forEach((o, i) => {
      if (o.ok && !o.duplicate) entries.push({ message: o.message, origin: batch[i]!.origin });
    });
    if (entries.length > 0) await this.onCommitted(entries);
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(outcomes[i]!);
  }
}
