// The sweep of devices whose session expired (protocol §6.15, "Devices that leave"), over a real store and bus: each
// such device leaves the directory and is announced once (`e2ee.device.removed`) to its user and the members of the
// user's encrypted conversations, not to someone who shares only a plain conversation; live devices stay.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MemoryBroker } from "../adapters/memory/memory-broker.js";
import { SqliteE2eeStore } from "../adapters/sqlite/sqlite-e2ee-store.js";
import { SqliteStore } from "../adapters/sqlite/sqlite-store.js";
import { topics } from "../ports/broker.js";
import { Delivery } from "./delivery.js";
import { E2eeService } from "./e2ee-service.js";

const NOW = Date.now();
const DAY = 86_400_000;

describe("E2eeService.sweepExpiredDevices", () => {
  it("announces each expired device once to its user and the members of its encrypted conversations", async () => {
    const store = SqliteStore.open(":memory:");
    const e2ee = new SqliteE2eeStore(store.handle);
    const broker = new MemoryBroker();
    const told = new Map<string, string[]>();
    for (const user of ["ann", "bob", "cat", "dan"]) {
      await store.createUser({ id: user, username: user, displayName: user, passwordHash: "x", createdAt: 1 });
      told.set(user, []);
      await broker.subscribe(topics.user(user), (message) => {
        if (message.type !== "frame") return;
        const { event, data } = JSON.parse(message.frame) as { event: string; data: { deviceId: string } };
        if (event === "e2ee.device.removed") told.get(user)!.push(data.deviceId);
      });
    }
    const device = async (userId: string, id: string, expiresAt: number) => {
      await store.createSession({ id, userId, deviceName: id, refreshHash: id, createdAt: NOW - DAY, expiresAt });
      await e2ee.registerDevice({ userId, deviceId: id, signatureKey: new Uint8Array(32).fill(id.length), now: NOW - DAY });
    };
    await device("ann", "ann-phone", NOW + DAY);
    await device("bob", "bob-old", NOW - 1);
    await device("bob", "bob-new", NOW + DAY);
    // Bob shares an encrypted group with Ann, and only a plain one with Cat; Dan shares nothing with him.
    await store.createGroup({
      id: "secret",
      title: "s",
      ownerId: "ann",
      memberIds: ["bob"],
      createdAt: 1,
      messageId: "m1",
      encrypted: true,
    });
    await store.createGroup({ id: "plain", title: "p", ownerId: "cat", memberIds: ["bob"], createdAt: 1, messageId: "m2" });
    const service = new E2eeService(
      e2ee,
      store,
      { submit: async () => assert.fail("nothing is appended") },
      new Delivery(broker),
    );

    assert.equal(await service.sweepExpiredDevices(NOW), 1);
    assert.equal(await service.sweepExpiredDevices(NOW), 0, "announced once");
    assert.deepEqual(Object.fromEntries(told), { ann: ["bob-old"], bob: ["bob-old"], cat: [], dan: [] });
    assert.deepEqual(
      (await e2ee.listDevices(["ann", "bob"], NOW)).map((d) => d.deviceId),
      ["ann-phone", "bob-new"],
    );
    await store.close();
  });
});
