// The server console's administration commands (`parley-server admin grant|revoke <username>`): run on the server,
// against its store, with the same configuration (environment) as the server; no token needed, every change audited.

import { join, resolve } from "node:path";
import { PostgresAdminStore } from "./adapters/postgres/postgres-admin-store.js";
import { PostgresStore } from "./adapters/postgres/postgres-store.js";
import { SqliteAdminStore } from "./adapters/sqlite/sqlite-admin-store.js";
import { SqliteStore } from "./adapters/sqlite/sqlite-store.js";
import { loadConfig } from "./config/index.js";
import type { AdminStore } from "./ports/admin-store.js";

export const ADMIN_USAGE = `Usage: parley-server admin grant <username>    make the user an administrator
       parley-server admin revoke <username>   take the role away
Uses the server's configuration (PARLEY_DATA_DIR, or PARLEY_DATABASE_URL and PARLEY_DATABASE_SCHEMA).`;

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Runs `admin <verb> <username>`; resolves with the process exit status (0 done, 1 failed, 2 usage). */
export async function runAdminCommand(args: readonly string[], env: NodeJS.ProcessEnv, io: Output): Promise<number> {
  const [verb, username, ...rest] = args;
  if ((verb !== "grant" && verb !== "revoke") || !username || rest.length > 0) {
    io.err(ADMIN_USAGE);
    return 2;
  }
  const config = loadConfig(env);
  const { admin, close } = await openAdminStore(config.databaseUrl, config.databaseSchema, resolve(config.dataDir));
  try {
    const name = username.toLowerCase();
    const user = await admin.setAdmin(name, verb === "grant", { at: Date.now(), actorId: null, details: { via: "console" } });
    if (!user) {
      io.err(`parley-server: no user named "${name}"`);
      return 1;
    }
    io.out(verb === "grant" ? `${name} is now an administrator` : `${name} is no longer an administrator`);
    return 0;
  } finally {
    await close();
  }
}

async function openAdminStore(
  databaseUrl: string | undefined,
  schema: string | undefined,
  dataDir: string,
): Promise<{ admin: AdminStore; close: () => Promise<void> }> {
  if (databaseUrl === undefined) {
    const store = SqliteStore.open(join(dataDir, "parley.db"));
    return { admin: new SqliteAdminStore(store.handle), close: () => store.close() };
  }
  const store = await PostgresStore.connect(databaseUrl, { poolSize: 1, ...(schema === undefined ? {} : { schema }) });
  return { admin: new PostgresAdminStore(store.handle), close: () => store.close() };
}
