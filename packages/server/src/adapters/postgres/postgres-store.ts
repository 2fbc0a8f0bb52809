// The cluster Store: the Store port on PostgreSQL (node-postgres pool), correct with several server nodes writing at
// once. Each role is its own adapter over one shared PostgresHandle; this file only builds them and puts them together.

import type { Pool } from "pg";
import { ComposedStore } from "../store-composition.js";
import { PostgresAccounts } from "./postgres-accounts.js";
import { PostgresConversations } from "./postgres-conversations.js";
import { PostgresHandle, type PostgresOptions } from "./postgres-handle.js";
import { PostgresLog } from "./postgres-log.js";
import { PostgresReceipts } from "./postgres-receipts.js";
import { PostgresRetention } from "./postgres-retention.js";
import { PostgresMessageSearch } from "./postgres-search.js";

export type { PostgresOptions };

function roles(handle: PostgresHandle) {
  const conversations = new PostgresConversations(handle);
  return {
    handle,
    accounts: new PostgresAccounts(handle),
    conversations,
    log: new PostgresLog(handle, conversations),
    receipts: new PostgresReceipts(handle),
    search: new PostgresMessageSearch(handle),
    retention: new PostgresRetention(handle),
  };
}

/** The Store port on PostgreSQL: the role adapters over one handle (postgres-handle.ts). */
export class PostgresStore extends ComposedStore {
  /** The pool and transactions every role shares; the push and upload stores take it too. */
  readonly handle: PostgresHandle;

  /** Connects, creates the schema if asked to, and migrates (once, whichever node gets there first). */
  static async connect(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
    return new PostgresStore(await PostgresHandle.connect(url, options));
  }

  constructor(handle: PostgresHandle) {
    super(roles(handle));
    this.handle = handle;
  }

  /** The handle's pool (tests and benchmarks run their own statements on it). */
  get pool(): Pool {
    return this.handle.pool;
  }
}
