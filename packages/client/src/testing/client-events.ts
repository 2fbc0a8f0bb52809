// Test support for tests that drive real clients: waiting for a condition or an event, and recording deliveries.

import type { Message } from "@parley/protocol";
import type { ClientEvents, ParleyClient } from "../node.js";

/** Polls `predicate` every 10 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The next `event` of `client` that `match` accepts; rejects after `timeoutMs`. */
export function nextEvent<K extends keyof ClientEvents>(
  client: ParleyClient,
  event: K,
  match: (payload: ClientEvents[K]) => boolean = () => true,
  timeoutMs = 5000,
): Promise<ClientEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${String(event)}`));
    }, timeoutMs);
    const off = client.on(event, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Every message delivered to `client` from now on, per conversation, in delivery order. */
export function recorder(client: ParleyClient): Map<string, Message[]> {
  const seen = new Map<string, Message[]>();
  client.on("message", (m) => {
    const list = seen.get(m.conversationId) ?? [];
    list.push(m);
    seen.set(m.conversationId, list);
  });
  return seen;
}
