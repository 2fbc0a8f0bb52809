// Group commit: sends that arrive in the same event-loop turn are stored in one store call (one transaction).

import type { BestEffort } from "../observability/best-effort.js";
import type { AppendOutcome, MessageDraft, MessageStore } from "../ports/store.js";

/** A store call's answer as a value, so that it can wait for its turn without counting as an unhandled rejection. */
type Stored = { ok: true; outcomes: AppendOutcome[] } | { ok: false; error: unknown };

interface Pending {
  draft: MessageDraft;
  resolve: (outcome: AppendOutcome) => void;
  reject: (error: unknown) => void;
}

export class SendBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: MessageStore,
    /** Called with every stored batch, in commit order, before the callers' promises resolve. */
    private readonly onCommitted: (outcomes: readonly AppendOutcome[]) => Promise<void>,
    private readonly failures: BestEffort,
    private readonly maxBatch = 512,
  ) {}

  append(draft: MessageDraft): Promise<AppendOutcome> {
    return new Promise((resolve, reject) => {
      this.queue.push({ draft, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
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
    return this.store.appendMessages(batch.map((p) => p.draft)).then(
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
    // Fan-out is best effort: the messages are durable and clients repair gaps by sync.
    await this.failures.attempt("message.fanout", this.onCommitted(outcomes));
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(outcomes[i]!);
  }
}
