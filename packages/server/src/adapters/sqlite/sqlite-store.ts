// The embedded Store: accounts, conversations, messages and receipts in one SQLite file (better-sqlite3, WAL). Each
// role is its own adapter over one shared SqliteHandle; this file only builds them and puts them together.

import type Database from "better-sqlite3-multiple-ciphers";
import { ComposedStore } from "../store-composition.js";
import { SearchIndexer } from "./search-indexer.js";
import { SqliteAccounts } from "./sqlite-accounts.js";
import { SqliteConversations } from "./sqlite-conversations.js";
import { SqliteHandle, type SqliteOptions } from "./sqlite-handle.js";
import { SqliteLog } from "./sqlite-log.js";
import { SqliteReceipts } from "./sqlite-receipts.js";
import { SqliteRetention } from "./sqlite-retention.js";
import { SqliteMessageSearch } from "./sqlite-search.js";

export type { SqliteOptions };

function roles(handle: SqliteHandle, options: SqliteOptions) {
  const searchIndexer = new SearchIndexer(handle.db, {
    ...(options.searchIndexIntervalMs === undefined ? {} : { intervalMs: options.searchIndexIntervalMs }),
    ...(options.searchIndexBatchSize === undefined ? {} : { batchSize: options.searchIndexBatchSize }),
    ...(options.searchIndexStepMs === undefined ? {} : { stepBudgetMs: options.searchIndexStepMs }),
    ...(options.onSearchIndexError === undefined ? {} : { onError: options.onSearchIndexError }),
  });
  // What is still pending at close is indexed then: a cleanly closed file needs no indexing at its next open.
  handle.onClose(() => searchIndexer.close());
  // Left by a crash (or by writes of another process): indexed shortly after start, not at the first search.
  if (searchIndexer.hasPending()) searchIndexer.schedule();
  const conversations = new SqliteConversations(handle);
  return {
    handle,
    searchIndexer,
    accounts: new SqliteAccounts(handle),
    conversations,
    log: new SqliteLog(handle, conversations, searchIndexer),
    receipts: new SqliteReceipts(handle),
    search: new SqliteMessageSearch(handle, searchIndexer),
    retention: new SqliteRetention(handle),
  };
}

/** The Store port on one SQLite database: the role adapters over one handle (sqlite-handle.ts). */
export class SqliteStore extends ComposedStore {
  /** The connection, transactions and caches every role shares; the push and upload stores take it too. */
  readonly handle: SqliteHandle;
  /** Moves sent messages into the search index in the background (migration 6); searches flush it first. */
  readonly searchIndexer: SearchIndexer;

  /** Opens (creating if needed, with its parent directory) and migrates the database at `path`; ":memory:" works. */
  static open(path: string, options: SqliteOptions = {}): SqliteStore {
    return new SqliteStore(SqliteHandle.openDatabase(path, options.encryptionKey), options);
  }

  /**
   * Takes ownership of `db`: sets the pragmas, migrates, and prepares every statement once. `db` stays reachable
   * for backups and tests; writing through it bypasses the seq cache.
   */
  constructor(db: Database.Database, options: SqliteOptions = {}) {
    const built = roles(new SqliteHandle(db, options), options);
    super(built);
    this.handle = built.handle;
    this.searchIndexer = built.searchIndexer;
  }

  get db(): Database.Database {
    return this.handle.db;
  }

  /** How many conversations' last seqs are cached (tests check the bound). */
  get cachedSeqCount(): number {
    return this.handle.cachedSeqCount;
  }
}
