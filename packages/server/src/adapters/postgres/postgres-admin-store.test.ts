// Runs the AdminStore contract against PostgresAdminStore in a schema of its own, dropped afterwards.

import { runAdminStoreContract } from "../../ports/admin-store.contract.js";
import { dropSchema, probePostgres, TEST_DATABASE_URL, uniqueName } from "../../test/cluster-harness.js";
import { requireService } from "../../test/services.js";
import { PostgresAdminStore } from "./postgres-admin-store.js";
import { PostgresStore } from "./postgres-store.js";

if (await requireService("postgres admin store tests", () => probePostgres())) {
  const schema = uniqueName("parley_admin");
  runAdminStoreContract(
    "PostgresAdminStore",
    async () => {
      const store = await PostgresStore.connect(TEST_DATABASE_URL, { schema, poolSize: 4 });
      return {
        store,
        admin: new PostgresAdminStore(store.handle),
        exec: async (sql) => {
          await store.pool.query(sql);
        },
      };
    },
    async ({ store }) => {
      await store.close();
      await dropSchema(schema);
    },
  );
}
