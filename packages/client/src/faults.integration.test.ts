// The SDK under faults: two of the six fault-rig users run the SDK (WebSocket and long polling) while nodes are
// killed and the load balancer is cut off from a node; what the SDK showed must be each entry once, in order, and
// complete, besides the server keeping every acknowledged message (the rig and checker are @parley/server/testing's).

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  type Deployment,
  formatRowLine,
  probeNetworkRig,
  Rig,
  requireService,
  runScenario,
  SCENARIOS,
  violations,
} from "@parley/server/testing";
import { sdkClientsFor } from "./testing/sdk-fault-client.js";

const available = await requireService(
  "fault rig (root, ip netns, nft, ethtool, python3, haproxy, PostgreSQL 15)",
  probeNetworkRig,
);

describe("SDK under faults: shown once, in order, nothing acknowledged lost (short run)", {
  skip: !available && "fault rig unavailable",
  timeout: 300_000,
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

  for (const name of ["kill -9 of two nodes in turn", "load balancer ↔ node partition"]) {
    it(name, async () => {
      const scenario = SCENARIOS.find((s) => s.name === name);
      assert.ok(deployment && scenario, `no scenario ${name}`);
      const row = await runScenario(deployment, scenario, {
        scale: 0.5,
        warmupMs: 1000,
        convergeTimeoutMs: 20_000,
        clients: sdkClientsFor,
        log: (line) => console.log(line),
      });
      assert.equal(violations(row.verdict), 0, formatRowLine(row));
      assert.notEqual(row.convergedMs, undefined, `the clients did not converge: ${formatRowLine(row)}`);
    });
  }
});
