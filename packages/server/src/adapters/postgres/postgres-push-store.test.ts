// Runs the PushStore contract against PostgresPushStore in a schema of its own, dropped afterwards.

import { randomBytes } from "node:crypto";
import pg from "pg";
import { runPushStoreContract } from "../../ports/push-store.contract.js";
import { requireService } from "../../test/services.js";
import { PostgresPushStore } from "./postgres-push-store.js";
import { PostgresStore } from "./postgres-store.js";

const DATABASE_URL = process.env["PARLEY_TEST_DATABASE_URL"] ?? "postgres://postgres@127.0.0.1:5432/test";

async function admin<T>(work: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2000, query_timeout: 5000 });
  client.on("error", () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => {});
  }
}

if (await requireService("postgres push store tests", () => admin((c) => c.query("SELECT 1")))) {
  const schema = `parley_test_${randomBytes(6).toString("hex")}`;
  runPushStoreContract(
    "PostgresPushStore",
    async () => {
      const store = await PostgresStore.connect(DATABASE_URL, { schema, poolSize: 4 });
      return { store, push: new PostgresPushStore(store.handle) };
    },
    async ({ store }) => {
      await store.close();
      await admin((c) => c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    },
    { sharedVapidKeys: true },
  );
}
