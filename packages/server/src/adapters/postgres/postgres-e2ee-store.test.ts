// Runs the E2eeStore contract against PostgresE2eeStore in a schema of its own, dropped afterwards.

import { runE2eeStoreContract } from "../../ports/e2ee-store.contract.js";
import { dropSchema, probePostgres, TEST_DATABASE_URL, uniqueName } from "../../test/cluster-harness.js";
import { requireService } from "../../test/services.js";
import { PostgresE2eeStore } from "./postgres-e2ee-store.js";
import { PostgresStore } from "./postgres-store.js";

if (await requireService("postgres E2EE store tests", () => probePostgres())) {
  const schema = uniqueName("parley_e2ee");
  runE2eeStoreContract(
    "PostgresE2eeStore",
    async () => {
      const store = await PostgresStore.connect(TEST_DATABASE_URL, { schema, poolSize: 4 });
      return { store, e2ee: new PostgresE2eeStore(store.handle) };
    },
    async ({ store }) => {
      await store.close();
      await dropSchema(schema);
    },
  );
}
