// Every byte a test server's database holds, to search for plaintext that must not be there (end-to-end encryption
// tests): the SQLite files (main and WAL) of a data directory, or every row of every table of a PostgreSQL schema
// (as text: bytea columns appear in hex, so a caller searches for the hex of a secret too).

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TEST_DATABASE_URL } from "@parley/server/testing";
import pg from "pg";

export async function databaseBytes(where: { dataDir: string } | { schema: string; url?: string }): Promise<Buffer> {
  if ("dataDir" in where) {
    const files = readdirSync(where.dataDir).filter((f) => f.endsWith(".db") || f.endsWith(".db-wal"));
    assert.ok(files.length > 0, "no SQLite file found");
    return Buffer.concat(files.map((f) => readFileSync(join(where.dataDir, f))));
  }
  const client = new pg.Client({ connectionString: where.url ?? TEST_DATABASE_URL });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'",
      [where.schema],
    );
    assert.ok(tables.rows.length > 0, `no table in schema ${where.schema}`);
    const parts: Buffer[] = [];
    for (const { table_name } of tables.rows) {
      const rows = await client.query<{ row: string }>(`SELECT t::text AS row FROM "${where.schema}"."${table_name}" AS t`);
      for (const r of rows.rows) parts.push(Buffer.from(r.row));
    }
    return Buffer.concat(parts);
  } finally {
    await client.end();
  }
}

/** Asserts that `dump` holds none of `secrets`, neither as text nor as the hex of their bytes. */
export function assertNoPlaintext(dump: Buffer, secrets: readonly string[]): void {
  for (const s of secrets) {
    assert.ok(!dump.includes(Buffer.from(s)), `the database holds the plaintext ${s}`);
    assert.ok(!dump.includes(Buffer.from(Buffer.from(s).toString("hex"))), `the database holds ${s} as bytes`);
  }
}
