#!/usr/bin/env node
// `npm run faults`: the full fault run (docs/reliability.md) on the fault rig, with raw-protocol and SDK clients.
// Usage: node scripts/faults.mjs [--only <substring of a scenario name>] [--write-docs]   (as root; build first)
// Exits 1 when a scenario lost, duplicated, reordered or invented a message, lowered a receipt, or did not converge.
import { sdkClientsFor } from "../packages/client/dist-test/testing/sdk-fault-client.js";
import { runFaults } from "../packages/server/dist-test/testing.js";

const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const { ok } = await runFaults({
  ...(only === undefined ? {} : { only }),
  writeDocs: args.includes("--write-docs"),
  clients: sdkClientsFor,
  clientsDescription:
    "six users per scenario: two SDK clients (WebSocket, long polling), two raw long-poll and two raw WebSocket clients (all raw in the mid-send scenario)",
});
process.exit(ok ? 0 : 1);
