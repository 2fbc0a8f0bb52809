// One stack of closers for everything a node opens: a failed start and a shutdown both unwind it, last opened first.

import type { Logger } from "./logger.js";

export type Closer = () => void | Promise<void>;

/** Where the code that opens a resource registers its closer, right after opening it. */
export interface Closers {
  defer(name: string, close: Closer): void;
}

/**
 * A disposable stack (Node 20 has no native `AsyncDisposableStack`). Closing in reverse order of opening is what makes
 * the shutdown order hold: the listener and sockets go first (opened last), pending writes drain while the store is
 * still open, and the store goes last (opened first).
 */
export class Lifecycle implements Closers {
  private readonly closers: { name: string; close: Closer }[] = [];
  private unwinding: Promise<unknown[]> | undefined;

  constructor(private readonly log: Logger) {}

  defer(name: string, close: Closer): void {
    // Registered after the unwinding began, it would never run: the resource would stay open.
    if (this.unwinding) throw new Error(`${name} was opened while the node was closing`);
    this.closers.push({ name, close });
  }

  /**
   * Runs every closer, last registered first; one that fails is logged with its name and the next still runs.
   * Resolves to the failures (empty when everything closed). Called again, returns the same unwinding.
   */
  unwind(): Promise<unknown[]> {
    this.unwinding ??= (async () => {
      const failures: unknown[] = [];
      for (let entry = this.closers.pop(); entry !== undefined; entry = this.closers.pop()) {
        try {
          await entry.close();
        } catch (error) {
          this.log.error({ err: error, resource: entry.name }, "closing failed");
          failures.push(error);
        }
      }
      return failures;
    })();
    return this.unwinding;
  }
}
