// Runs the E2eeStore contract against SqliteE2eeStore on a SQLite file.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runE2eeStoreContract } from "../../ports/e2ee-store.contract.js";
import { SqliteE2eeStore } from "./sqlite-e2ee-store.js";
import { SqliteStore } from "./sqlite-store.js";

let dir = "";
runE2eeStoreContract(
  "SqliteE2eeStore",
  async () => {
    dir = mkdtempSync(join(tmpdir(), "parley-e2ee-"));
    const store = SqliteStore.open(join(dir, "store.db"));
    return { store, e2ee: new SqliteE2eeStore(store.handle) };
  },
  async ({ store }) => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
