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

describe("MLS sizes", () => {
  for (const members of sizes) {
    it(`one commit making a group of ${members}: sizes, commit/join/process times, message times`, async () => {
      const mls = await TsMlsProvider.create(async () => true);
      const devices: MlsDeviceKeys[] = [];
      for (let i = 0; i < members; i++) devices.push(await mls.newDevice({ userId: `u${i}`, deviceId: `d${i}` }));
      const packages = [];
      for (const d of devices.slice(1)) packages.push(...(await mls.createKeyPackages(d, 1, 86_400_000)));
      const state = await mls.createGroup(devices[0]!, `sizes-${members}`);
      const started = performance.now();
      const result = await mls.commit(state, { add: packages.map((p) => p.publicMessage) });
      const commitMs = performance.now() - started;
      const joinStarted = performance.now();
      const joined = await mls.join(devices[1]!, result.welcome!, [packages[0]!]);
      const joinMs = performance.now() - joinStarted;
      assert.equal(mls.members(joined.state).length, members);
      // A removal of one member (in a group of 2, a key update), processed by another: what every member pays when
      // someone leaves.
      const last = { userId: `u${members - 1}`, deviceId: `d${members - 1}` };
      const removal = await mls.commit(result.state, members > 2 ? { remove: [last] } : {});
      const processStarted = performance.now();
      const processed = await mls.process(joined.state, removal.commit);
      const processMs = performance.now() - processStarted;
      // Messages of 110 bytes, encrypted by the creator and decrypted by the joined member, one at a time.
      let sender = removal.state;
      let receiver = processed.state;
      let encryptMs = 0;
      let decryptMs = 0;
      let messageBytes = 0;
      for (let i = 0; i < MESSAGES; i++) {
        const t0 = performance.now();
        const sent = await mls.encrypt(sender, new TextEncoder().encode("x".repeat(110)));
        const t1 = performance.now();
        const opened = await mls.process(receiver, sent.message);
        const t2 = performance.now();
        assert.equal(opened.kind, "application");
        sender = sent.state;
        receiver = opened.state;
        encryptMs += t1 - t0;
        decryptMs += t2 - t1;
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
        encryptMsPerMessage: Number((encryptMs / MESSAGES).toFixed(2)),
        decryptMsPerMessage: Number((decryptMs / MESSAGES).toFixed(2)),
      };
      console.log(`mls-sizes ${JSON.stringify(line)}`);
    });
  }
});
