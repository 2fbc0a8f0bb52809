// Runs the PushStore contract against SqlitePushStore on a SQLite file.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runPushStoreContract } from "../../ports/push-store.contract.js";
import { SqlitePushStore } from "./sqlite-push-store.js";
import { SqliteStore } from "./sqlite-store.js";

let dir = "";
runPushStoreContract(
  "SqlitePushStore",
  async () => {
    dir = mkdtempSync(join(tmpdir(), "parley-push-"));
    const store = SqliteStore.open(join(dir, "store.db"));
    return { store, push: new SqlitePushStore(store.handle) };
  },
  async ({ store }) => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
