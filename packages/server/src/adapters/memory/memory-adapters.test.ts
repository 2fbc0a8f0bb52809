// Runs the bus and presence contracts against the in-process adapters.

import { runBrokerContract } from "../../ports/broker.contract.js";
import { runPresenceStoreContract } from "../../ports/presence-store.contract.js";
import { MemoryBroker } from "./memory-broker.js";
import { MemoryPresenceStore } from "./memory-presence-store.js";

runBrokerContract("MemoryBroker", async () => {
  const broker = new MemoryBroker();
  return [broker, broker];
});

runPresenceStoreContract("MemoryPresenceStore", async () => new MemoryPresenceStore());
