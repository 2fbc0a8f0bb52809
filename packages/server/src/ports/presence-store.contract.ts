// The contract every PresenceStore adapter must pass: device counting across connections and the online query.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { PresenceStore } from "./presence-store.js";

export function runPresenceStoreContract(name: string, make: () => Promise<PresenceStore>): void {
  describe(`PresenceStore contract: ${name}`, () => {
    let p: PresenceStore;
    before(async () => {
      p = await make();
    });
    after(() => p.close());

    it("is online while any device is connected", async () => {
      assert.equal(await p.connect("u1", "c1"), true, "first device makes the user online");
      assert.equal(await p.connect("u1", "c2"), false);
      assert.deepEqual([...(await p.online(["u1", "u2"]))], ["u1"]);
      assert.equal(await p.disconnect("u1", "c1"), false, "one device left");
      assert.equal(await p.disconnect("u1", "c2"), true, "last device gone");
      assert.deepEqual([...(await p.online(["u1"]))], []);
    });

    it("treats disconnect of an unknown device as offline and is idempotent", async () => {
      assert.equal(await p.disconnect("u9", "nope"), true);
      await p.connect("u3", "c1");
      await p.connect("u3", "c1");
      assert.equal(await p.disconnect("u3", "c1"), true, "the same device counted once");
    });

    it("accepts heartbeats for live devices", async () => {
      await p.connect("u4", "c1");
      assert.deepEqual(await p.heartbeat([{ userId: "u4", connectionId: "c1" }]), [], "a live device is not revived");
      assert.deepEqual([...(await p.online(["u4"]))], ["u4"]);
      assert.deepEqual(await p.expired(100), [], "nothing expires while its node heartbeats");
    });

    it("answers ping", async () => {
      await p.ping();
    });
  });
}
