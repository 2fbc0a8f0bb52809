// Runs the SsoStore contract against SqliteSsoStore on a SQLite file.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runSsoStoreContract } from "../../ports/sso-store.contract.js";
import { SqliteSsoStore } from "./sqlite-sso-store.js";
import { SqliteStore } from "./sqlite-store.js";

let dir = "";
runSsoStoreContract(
  "SqliteSsoStore",
  async () => {
    dir = mkdtempSync(join(tmpdir(), "parley-sso-"));
    const store = SqliteStore.open(join(dir, "store.db"));
    return { store, sso: new SqliteSsoStore(store.handle) };
  },
  async ({ store }) => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
