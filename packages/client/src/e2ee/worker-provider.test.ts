// The worker-backed provider over a real MessageChannel (what a Web Worker's port is in a browser): E2ee's calls cross
// it, the credential check comes back to the page's side, failures arrive as rejections. And over ends that behave
// like a Web Worker's (a message nobody listens to yet is lost): the page connects whenever it gets to it.

import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { MessageChannel } from "node:worker_threads";
import type { CredentialCheck, MlsIdentity } from "./mls-provider.js";
import { TsMlsProvider } from "./ts-mls-provider.js";
import { type MlsPort, PortMlsProvider, serveMlsProvider } from "./worker-provider.js";

/**
 * Two ends that deliver like a Web Worker and its page: a message is dispatched soon after it is posted to whoever
 * listens then, and lost if nobody does (a MessagePort, unlike these, keeps messages until it is started).
 */
function workerLikePair(): [MlsPort, MlsPort] {
  const listeners: [((event: { data: unknown }) => void)[], ((event: { data: unknown }) => void)[]] = [[], []];
  const end = (me: 0 | 1): MlsPort => ({
    postMessage(message) {
      const copy = structuredClone(message);
      setTimeout(() => {
        for (const listener of listeners[me === 0 ? 1 : 0]) listener({ data: copy });
      }, 0);
    },
    addEventListener(_type, listener) {
      listeners[me].push(listener);
    },
  });
  return [end(0), end(1)];
}

const allowAll: CredentialCheck = async () => true;

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

  it("connects to a worker that was ready long before the page listened (a busy page loading its MLS code)", {
    timeout: 10_000,
  }, async () => {
    const [page, worker] = workerLikePair();
    let made!: () => void;
    const ready = new Promise<void>((resolve) => (made = resolve));
    serveMlsProvider(worker, async (c) => {
      const mls = await TsMlsProvider.create(c);
      made();
      return mls;
    });
    await ready;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const provider = await PortMlsProvider.connect(page, allowAll, await TsMlsProvider.create(allowAll));
    const device = await provider.newDevice({ userId: "UA", deviceId: "DA" });
    assert.equal(device.deviceId, "DA");
  });

  it("connecting to a worker that does not answer fails after the timeout; one that cannot start fails with its reason", {
    timeout: 10_000,
  }, async () => {
    const local = await TsMlsProvider.create(allowAll);
    const [silent] = workerLikePair();
    await assert.rejects(PortMlsProvider.connect(silent, allowAll, local, { timeoutMs: 50 }), /did not answer within/);
    const [page, worker] = workerLikePair();
    serveMlsProvider(worker, async () => {
      throw new Error("no Web Crypto here");
    });
    await assert.rejects(PortMlsProvider.connect(page, allowAll, local), /could not start: Error: no Web Crypto here/);
  });
});
