// The contract every Broker adapter must pass: topic delivery, unsubscribe, one handler per topic, multi-topic publish.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { sleep, waitUntil } from "../test/wait.js";
import type { Broker, BusMessage } from "./broker.js";

/** How long a test that checks a delivery does NOT happen gives it to happen (no event marks "not delivered"). */
const QUIET_MS = 50;

/** Runs the contract. `makePair` returns two brokers on the same bus (two "nodes"; in-process adapters may share one). */
export function runBrokerContract(name: string, makePair: () => Promise<[Broker, Broker]>): void {
  describe(`Broker contract: ${name}`, () => {
    let a: Broker;
    let b: Broker;
    before(async () => {
      [a, b] = await makePair();
    });
    after(async () => {
      await a.close();
      if (b !== a) await b.close();
    });

    it("delivers a message published on one node to the subscriber on another", async () => {
      const got: BusMessage[] = [];
      await b.subscribe("user:t1", (m) => got.push(m));
      await a.publish(["user:t1"], { type: "frame", frame: '{"x":1}', exceptConnection: "c1" });
      await waitUntil("the delivery", () => got.length > 0, 5000, 5);
      assert.deepEqual(got, [{ type: "frame", frame: '{"x":1}', exceptConnection: "c1" }]);
    });

    it("publishes one message to several topics and skips topics nobody listens to", async () => {
      const got: string[] = [];
      await b.subscribe("user:t2", () => got.push("t2"));
      await b.subscribe("user:t3", () => got.push("t3"));
      await a.publish(["user:t2", "user:none", "user:t3"], { type: "members-changed", conversationId: "c" });
      await waitUntil("both deliveries", () => got.length >= 2, 5000, 5);
      assert.deepEqual(got.sort(), ["t2", "t3"]);
    });

    it("stops delivering after unsubscribe", async () => {
      const got: BusMessage[] = [];
      await b.subscribe("user:t4", (m) => got.push(m));
      await b.unsubscribe("user:t4");
      await a.publish(["user:t4"], { type: "session-revoked", sessionId: "s" });
      await sleep(QUIET_MS); // checks that nothing arrives: a delivery would have shown up within this time

      assert.equal(got.length, 0);
    });

    it("keeps the first handler when a topic is subscribed twice", async () => {
      const got: string[] = [];
      await b.subscribe("user:t5", () => got.push("first"));
      await b.subscribe("user:t5", () => got.push("second"));
      // Two messages in order on one topic: once the first handler has the second, a second handler would have had the
      // first (no fixed wait needed to see that it got nothing).
      await a.publish(["user:t5"], { type: "members-changed", conversationId: "c" });
      await a.publish(["user:t5"], { type: "members-changed", conversationId: "c" });
      await waitUntil("both deliveries to the first handler", () => got.filter((h) => h === "first").length >= 2, 5000, 5);
      assert.deepEqual(got, ["first", "first"]);
    });

    it("preserves publish order on one topic", async () => {
      const got: string[] = [];
      await b.subscribe("user:t6", (m) => m.type === "frame" && got.push(m.frame));
      for (let i = 0; i < 100; i++) await a.publish(["user:t6"], { type: "frame", frame: String(i) });
      await waitUntil("100 deliveries", () => got.length >= 100, 5000, 5);
      assert.deepEqual(
        got,
        Array.from({ length: 100 }, (_, i) => String(i)),
      );
    });

    it("answers ping", async () => {
      await a.ping();
    });
  });
}
