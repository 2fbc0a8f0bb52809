// How much work the next synchronous step of a background job may take so that it holds the event loop for about
// `budgetMs`: learned from how long the previous steps took per unit of work (rows indexed, pages merged). Used by the
// search indexer (search-indexer.ts), whose steps run on the event loop between other work.

export class StepSizer {
  private size: number;

  /**
   * `min`…`max` units per step; starts at `initial` (default `min`) and grows at most twofold per step, so a first
   * step on an unknown machine, or after a pause, cannot overshoot the budget by much.
   */
  constructor(
    readonly budgetMs: number,
    readonly min: number,
    readonly max: number,
    initial: number = min,
  ) {
    if (!(budgetMs > 0) || !Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) {
      throw new RangeError(`StepSizer needs budgetMs > 0 and integers 1 <= min <= max, got ${budgetMs}, ${min}, ${max}`);
    }
    this.size = Math.min(max, Math.max(min, Math.floor(initial)));
  }

  /** Units of work the next step may take. */
  next(): number {
    return this.size;
  }

  /**
   * Records a finished step: `units` of work done in `ms`. A step that ran over the budget shrinks the next one in
   * proportion; one that stayed under grows it towards the budget (at most twofold). A step of no work, or one that
   * took no measurable time, teaches nothing about the rate.
   */
  record(units: number, ms: number): void {
    if (units <= 0) return;
    let size: number;
    if (ms <= 0) size = this.size * 2;
    else size = Math.min(Math.floor((units * this.budgetMs) / ms), this.size * 2);
    // A step that did less than it was allowed (the queue ran short) and stayed under budget says nothing against
    // the current size.
    if (units < this.size && ms <= this.budgetMs) size = Math.max(size, this.size);
    this.size = Math.min(this.max, Math.max(this.min, size));
  }
}
