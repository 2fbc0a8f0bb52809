// Display names for user ids, fetched in batches on first sight and cached for the life of the command.

import type { ParleyClient } from "../client.js";
import type { Terminal } from "./terminal.js";

export class Names {
  readonly #client: ParleyClient;
  readonly #term: Terminal;
  readonly #known = new Map<string, string>();

  constructor(client: ParleyClient, term: Terminal) {
    this.#client = client;
    this.#term = term;
    const me = client.user;
    if (me) this.#known.set(me.id, me.displayName || me.username);
  }

  /** The display name, or the id itself while unknown. */
  nameOf = (userId: string): string => this.#known.get(userId) ?? userId;

  /** Fetches the names not known yet; failures leave ids showing rather than failing the command. */
  async ensure(userIds: Iterable<string>): Promise<void> {
    // "" stands for a sender the reader may not know (a withheld quote): never looked up, it would fail the batch.
    const missing = [...new Set(userIds)].filter((id) => id !== "" && !this.#known.has(id));
    if (missing.length === 0) return;
    try {
      for (const u of await this.#client.getUsers(missing)) this.#known.set(u.id, u.displayName || u.username);
    } catch (error) {
      // Showing an id is better than not showing the message; the reason is printed, dimmed.
      const reason = error instanceof Error ? error.message : String(error);
      this.#term.print(this.#term.style.dim(`* names not loaded, ids shown instead: ${reason}`));
    }
  }
}
