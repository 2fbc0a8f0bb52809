// Reconnect delays: capped exponential backoff with full jitter, so that clients dropped together do not return together.

export interface BackoffOptions {
  /** Ceiling of the first delay. */
  initialMs?: number;
  /** Largest ceiling any delay can have. */
  maxMs?: number;
  factor?: number;
  /** Source of randomness in [0, 1); injectable for tests. */
  random?: () => number;
}

export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.#random = options.random ?? Math.random;
    if (!(this.initialMs > 0 && this.maxMs >= this.initialMs && this.factor >= 1)) {
      throw new RangeError("Backoff needs 0 < initialMs <= maxMs and factor >= 1");
    }
  }

  /** Attempts since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  /** The upper bound of the next delay. */
  ceiling(): number {
    return Math.min(this.maxMs, this.initialMs * this.factor ** this.#attempt);
  }

  /** The delay before the next attempt: uniform in [0, ceiling) ("full jitter"). */
  next(): number {
    const ceiling = this.ceiling();
    // Stop growing the exponent once capped so it can never overflow to Infinity.
    if (ceiling < this.maxMs) this.#attempt++;
    else this.#attempt = Math.max(this.#attempt, 1);
    return Math.floor(this.#random() * ceiling);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
