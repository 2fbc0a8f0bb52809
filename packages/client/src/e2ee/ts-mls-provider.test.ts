// The ts-mls provider on its own: groups, Welcomes, encryption, removal, the credential check and tampering.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { MlsDeviceKeys, MlsIdentity } from "./mls-provider.js";
import { TsMlsProvider } from "./ts-mls-provider.js";

const text = new TextEncoder();
const DAY = 86_400_000;

describe("TsMlsProvider", () => {
  /** The directory these tests trust: every device made here, with its signature key. */
  const directory = new Map<string, Uint8Array>();
  const key = (i: MlsIdentity) => `${i.userId}/${i.deviceId}`;
  const check = async (identity: MlsIdentity, signatureKey: Uint8Array) =>
    Buffer.from(directory.get(key(identity)) ?? []).equals(Buffer.from(signatureKey));

  async function device(mls: TsMlsProvider, userId: string, deviceId: string): Promise<MlsDeviceKeys> {
    const keys = await mls.newDevice({ userId, deviceId });
    directory.set(key(keys), keys.signaturePublicKey);
    return keys;
  }

  it("adds by KeyPackage, joins by Welcome, encrypts both ways and locks a removed member out", async () => {
    const mls = await TsMlsProvider.create(check);
    const [a, b, c] = [await device(mls, "ua", "da"), await device(mls, "ub", "db"), await device(mls, "uc", "dc")];
    const [bPkg] = await mls.createKeyPackages(b, 1, DAY);
    const [cPkg] = await mls.createKeyPackages(c, 1, DAY);
    let aState = await mls.createGroup(a, "G1");
    assert.equal(mls.epoch(aState), 0);
    const added = await mls.commit(aState, { add: [bPkg!.publicMessage, cPkg!.publicMessage] });
    aState = added.state;
    assert.equal(added.epoch, 0);
    assert.ok(added.welcome);
    const bJoin = await mls.join(b, added.welcome, [bPkg!]);
    const cJoin = await mls.join(c, added.welcome, [cPkg!]);
    assert.equal(bJoin.used, bPkg!.ref);
    assert.equal(bJoin.epoch, 1);
    assert.deepEqual(
      mls.members(bJoin.state).map((m) => m.userId),
      ["ua", "ub", "uc"],
    );
    let bState = bJoin.state;
    let cState = cJoin.state;

    const hello = await mls.encrypt(aState, text.encode("hello b and c"));
    aState = hello.state;
    const atB = await mls.process(bState, hello.message);
    assert.equal(atB.kind, "application");
    bState = atB.state;
    assert.equal(atB.kind === "application" && new TextDecoder().decode(atB.plaintext), "hello b and c");
    assert.deepEqual(atB.kind === "application" && atB.sender, { userId: "ua", deviceId: "da" }, "the signing device");
    const fromC = await mls.encrypt(cState, text.encode("from c"));
    cState = fromC.state;
    const cAtB = await mls.process(bState, fromC.message);
    bState = cAtB.state;
    assert.deepEqual(cAtB.kind === "application" && cAtB.sender, { userId: "uc", deviceId: "dc" });

    const removal = await mls.commit(bState, { remove: [{ userId: "uc", deviceId: "dc" }] });
    bState = removal.state;
    aState = (await mls.process(aState, removal.commit)).state;
    assert.equal(mls.epoch(aState), 2);
    assert.deepEqual(
      mls.members(aState).map((m) => m.userId),
      ["ua", "ub"],
    );
    const secret = await mls.encrypt(aState, text.encode("after the removal"));
    await assert.rejects(mls.process(cState, secret.message), "the removed member's old state cannot read what follows");
    // Processing its own removal (it may: RFC 9420 §12.4.2) leads nowhere either.
    const afterRemoval = await mls.process(cState, removal.commit).then(
      (r) => r.state,
      () => undefined,
    );
    if (afterRemoval !== undefined) await assert.rejects(mls.process(afterRemoval, secret.message));
    cState = new Uint8Array(0);
  });

  it("refuses a KeyPackage whose credential the directory does not list with that key", async () => {
    const mls = await TsMlsProvider.create(check);
    const a = await device(mls, "ua2", "da2");
    const impostor = await mls.newDevice({ userId: "ub2", deviceId: "db2" });
    directory.set(key(impostor), (await mls.newDevice({ userId: "x", deviceId: "x" })).signaturePublicKey);
    const [pkg] = await mls.createKeyPackages(impostor, 1, DAY);
    const state = await mls.createGroup(a, "G2");
    await assert.rejects(mls.commit(state, { add: [pkg!.publicMessage] }));
  });

  it("refuses a tampered ciphertext", async () => {
    const mls = await TsMlsProvider.create(check);
    const [a, b] = [await device(mls, "ua3", "da3"), await device(mls, "ub3", "db3")];
    const [bPkg] = await mls.createKeyPackages(b, 1, DAY);
    const added = await mls.commit(await mls.createGroup(a, "G3"), { add: [bPkg!.publicMessage] });
    const bState = (await mls.join(b, added.welcome!, [bPkg!])).state;
    const sent = await mls.encrypt(added.state, text.encode("integrity"));
    const tampered = new Uint8Array(sent.message);
    tampered[tampered.length - 5]! ^= 1;
    await assert.rejects(mls.process(bState, tampered));
    const untouched = await mls.process(bState, sent.message);
    assert.equal(untouched.kind, "application");
  });
});
