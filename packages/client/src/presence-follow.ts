// The users whose presence this client follows: kept across reconnects and subscribed again after every welcome.

import type { Presence } from "@parley/protocol";
import { inChunks, type OpCall } from "./calls.js";

export interface PresenceFollowOptions {
  /** Calls over the live connection (subscriptions belong to it). */
  request: OpCall;
  /** Calls over whatever carries the operation. */
  call: OpCall;
  connected: () => boolean;
  /** A followed user's state after a resubscription. */
  onPresence: (presence: Presence) => void;
  /** A resubscription failed. */
  onError: (error: unknown) => void;
}

export class PresenceFollow {
  readonly #options: PresenceFollowOptions;
  readonly #followed = new Set<string>();

  constructor(options: PresenceFollowOptions) {
    this.#options = options;
  }

  async subscribe(userIds: readonly string[]): Promise<Presence[]> {
    for (const id of userIds) this.#followed.add(id);
    if (!this.#options.connected()) return this.query(userIds);
    const out: Presence[] = [];
    for (const chunk of inChunks(userIds))
      out.push(...(await this.#options.request("presence.subscribe", { userIds: chunk })).presence);
    return out;
  }

  async unsubscribe(userIds: readonly string[]): Promise<void> {
    for (const id of userIds) this.#followed.delete(id);
    if (!this.#options.connected()) return;
    for (const chunk of inChunks(userIds)) await this.#options.request("presence.unsubscribe", { userIds: chunk });
  }

  async query(userIds: readonly string[]): Promise<Presence[]> {
    const out: Presence[] = [];
    for (const chunk of inChunks(userIds)) out.push(...(await this.#options.call("presence.query", { userIds: chunk })).presence);
    return out;
  }

  /** Subscribes the new connection to everyone followed, announcing their current state. */
  async resubscribe(): Promise<void> {
    const ids = [...this.#followed];
    try {
      for (const chunk of inChunks(ids)) {
        const { presence } = await this.#options.request("presence.subscribe", { userIds: chunk });
        for (const p of presence) this.#options.onPresence(p);
      }
    } catch (error) {
      this.#options.onError(error);
    }
  }

  clear(): void {
    this.#followed.clear();
  }
}
