// The short fault run for CI: the fault rig (network namespaces, the rig's own PostgreSQL and Redis, three nodes behind
// haproxy) with one scenario of each kind of fault at half length; fails on any lost, duplicated, reordered or phantom
// message, a receipt going down, or a client that did not converge. The full run is `npm run faults`.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { requireService } from "../services.js";
import { violations } from "./checker.js";
import { probeNetworkRig } from "./rig/netns.js";
import { type Deployment, Rig } from "./rig/rig.js";
import { formatRowLine, runScenario } from "./runner.js";
import { SCENARIOS, SHORT } from "./scenarios.js";

const available = await requireService(
  "fault rig (root, ip netns, nft, ethtool, python3, haproxy, PostgreSQL 15)",
  probeNetworkRig,
);

describe("faults: nothing acknowledged is lost when the network and the engines misbehave (short run)", {
  skip: !available && "fault rig unavailable",
  timeout: 240_000,
}, () => {
  let rig: Rig | undefined;
  let deployment: Deployment | undefined;

  before(async () => {
    rig = await Rig.start();
    deployment = await rig.deploy();
  });

  after(async () => {
    await deployment?.stop();
    await rig?.destroy();
  });

  for (const name of SHORT) {
    const scenario = SCENARIOS.find((s) => s.name === name);
    it(name, async () => {
      assert.ok(deployment && scenario, `no scenario ${name}`);
      const row = await runScenario(deployment, scenario, {
        scale: 0.5,
        warmupMs: 1000,
        convergeTimeoutMs: 20_000,
        log: (line) => console.log(line),
      });
      assert.equal(violations(row.verdict), 0, formatRowLine(row));
      assert.ok(row.verdict.acked > 20, `too little load to judge: ${formatRowLine(row)}`);
      assert.notEqual(row.convergedMs, undefined, `the clients did not converge: ${formatRowLine(row)}`);
    });
  }
});
