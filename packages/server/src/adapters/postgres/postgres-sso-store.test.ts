// Runs the SsoStore contract against PostgresSsoStore in a schema of its own, dropped afterwards.

import { runSsoStoreContract } from "../../ports/sso-store.contract.js";
import { dropSchema, probePostgres, TEST_DATABASE_URL, uniqueName } from "../../test/cluster-harness.js";
import { requireService } from "../../test/services.js";
import { PostgresSsoStore } from "./postgres-sso-store.js";
import { PostgresStore } from "./postgres-store.js";

if (await requireService("postgres SSO store tests", () => probePostgres())) {
  const schema = uniqueName("parley_sso");
  runSsoStoreContract(
    "PostgresSsoStore",
    async () => {
      const store = await PostgresStore.connect(TEST_DATABASE_URL, { schema, poolSize: 4 });
      return { store, sso: new PostgresSsoStore(store.handle) };
    },
    async ({ store }) => {
      await store.close();
      await dropSchema(schema);
    },
  );
}
