// The SDK as a fault-rig client (`RigClient` of @parley/server/testing): a ParleyClient whose `message` events are
// what a user is shown, so that the checker can hold the SDK to "each entry once, in order" under faults, besides
// what the server stored. Sends pass their own clientId, so that a send the SDK is still retrying is recognised.

import type { ClientHistory, ClientSlot, RigClient, SendRecord } from "@parley/server/testing";
import { credentialsFromAuth, isParleyError, newClientId, ParleyClient } from "../node.js";

export class SdkFaultClient implements RigClient {
  readonly history: ClientHistory;
  connections = 0;
  /** `error` events of the SDK (informational) and the first connect's failure, if it failed. */
  backgroundErrors = 0;
  connectFailure: unknown;
  readonly #client: ParleyClient;
  readonly #view = new Map<string, Set<number>>();
  readonly #sendDeadlineMs: number;

  constructor(
    slot: ClientSlot,
    readonly mode: "websocket" | "long-poll",
  ) {
    const user = slot.auth.user.id as string;
    this.history = { user, conversations: slot.conversations, sends: [], observations: [], receipts: [], shown: [] };
    for (const c of slot.conversations) this.#view.set(c, new Set());
    this.#sendDeadlineMs = slot.sendDeadlineMs;
    this.#client = new ParleyClient({
      server: slot.targets[0] ?? "",
      credentials: credentialsFromAuth(slot.auth, Date.now()),
      transport: mode,
      requestTimeoutMs: slot.requestTimeoutMs,
      // From the first entry on, so that the display can be compared with the whole stored history.
      cursors: Object.fromEntries(slot.conversations.map((c) => [c, 0])),
      reconnectBackoff: { initialMs: 100, maxMs: 1000 },
    });
    this.#client.on("message", (m) => {
      const seqs = this.#view.get(m.conversationId);
      if (!seqs) return;
      const seen = { conversationId: m.conversationId, seq: m.seq, id: m.id, via: "event" as const };
      this.history.observations.push(seen);
      this.history.shown?.push(seen);
      seqs.add(m.seq);
    });
    this.#client.on("state", (state) => {
      if (state === "connected") this.connections += 1;
    });
    // Background failures are informational (the SDK recovers by itself); the verdict comes from the history.
    this.#client.on("error", () => {
      this.backgroundErrors += 1;
    });
    // The first connect may fail while a fault is on; the SDK keeps reconnecting, and `resync` reports the outcome.
    this.#client.connect().then(
      () => undefined,
      (error: unknown) => {
        this.connectFailure = error;
      },
    );
  }

  get transport(): string {
    return `sdk/${this.mode}`;
  }

  async send(conversationId: string): Promise<SendRecord> {
    const clientId = newClientId();
    const record: SendRecord = {
      user: this.history.user,
      conversationId,
      clientId,
      attempts: 1,
      outcome: { kind: "unknown" },
    };
    this.history.sends.push(record);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), this.#sendDeadlineMs);
    });
    try {
      const ack = await Promise.race([this.#client.send(conversationId, `message ${clientId}`, { clientId }), timeout]);
      if (ack) {
        record.outcome = { kind: "acked", id: ack.id, seq: ack.seq };
        this.history.observations.push({ conversationId, seq: ack.seq, id: ack.id, via: "ack" });
      }
    } catch (error) {
      record.outcome = { kind: "error", code: isParleyError(error) ? error.code : String(error) };
    } finally {
      clearTimeout(timer);
    }
    return record;
  }

  /** The SDK syncs by itself on every reconnect: wait until it is connected and holds what it can. */
  async resync(timeoutMs = 10_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.#client.state !== "connected") await new Promise((r) => setTimeout(r, 100));
    return this.#client.state === "connected";
  }

  async markReceipts(): Promise<void> {
    for (const c of this.history.conversations) this.#client.markRead(c);
  }

  holdsAll(lastSeqs: Record<string, number>): boolean {
    return Object.entries(lastSeqs).every(([c, last]) => {
      const seqs = this.#view.get(c);
      if (!seqs) return true;
      for (let seq = 1; seq <= last; seq++) if (!seqs.has(seq)) return false;
      return true;
    });
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

/**
 * The fault runs' client mix: user 1 on the SDK over WebSockets and user 4 on the SDK over long polling (users 2 and
 * 5 are raw long-poll clients, the rest raw WebSocket ones); scenarios whose clients connect to the nodes directly
 * keep raw clients, since the SDK speaks to one server URL.
 */
export function sdkClientsFor(slot: ClientSlot): RigClient | undefined {
  if (slot.targets.length !== 1) return undefined;
  if (slot.index === 1) return new SdkFaultClient(slot, "websocket");
  if (slot.index === 4) return new SdkFaultClient(slot, "long-poll");
  return undefined;
}
