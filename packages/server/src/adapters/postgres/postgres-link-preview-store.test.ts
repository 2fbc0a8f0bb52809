// Runs the LinkPreviewStore contract against PostgresLinkPreviewStore in a schema of its own, dropped afterwards.

import { runLinkPreviewStoreContract } from "../../ports/link-preview-store.contract.js";
import { dropSchema, probePostgres, TEST_DATABASE_URL, uniqueName } from "../../test/cluster-harness.js";
import { requireService } from "../../test/services.js";
import { PostgresLinkPreviewStore } from "./postgres-link-preview-store.js";
import { PostgresStore } from "./postgres-store.js";

if (await requireService("postgres link preview store tests", () => probePostgres())) {
  const schema = uniqueName("parley_previews");
  runLinkPreviewStoreContract(
    "PostgresLinkPreviewStore",
    async () => {
      const store = await PostgresStore.connect(TEST_DATABASE_URL, { schema, poolSize: 4 });
      return { store, previews: new PostgresLinkPreviewStore(store.handle) };
    },
    async ({ store }) => {
      await store.close();
      await dropSchema(schema);
    },
  );
}
