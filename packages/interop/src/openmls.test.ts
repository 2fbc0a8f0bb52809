// Interoperability: groups of Parley's SDK provider (TsMlsProvider, on ts-mls) with an independent MLS implementation,
// Wire's core-crypto (OpenMLS in WebAssembly), both ways, ciphersuite 1, Parley basic credentials on both sides.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { credentialIdentity, type MlsDeviceKeys, type MlsIdentity, TsMlsProvider } from "@parley/client";
import { CoreCryptoDevice } from "./core-crypto.js";

const text = new TextEncoder();
const read = (bytes: Uint8Array | undefined) => new TextDecoder().decode(bytes);
const DAY = 86_400_000;

describe("MLS interoperability with OpenMLS (Wire core-crypto)", () => {
  /** The device directory the provider checks credentials against: Parley devices and core-crypto devices alike. */
  const directory = new Map<string, Uint8Array>();
  const check = async (identity: MlsIdentity, key: Uint8Array) =>
    Buffer.from(directory.get(credentialIdentity(identity)) ?? []).equals(Buffer.from(key));

  async function parleyDevice(mls: TsMlsProvider, userId: string, deviceId: string): Promise<MlsDeviceKeys> {
    const keys = await mls.newDevice({ userId, deviceId });
    directory.set(credentialIdentity(keys), keys.signaturePublicKey);
    return keys;
  }

  async function openMlsDevice(userId: string, deviceId: string): Promise<CoreCryptoDevice> {
    const device = await CoreCryptoDevice.create({ userId, deviceId });
    directory.set(credentialIdentity(device.identity), device.signaturePublicKey);
    return device;
  }

  it("a Parley group adds an OpenMLS device, which joins from the Welcome; messages and commits go both ways", async () => {
    const mls = await TsMlsProvider.create(check);
    const alice = await parleyDevice(mls, "alice", "laptop");
    const bob = await openMlsDevice("bob", "phone");
    const group = "parley-made-group";

    let state = await mls.createGroup(alice, group);
    const added = await mls.commit(state, { add: [await bob.keyPackage()] });
    state = added.state;
    assert.ok(added.welcome);
    assert.equal(await bob.join(added.welcome), group);
    assert.equal(await bob.epoch(group), 1);
    assert.deepEqual(await bob.members(group), ["parley:1:alice:laptop", "parley:1:bob:phone"]);
    assert.deepEqual(
      mls.members(state),
      [alice, bob.identity].map(({ userId, deviceId }) => ({ userId, deviceId })),
    );

    const hello = await mls.encrypt(state, text.encode("hello from Parley"));
    state = hello.state;
    const atBob = await bob.process(group, hello.message);
    assert.equal(read(atBob.plaintext), "hello from Parley");
    assert.equal(atBob.sender, "parley:1:alice:laptop");

    const reply = await mls.process(state, await bob.encrypt(group, text.encode("hello from OpenMLS")));
    state = reply.state;
    assert.equal(reply.kind, "application");
    assert.equal(reply.kind === "application" && read(reply.plaintext), "hello from OpenMLS");
    assert.deepEqual(reply.kind === "application" && reply.sender, bob.identity);

    // A commit by OpenMLS (a self-update with a path) applied by Parley's provider, then one by the provider applied by OpenMLS.
    const update = await bob.update(group);
    const applied = await mls.process(state, update.commit);
    state = applied.state;
    assert.equal(applied.kind, "commit");
    assert.equal(applied.epoch, 2);
    const rotated = await mls.commit(state, {});
    state = rotated.state;
    assert.equal((await bob.process(group, rotated.commit)).epoch, 3);
    const after = await mls.encrypt(state, text.encode("in epoch 3"));
    assert.equal(read((await bob.process(group, after.message)).plaintext), "in epoch 3");
    const back = await mls.process(after.state, await bob.encrypt(group, text.encode("in epoch 3 too")));
    assert.equal(back.kind === "application" && read(back.plaintext), "in epoch 3 too");
    state = back.state;

    // The provider removes the OpenMLS device: core-crypto applies its own removal and cannot read what follows.
    const removal = await mls.commit(state, { remove: [bob.identity] });
    state = removal.state;
    assert.deepEqual(mls.members(state), [{ userId: "alice", deviceId: "laptop" }]);
    assert.equal((await bob.process(group, removal.commit)).active, false);
    const secret = await mls.encrypt(state, text.encode("after the removal"));
    await assert.rejects(bob.process(group, secret.message));
  });

  it("an OpenMLS group adds a Parley device, which joins from the Welcome; messages and commits go both ways", async () => {
    const mls = await TsMlsProvider.create(check);
    const carol = await openMlsDevice("carol", "desktop");
    const dave = await parleyDevice(mls, "dave", "tablet");
    const group = "openmls-made-group";

    await carol.createGroup(group);
    const [davePackage] = await mls.createKeyPackages(dave, 1, DAY);
    const added = await carol.add(group, davePackage!.publicMessage);
    assert.ok(added.welcome);
    const joined = await mls.join(dave, added.welcome.copyBytes(), [davePackage!]);
    let state = joined.state;
    assert.equal(joined.used, davePackage!.ref);
    assert.equal(joined.epoch, 1);
    assert.deepEqual(mls.members(state), [carol.identity, { userId: "dave", deviceId: "tablet" }]);

    const fromCarol = await mls.process(state, await carol.encrypt(group, text.encode("welcome, Parley")));
    state = fromCarol.state;
    assert.equal(fromCarol.kind === "application" && read(fromCarol.plaintext), "welcome, Parley");
    assert.deepEqual(fromCarol.kind === "application" && fromCarol.sender, carol.identity);
    const fromDave = await mls.encrypt(state, text.encode("thanks, OpenMLS"));
    state = fromDave.state;
    const atCarol = await carol.process(group, fromDave.message);
    assert.equal(read(atCarol.plaintext), "thanks, OpenMLS");
    assert.equal(atCarol.sender, "parley:1:dave:tablet");

    const rotated = await mls.commit(state, {});
    state = rotated.state;
    assert.equal((await carol.process(group, rotated.commit)).epoch, 2);
    const update = await carol.update(group);
    const applied = await mls.process(state, update.commit);
    assert.equal(applied.kind === "commit" && applied.epoch, 3);
    const last = await mls.process(applied.state, await carol.encrypt(group, text.encode("epoch 3")));
    assert.equal(last.kind === "application" && read(last.plaintext), "epoch 3");
  });

  it("Parley's provider refuses an OpenMLS KeyPackage whose key the directory does not list for its identity", async () => {
    const mls = await TsMlsProvider.create(check);
    const erin = await parleyDevice(mls, "erin", "laptop");
    const mallory = await CoreCryptoDevice.create({ userId: "frank", deviceId: "phone" });
    directory.set(credentialIdentity(mallory.identity), (await mls.newDevice({ userId: "x", deviceId: "x" })).signaturePublicKey);
    await assert.rejects(mls.commit(await mls.createGroup(erin, "refusing-group"), { add: [await mallory.keyPackage()] }));
  });
});
