// Runs the AdminStore contract against SqliteAdminStore on a SQLite file.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runAdminStoreContract } from "../../ports/admin-store.contract.js";
import { SqliteAdminStore } from "./sqlite-admin-store.js";
import { SqliteStore } from "./sqlite-store.js";

let dir = "";
runAdminStoreContract(
  "SqliteAdminStore",
  async () => {
    dir = mkdtempSync(join(tmpdir(), "parley-admin-"));
    const store = SqliteStore.open(join(dir, "store.db"));
    return {
      store,
      admin: new SqliteAdminStore(store.handle),
      exec: async (sql) => {
        store.db.exec(sql);
      },
    };
  },
  async ({ store }) => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
