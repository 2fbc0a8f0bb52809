// Group commit: drafts that arrive in the same event-loop turn are stored in one store call (one transaction).

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
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Pick<MessageStore, "append" | "pipelinedAppends">,
    /** Called with the new entries of every stored batch, in commit order, before the callers' promises resolve. */
    private readonly onCommitted: (entries: readonly CommittedEntry[]) => Promise<void>,
    private readonly maxBatch = 512,
  ) {}

  append(draft: EntryDraft, origin: Origin): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, origin, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
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
