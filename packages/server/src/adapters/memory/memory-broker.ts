// In-process bus for the single-node deployment: a topic map, delivery on the same tick, no serialization.

import type { Broker, BusHandler, BusMessage } from "../../ports/broker.js";

export class MemoryBroker implements Broker {
  private readonly handlers = new Map<string, BusHandler>();

  async publish(topics: readonly string[], message: BusMessage): Promise<void> {
    for (const topic of topics) {
      const handler = this.handlers.get(topic);
      if (handler) handler(message);
    }
  }

  async subscribe(topic: string, handler: BusHandler): Promise<void> {
    if (!this.handlers.has(topic)) this.handlers.set(topic, handler);
  }

  async unsubscribe(topic: string): Promise<void> {
    this.handlers.delete(topic);
  }

  /** An in-process bus never loses its subscriptions. */
  onReconnect(): void {}

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.handlers.clear();
  }
}
