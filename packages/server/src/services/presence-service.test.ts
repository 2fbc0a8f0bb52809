import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { MemoryBroker } from "../adapters/memory/memory-broker.js";
import { MemoryPresenceStore } from "../adapters/memory/memory-presence-store.js";
import { createLogger } from "../logger.js";
import { BestEffort } from "../observability/best-effort.js";
import { Metrics } from "../observability/metrics.js";
import { topics } from "../ports/broker.js";
import type { AccountStore } from "../ports/store.js";
import { Delivery } from "./delivery.js";
import { PresenceService } from "./presence-service.js";

/** The presence service over in-memory ports, recording last-seen writes and the presence events published. */
async function harness(graceMs: number, userIds: readonly string[]) {
  const writes: { userIds: string[]; at: number[] }[] = [];
  const accounts = {
    setLastSeen: async () => assert.fail("last-seen is written in batches"),
    setLastSeenMany: async (seen: readonly { userId: string; at: number }[]) => {
      writes.push({ userIds: seen.map((s) => s.userId), at: seen.map((s) => s.at) });
    },
  } as unknown as AccountStore;
  const broker = new MemoryBroker();
  const events: { userId: string; online: boolean; lastSeenAt: number }[] = [];
  for (const id of userIds) {
    await broker.subscribe(topics.presence(id), (m) => {
      if (m.type === "frame") events.push(JSON.parse(m.frame).data);
    });
  }
  const failures = new BestEffort(createLogger({ logLevel: "silent" }), new Metrics(false));
  const service = new PresenceService(new MemoryPresenceStore(), accounts, new Delivery(broker), graceMs, failures);
  return { service, writes, events };
}

describe("PresenceService going offline", () => {
  it("writes the last-seen time of users whose grace ran out together in one batch, then announces each", async () => {
    const users = Array.from({ length: 50 }, (_, i) => `u${i}`);
    const { service, writes, events } = await harness(20, users);
    for (const u of users) await service.connected(u, `c-${u}`);
    assert.equal(events.filter((e) => e.online).length, 50, "each announced online once");
    events.length = 0;
    for (const u of users) await service.disconnected(u, `c-${u}`);
    await sleep(250);
    assert.equal(writes.length, 1, "one write for the burst");
    assert.deepEqual([...writes[0]!.userIds].sort(), [...users].sort());
    assert.equal(events.length, 50);
    const written = new Map(writes[0]!.userIds.map((u, i) => [u, writes[0]!.at[i]]));
    for (const e of events) assert.deepEqual([e.online, e.lastSeenAt], [false, written.get(e.userId)]);
    service.close();
  });

  it("leaves out a user who came back within the grace period, and does not write for a burst of none", async () => {
    const { service, writes, events } = await harness(30, ["a", "b"]);
    await service.connected("a", "a1");
    await service.connected("b", "b1");
    await service.disconnected("a", "a1");
    await service.disconnected("b", "b1");
    await sleep(5);
    await service.connected("b", "b2"); // back within the grace: no flap
    await sleep(250);
    assert.deepEqual(
      writes.map((w) => w.userIds),
      [["a"]],
    );
    assert.deepEqual(
      events.filter((e) => !e.online).map((e) => e.userId),
      ["a"],
    );
    await service.disconnected("b", "b2");
    service.close(); // closing drops the pending grace: nothing more is written
    await sleep(250);
    assert.equal(writes.length, 1);
  });
});
