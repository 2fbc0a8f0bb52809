// Measured, not asserted against a budget: the sizes (and rough times) of a commit, its Welcome and the GroupInfo when
// one commit makes a group of 2 and of 50 members (docs/e2ee.md quotes this test's output).

import assert from "node:assert/strict";
import { performance } from "node:perf_hooks";
import { describe, it } from "node:test";
import type { MlsDeviceKeys } from "./mls-provider.js";
import { TsMlsProvider } from "./ts-mls-provider.js";

describe("MLS sizes", () => {
  for (const members of [2, 50]) {
    it(`one commit making a group of ${members}: commit, Welcome and GroupInfo sizes`, async () => {
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
      const sent = await mls.encrypt(result.state, new TextEncoder().encode("x".repeat(110)));
      assert.equal(mls.members(joined.state).length, members);
      const line = {
        members,
        keyPackageBytes: packages[0]!.publicMessage.length,
        commitBytes: result.commit.length,
        welcomeBytes: result.welcome!.length,
        groupInfoBytes: result.groupInfo.length,
        commitMs: Math.round(commitMs),
        joinMs: Math.round(joinMs),
        messageBytesFor110: sent.message.length,
      };
      console.log(`mls-sizes ${JSON.stringify(line)}`);
    });
  }
});
