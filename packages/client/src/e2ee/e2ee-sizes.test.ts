// Measured, not asserted against a budget: the sizes and rough times of a commit, its Welcome and the GroupInfo when
// one commit makes a group of 2, 50 (and, with PARLEY_MLS_500=1, 500) members, of a member processing that commit,
// and of encrypting and decrypting one message in the group (docs/e2ee.md "Measured" quotes this test's output). The
// 500-member case takes well over 30 s on a busy machine, so the default run leaves it out.

import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { describe, it } from "node:test";
import type { MlsDeviceKeys } from "./mls-provider.js";
import { TsMlsProvider } from "./ts-mls-provider.js";

const sizes = process.env.PARLEY_MLS_500 === "1" ? [2, 50, 500] : [2, 50];
const MESSAGES = 20;

/** The median of per-message times: on a busy machine the mean is mostly its outliers. */
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Number(sorted[Math.floor(sorted.length / 2)]!.toFixed(2));
};

describe("MLS sizes", () => {
  for (const members of sizes) {
    it(`one commit making a group of ${members}: sizes, commit/join/process times, message times`, async () => {
      const mls = await TsMlsProvider.create(async () => true);
      // The member that joins has a provider of its own, as every device does.
      const other = await TsMlsProvider.create(async () => true);
      const devices: MlsDeviceKeys[] = [];
      for (let i = 0; i < members; i++) devices.push(await mls.newDevice({ userId: `u${i}`, deviceId: `d${i}` }));
      const packages = [];
      for (const d of devices.slice(1)) packages.push(...(await mls.createKeyPackages(d, 1, 86_400_000)));
      const state = await mls.createGroup(devices[0]!, `sizes-${members}`);
      const started = performance.now();
      const result = await mls.commit(state, { add: packages.map((p) => p.publicMessage) });
      const commitMs = performance.now() - started;
      const joinStarted = performance.now();
      const joined = await other.join(devices[1]!, result.welcome!, [packages[0]!]);
      const joinMs = performance.now() - joinStarted;
      assert.equal(other.members(joined.state).length, members);
      // A removal of one member (in a group of 2, a key update), processed by another: what every member pays when
      // someone leaves.
      const last = { userId: `u${members - 1}`, deviceId: `d${members - 1}` };
      const removal = await mls.commit(result.state, members > 2 ? { remove: [last] } : {});
      const processStarted = performance.now();
      const processed = await other.process(joined.state, removal.commit);
      const processMs = performance.now() - processStarted;
      // Messages of 110 bytes, encrypted by the creator and decrypted by the joined member, one at a time (medians).
      let sender = removal.state;
      let receiver = processed.state;
      const encryptMs: number[] = [];
      const decryptMs: number[] = [];
      let messageBytes = 0;
      for (let i = 0; i < MESSAGES; i++) {
        const t0 = performance.now();
        const sent = await mls.encrypt(sender, new TextEncoder().encode("x".repeat(110)));
        const t1 = performance.now();
        const opened = await other.process(receiver, sent.message);
        const t2 = performance.now();
        assert.equal(opened.kind, "application");
        sender = sent.state;
        receiver = opened.state;
        encryptMs.push(t1 - t0);
        decryptMs.push(t2 - t1);
        messageBytes = sent.message.length;
      }
      const line = {
        members,
        keyPackageBytes: packages[0]!.publicMessage.length,
        commitBytes: result.commit.length,
        welcomeBytes: result.welcome!.length,
        groupInfoBytes: result.groupInfo.length,
        commitMs: Math.round(commitMs),
        joinMs: Math.round(joinMs),
        removeCommitBytes: removal.commit.length,
        processRemoveMs: Math.round(processMs),
        messageBytesFor110: messageBytes,
        encryptMsMedian: median(encryptMs),
        decryptMsMedian: median(decryptMs),
      };
      console.log(`mls-sizes ${JSON.stringify(line)}`);
    });
  }
});
