// Runs the LinkPreviewStore contract against SqliteLinkPreviewStore on a SQLite file.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runLinkPreviewStoreContract } from "../../ports/link-preview-store.contract.js";
import { SqliteLinkPreviewStore } from "./sqlite-link-preview-store.js";
import { SqliteStore } from "./sqlite-store.js";

let dir = "";
runLinkPreviewStoreContract(
  "SqliteLinkPreviewStore",
  async () => {
    dir = mkdtempSync(join(tmpdir(), "parley-previews-"));
    const store = SqliteStore.open(join(dir, "store.db"));
    return { store, previews: new SqliteLinkPreviewStore(store.handle) };
  },
  async ({ store }) => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  },
);
