// Test support: a manual clock whose timers fire only when a test advances time.

import type { TimerHandle, Timers } from "../timers.js";

interface Scheduled {
  at: number;
  id: number;
  callback: () => void;
}

/** Lets pending promise callbacks run (several rounds, as chained awaits need). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

export class FakeTimers implements Timers {
  #now: number;
  #nextId = 1;
  readonly #scheduled = new Map<number, Scheduled>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.#nextId++;
    this.#scheduled.set(id, { at: this.#now + Math.max(0, ms), id, callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#scheduled.delete(handle as number);
  }

  /** Timers not yet fired. */
  get pending(): number {
    return this.#scheduled.size;
  }

  /** Delays of the pending timers from now, ascending. */
  delays(): number[] {
    return [...this.#scheduled.values()].map((s) => s.at - this.#now).sort((a, b) => a - b);
  }

  /**
   * Moves time forward by `ms`, firing due timers in order (including ones scheduled meanwhile) and letting promise
   * callbacks run after each, as a real event loop would.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      let next: Scheduled | undefined;
      for (const s of this.#scheduled.values()) {
        if (s.at <= target && (!next || s.at < next.at || (s.at === next.at && s.id < next.id))) next = s;
      }
      if (!next) break;
      this.#scheduled.delete(next.id);
      this.#now = next.at;
      next.callback();
      await settle();
    }
    this.#now = target;
  }
}
