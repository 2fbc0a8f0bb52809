// The one pool every cluster store role shares: connecting and migrating, the per-pool bigint parsing and timeouts,
// queries, transactions (with their retries and broken-connection handling) and closing.

import {
  Client,
  type ClientConfig,
  type CustomTypesConfig,
  DatabaseError,
  Pool,
  type PoolClient,
  type QueryConfig,
  type QueryResult,
  type QueryResultRow,
  types,
} from "pg";
import { StoreError } from "../../ports/store.js";
import { assertSchemaName, migrate } from "./migrations.js";

export interface PostgresOptions {
  /** Schema holding every table, created if missing; default: the server's search_path. Tests isolate runs with it. */
  schema?: string;
  /** Connections per node (default 10). */
  poolSize?: number;
  /** Longest wait for a connection, a free pooled one included, before the call rejects (default 5000 ms). */
  connectionTimeoutMs?: number;
  /** Server-side limit per statement, lock waits included (default 15000 ms). */
  statementTimeoutMs?: number;
  /** Statement limit while migrating, advisory lock wait included (default 10 min). */
  migrationTimeoutMs?: number;
  /** Errors of idle pooled connections (server restart, network cut): the pool drops them and reconnects on demand. */
  onError?: (error: Error) => void;
}

const DEFAULT_POOL_SIZE = 10;
const DEFAULT_CONNECTION_TIMEOUT_MS = 5000;
const DEFAULT_STATEMENT_TIMEOUT_MS = 15_000;
const DEFAULT_MIGRATION_TIMEOUT_MS = 600_000;
/** How much longer than statement_timeout the client waits for an answer (at most) before declaring the server gone. */
const CLIENT_GRACE_MS = 5000;
/** A node frozen mid-transaction must not hold conversation locks, and so every writer of them, for longer. */
const IDLE_IN_TRANSACTION_TIMEOUT_MS = 30_000;
/** Attempts of a transaction that lost a deadlock or a serialization race before the error reaches the caller. */
const MAX_ATTEMPTS = 5;

const INT8_OID = 20;

/** bigint columns (ms timestamps, seqs, counts) as numbers: all of them stay far below 2^53. */
function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`bigint ${value} exceeds Number.MAX_SAFE_INTEGER`);
  return n;
}

// Per pool rather than the global `types.setTypeParser`, so other users of pg in the process are unaffected.
const TYPE_PARSERS: CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID ? parseInt8 : types.getTypeParser(oid, format)) as CustomTypesConfig["getTypeParser"],
};

/** Map key of a pair of ids; NUL cannot occur in PostgreSQL text. */
export function pair(a: string, b: string): string {
  return `${a}\u0000${b}`;
}

export function isUniqueViolation(error: unknown, constraint: string): boolean {
  return error instanceof DatabaseError && error.code === "23505" && error.constraint === constraint;
}

/**
 * Failures that a fresh attempt of the same transaction resolves: a lost serialization race or deadlock, and a
 * duplicate clientId committed by another node after this batch checked (the retry then reports it as a duplicate).
 */
function isTransient(error: unknown): boolean {
  if (!(error instanceof DatabaseError)) return false;
  return error.code === "40001" || error.code === "40P01" || isUniqueViolation(error, "messages_client");
}

/**
 * Thrown by a transaction's work to roll back on purpose: `transaction` then resolves to `value`, and the connection
 * goes back to the pool as the healthy connection it is.
 */
export class Rollback<T> extends Error {
  constructor(readonly value: T) {
    super("rolled back");
    this.name = "Rollback";
  }
}

function connectionConfig(url: string, options: PostgresOptions, statementTimeoutMs: number): ClientConfig {
  return {
    connectionString: url,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS,
    statement_timeout: statementTimeoutMs,
    // The server enforces statement_timeout; this client-side limit covers a server that no longer answers at all.
    query_timeout: statementTimeoutMs + Math.min(CLIENT_GRACE_MS, statementTimeoutMs),
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
    // Probes idle pooled connections, so one cut off without a reset is noticed before a call picks it.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: "parley",
    ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    types: TYPE_PARSERS,
  };
}

/**
 * Nothing is cached in the process: every invariant holds in the database, so any number of nodes may share it.
 * Every call rejects rather than hangs when the server is unreachable: bounded connect, statement and read times.
 */
export class PostgresHandle {
  readonly pool: Pool;
  private closed = false;

  /** Connects, creates the schema if asked to, and migrates (once, whichever node gets there first). */
  static async connect(url: string, options: PostgresOptions = {}): Promise<PostgresHandle> {
    if (options.schema !== undefined) assertSchemaName(options.schema);
    const client = new Client(connectionConfig(url, options, options.migrationTimeoutMs ?? DEFAULT_MIGRATION_TIMEOUT_MS));
    // A connection lost between two statements is reported here; the pending call rejects on its own.
    client.on("error", () => undefined);
    try {
      await client.connect();
      await migrate(client, { schema: options.schema });
    } finally {
      // Never rejects (pg destroys a dead socket instead): the migration's own error, if any, is the one thrown.
      await client.end();
    }
    return new PostgresHandle(url, options);
  }

  private constructor(url: string, options: PostgresOptions) {
    this.pool = new Pool({
      ...connectionConfig(url, options, options.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS),
      max: options.poolSize ?? DEFAULT_POOL_SIZE,
      idleTimeoutMillis: 30_000,
    });
    // Without a listener, an idle connection dropped by the server would crash the process.
    const onError = options.onError;
    this.pool.on("error", (error) => onError?.(error));
  }

  async ping(): Promise<void> {
    await this.pool.query("SELECT 1");
  }

  /** Idempotent; waits for checked-out connections to come back. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  /** One statement outside a transaction; its rows. */
  async rows<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows;
  }

  /** One statement outside a transaction; how many rows it wrote. */
  async write(text: string, values: unknown[] = []): Promise<number> {
    return (await this.pool.query(text, values)).rowCount ?? 0;
  }

  /**
   * Runs `work` in a READ COMMITTED transaction on one pooled connection, retrying transient failures. Correctness
   * rests on row locks taken in a fixed order, not on the isolation level.
   */
  async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    return this.retrying(async () => {
      const client = await this.pool.connect();
      // The pool listens for errors only on idle connections: a connection dropped between two statements of this
      // transaction would otherwise be an unhandled 'error' event.
      let broken: Error | undefined;
      const onError = (error: Error) => {
        broken = error;
      };
      client.on("error", onError);
      try {
        await client.query("BEGIN");
        const result = await work(client);
        await client.query("COMMIT");
        return result;
      } catch (error) {
        // Anything but an answer of the server (a read timeout, a dropped socket) leaves the connection unusable.
        const answered = error instanceof DatabaseError || error instanceof StoreError || error instanceof Rollback;
        if (broken === undefined && !answered) broken = error instanceof Error ? error : new Error(String(error));
        if (broken === undefined) {
          await client.query("ROLLBACK").catch((rollbackError: unknown) => {
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          });
        }
        if (error instanceof Rollback) {
          if (broken !== undefined) throw broken;
          return error.value as T;
        }
        throw error;
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
    });
  }

  /**
   * One statement outside an explicit transaction (so atomic by itself, committed in one round trip), retried on
   * the same transient failures as `transaction`. Named statements are prepared once per pooled connection.
   */
  async atomic<R extends QueryResultRow>(query: QueryConfig): Promise<QueryResult<R>> {
    return this.retrying(() => this.pool.query<R>(query));
  }

  /** Runs `attempt` until it succeeds, fails with a non-transient error, or has failed MAX_ATTEMPTS times. */
  private async retrying<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        if (n >= MAX_ATTEMPTS || !isTransient(error)) throw error;
      }
      // Jittered, growing pause so that the writers that collided do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** n));
    }
  }
}
