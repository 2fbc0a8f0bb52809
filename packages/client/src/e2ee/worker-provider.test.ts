// The worker-backed provider over a real MessageChannel (what a Web Worker's port is in a browser): E2ee's calls cross
// it, the credential check comes back to the page's side, failures arrive as rejections.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { MessageChannel } from "node:worker_threads";
import type { CredentialCheck, MlsIdentity } from "./mls-provider.js";
import { TsMlsProvider } from "./ts-mls-provider.js";
import { type MlsPort, PortMlsProvider, serveMlsProvider } from "./worker-provider.js";

describe("PortMlsProvider ↔ serveMlsProvider", () => {
  const channels: MessageChannel[] = [];
  after(() => {
    for (const c of channels) {
      c.port1.close();
      c.port2.close();
    }
  });

  async function pair(check: CredentialCheck): Promise<PortMlsProvider> {
    const channel = new MessageChannel();
    channels.push(channel);
    serveMlsProvider(channel.port2 as unknown as MlsPort, (c) => TsMlsProvider.create(c));
    return PortMlsProvider.connect(channel.port1 as unknown as MlsPort, check, await TsMlsProvider.create(check));
  }

  it("creates a group, adds a device, and the two exchange a message; checks run on the page's side", async () => {
    const checked: MlsIdentity[] = [];
    const allow: CredentialCheck = async (identity) => {
      checked.push(identity);
      return true;
    };
    const alice = await pair(allow);
    const bob = await pair(allow);
    assert.equal(alice.ciphersuite, "MLS_128_DHKEMX25519_AES128GCM_SHA256_Ed25519");
    const a = await alice.newDevice({ userId: "UA", deviceId: "DA" });
    const b = await bob.newDevice({ userId: "UB", deviceId: "DB" });
    const [kp] = await bob.createKeyPackages(b, 1, 3_600_000);
    const group = await alice.createGroup(a, "C1");
    assert.equal(alice.epoch(group), 0);
    const added = await alice.commit(group, { add: [kp!.publicMessage] });
    assert.deepEqual(
      alice
        .members(added.state)
        .map((m) => m.userId)
        .sort(),
      ["UA", "UB"],
    );
    const joined = await bob.join(b, added.welcome!, [kp!]);
    assert.equal(joined.epoch, 1);
    const sent = await alice.encrypt(added.state, new TextEncoder().encode("hello"));
    const got = await bob.process(joined.state, sent.message);
    assert.equal(got.kind, "application");
    if (got.kind === "application") {
      assert.equal(new TextDecoder().decode(got.plaintext), "hello");
      assert.deepEqual(got.sender, { userId: "UA", deviceId: "DA" });
    }
    assert.ok(
      checked.some((c) => c.userId === "UB"),
      "the worker asked the page about Bob's credential",
    );
  });

  it("a refused credential and a bad message come back as rejections", async () => {
    const refuse: CredentialCheck = async () => false;
    const alice = await pair(refuse);
    const bob = await pair(refuse);
    const a = await alice.newDevice({ userId: "UA", deviceId: "DA" });
    const b = await bob.newDevice({ userId: "UB", deviceId: "DB" });
    const [kp] = await bob.createKeyPackages(b, 1, 3_600_000);
    const group = await alice.createGroup(a, "C2");
    await assert.rejects(alice.commit(group, { add: [kp!.publicMessage] }));
    await assert.rejects(alice.process(group, new Uint8Array([1, 2, 3])));
  });
});
