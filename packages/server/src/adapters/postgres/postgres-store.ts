// The cluster Store: the Store port on PostgreSQL (node-postgres pool), correct with several server nodes writing at once.

import type { GroupAdds, Message, MessageAction, Role } from "@parley/protocol";
import {
  Client,
  type ClientConfig,
  type CustomTypesConfig,
  DatabaseError,
  Pool,
  type PoolClient,
  type QueryResultRow,
  types,
} from "pg";
import { BackendUnavailableError } from "../../ports/errors.js";
import {
  type ActionRefusal,
  type AppendOutcome,
  type ConversationRecord,
  type EntryAuthor,
  type EntryDraft,
  type HistoryQuery,
  isMembershipDraft,
  type LastSeen,
  type MemberRecord,
  type MembershipDraft,
  type MembershipPage,
  type MessageDraft,
  type MessageSearch,
  type ReactionRecord,
  type ReceiptResult,
  type ReceiptUpdate,
  type SearchMatch,
  type SeqRange,
  type SessionRecord,
  type Store,
  StoreError,
  type UserRecord,
} from "../../ports/store.js";
import { refusalMessage, refuseAction, refuseTarget } from "../action-rules.js";
import { directCreation, groupCreation } from "../conversation-rules.js";
import { historyBounds } from "../history-rules.js";
import { type MembershipRow, splitMembershipRow } from "../membership-row.js";
import {
  admissions,
  exceedsMembers,
  membershipEvent,
  membershipRefusal,
  OWNER_SUCCESSION_ORDER,
  readmission,
  readmittedWatermark,
} from "../membership-rules.js";
import { REPLY_PREVIEW_CHARS, type StoredMessage, systemMessage, storedToMessage as toMessage } from "../message-row.js";
import { notMemberReceipt, receiptResult } from "../receipt-rules.js";
import { MESSAGE_COLUMNS, MESSAGE_FROM } from "./message-select.js";
import { assertSchemaName, migrate } from "./migrations.js";
import { SEARCH_TIMEOUT_MS, type SearchRow, searchStatement } from "./postgres-search.js";

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

// Columns are aliased to the records' camelCase names so rows need no mapping; the json `event` arrives parsed.
export const USER_COLUMNS =
  'id, username, display_name AS "displayName", password_hash AS "passwordHash", created_at AS "createdAt", ' +
  'last_seen_at AS "lastSeenAt", server_role AS "serverRole", deactivated_at AS "deactivatedAt"';
export const SESSION_COLUMNS =
  'id, user_id AS "userId", device_name AS "deviceName", refresh_hash AS "refreshHash", ' +
  'previous_refresh_hash AS "previousRefreshHash", created_at AS "createdAt", expires_at AS "expiresAt", revoked_at AS "revokedAt"';
const CONVERSATION_COLUMNS = 'id, kind, title, created_at AS "createdAt", last_seq AS "lastSeq"';
const MEMBER_COLUMNS =
  'conversation_id AS "conversationId", user_id AS "userId", role, joined_seq AS "joinedSeq", left_seq AS "leftSeq", ' +
  'delivered_seq AS "deliveredSeq", read_seq AS "readSeq", receipt_at AS "receiptAt"';

// ── the append path ───────────────────────────────────────────────────────────────────────────────────────────

/**
 * Step 1 of an append: lock the batch's conversations in id order (sorted before locking, so two batches sharing
 * conversations cannot deadlock). FOR NO KEY UPDATE still lets members rows reference the conversation meanwhile.
 */
const APPEND_LOCK = {
  text: 'SELECT id, last_seq AS "lastSeq" FROM conversations WHERE id = ANY($1::text[]) ORDER BY id FOR NO KEY UPDATE',
};

/**
 * Step 2, under the locks, so its snapshot includes everything committed by earlier writers of these conversations:
 * stored messages with the batch's (sender, clientId) keys, and which (conversation, sender) pairs are current members.
 */
const APPEND_CHECK = {
  text: `SELECT true AS "stored", ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
         WHERE (m.sender_id, m.client_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND m.client_id IS NOT NULL
         UNION ALL
         SELECT false, NULL, conversation_id, NULL, user_id, NULL, NULL, NULL, NULL, NULL,
                NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM members
         WHERE (conversation_id, user_id) IN (SELECT * FROM unnest($3::text[], $1::text[])) AND left_seq IS NULL`,
};

/**
 * Step 3: every accepted draft with its seq and each conversation's new last_seq, in one statement. A plain INSERT on
 * purpose: a concurrent duplicate the check could not see yet (same key, another conversation) fails the unique index
 * and the whole transaction is retried, instead of committing a seq without its message.
 */
const APPEND_WRITE = {
  text: `WITH inserted AS (
           INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, created_at, reply_to, action,
                                 attachments)
           SELECT d.conversation_id, d.seq, d.id, d.sender_id, d.client_id,
                  CASE WHEN d.action IS NULL THEN 'text' ELSE 'system' END, d.body, d.created_at, d.reply_to, d.action::json,
                  d.attachments::json
           FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                       $10::bigint[], $11::text[], $12::text[])
             AS d (conversation_id, seq, id, sender_id, client_id, body, created_at, reply_to, action, attachments)
         )
         UPDATE conversations AS c SET last_seq = u.last_seq
         FROM unnest($8::text[], $9::bigint[]) AS u (id, last_seq)
         WHERE c.id = u.id`,
};

/** Step 3b, only for batches with attachments: the links that authorize downloads and keep uploads from expiring. */
const APPEND_LINK = {
  text: `INSERT INTO message_attachments (upload_id, conversation_id, seq, position)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bigint[], $4::integer[])`,
};

/**
 * The rules' inputs for a reply or action (action-rules.ts), read under the append lock: the actor's membership, the
 * target row (all NULL when missing) and the distinct emojis on it.
 */
const TARGET_CHECK = {
  text: `SELECT mem.role, mem.joined_seq AS "joinedSeq", t.seq IS NOT NULL AS "found", t.sender_id AS "senderId",
                (t.kind = 'text' AND t.action IS NULL) AS "isText", t.deleted_at AS "deletedAt", t.created_at AS "createdAt",
                left(t.body, ${REPLY_PREVIEW_CHARS}) AS "preview",
                ARRAY(SELECT DISTINCT emoji FROM reactions WHERE conversation_id = $1 AND target_seq = $3) AS "emojis"
         FROM members AS mem LEFT JOIN messages AS t ON t.conversation_id = $1 AND t.seq = $3
         WHERE mem.conversation_id = $1 AND mem.user_id = $2`,
};

interface TargetCheckRow {
  role: Role;
  joinedSeq: number;
  found: boolean;
  senderId: string | null;
  isText: boolean | null;
  deletedAt: number | null;
  createdAt: number | null;
  preview: string | null;
  emojis: string[];
}

const HISTORY_ASC = {
  text: `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
         WHERE m.conversation_id = $1 AND m.seq BETWEEN $2 AND $3 ORDER BY m.seq LIMIT $4`,
};
const HISTORY_DESC = {
  text: `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
         WHERE m.conversation_id = $1 AND m.seq BETWEEN $2 AND $3 ORDER BY m.seq DESC LIMIT $4`,
};

interface CheckRow extends StoredMessage {
  stored: boolean;
}

interface ReceiptRow {
  conversationId: string;
  userId: string;
  deliveredSeq: number;
  readSeq: number;
  lastSeq: number;
}

type OpenDirectInput = Parameters<Store["openDirect"]>[0];
type CreateGroupInput = Parameters<Store["createGroup"]>[0];

/** Map key of a pair of ids; NUL cannot occur in PostgreSQL text. */
function pair(a: string, b: string): string {
  return `${a}\u0000${b}`;
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
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
 * Store on PostgreSQL, for several server nodes sharing one database. Nothing is cached in the process: every
 * invariant holds in the database, so any number of nodes may write the same conversation.
 *
 * - Sequence numbers: an append locks its conversations' rows (sorted by id), then checks duplicates and membership,
 *   then stores only the accepted drafts with `last_seq + 1…` and the new last_seq, in one transaction. A seq is only
 *   ever handed to a message that is inserted in the same commit, so sequences stay gap-free and unique.
 * - Idempotency: the unique index on (sender_id, client_id); a race the check cannot see retries the transaction.
 * - Every call rejects rather than hangs when the server is unreachable: bounded connect, statement and read times.
 *
 * Like SqliteStore, permission rules (who may add or rename) belong to the services; this enforces the port's rules.
 */
export class PostgresStore implements Store {
  /** The pool, shared with the other PostgreSQL adapters of this node (push, uploads). */
  readonly pool: Pool;
  private closed = false;

  /** Connects, creates the schema if asked to, and migrates (once, whichever node gets there first). */
  static async connect(url: string, options: PostgresOptions = {}): Promise<PostgresStore> {
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
    return new PostgresStore(url, options);
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

  private async rows<R extends QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    return (await this.pool.query<R>(text, values)).rows;
  }

  /**
   * Runs `work` in a READ COMMITTED transaction on one pooled connection, retrying transient failures. Correctness
   * rests on row locks taken in a fixed order, not on the isolation level.
   */
  private async transaction<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
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
        if (broken === undefined && !(error instanceof DatabaseError) && !(error instanceof StoreError)) {
          broken = error instanceof Error ? error : new Error(String(error));
        }
        if (broken === undefined) {
          await client.query("ROLLBACK").catch((rollbackError: unknown) => {
            broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
          });
        }
        if (attempt >= MAX_ATTEMPTS || !isTransient(error)) throw error;
      } finally {
        client.off("error", onError);
        client.release(broken);
      }
      // Jittered, growing pause so that the transactions that collided do not collide again.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** attempt));
    }
  }

  // ── accounts ────────────────────────────────────────────────────────────────────────────────────────────────

  async createUser(user: {
    id: string;
    username: string;
    displayName: string;
    passwordHash: string;
    createdAt: number;
  }): Promise<UserRecord> {
    try {
      await this.pool.query(
        "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        [user.id, user.username, user.displayName, user.passwordHash, user.createdAt],
      );
    } catch (error) {
      if (isUniqueViolation(error, "users_username_key")) throw new StoreError("username_taken", "username is taken");
      throw error;
    }
    return { ...user, lastSeenAt: null, serverRole: null, deactivatedAt: null };
  }

  async getUserById(id: string): Promise<UserRecord | undefined> {
    return (await this.rows<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]))[0];
  }

  async getUserByUsername(username: string): Promise<UserRecord | undefined> {
    return (await this.rows<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE username = $1`, [username]))[0];
  }

  async getUsersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    return this.rows<UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ANY($1::text[])`, [ids]);
  }

  async updateDisplayName(id: string, displayName: string): Promise<UserRecord | undefined> {
    return (
      await this.rows<UserRecord>(`UPDATE users SET display_name = $1 WHERE id = $2 RETURNING ${USER_COLUMNS}`, [displayName, id])
    )[0];
  }

  async setLastSeen(userId: string, at: number): Promise<void> {
    await this.pool.query("UPDATE users SET last_seen_at = $1 WHERE id = $2", [at, userId]);
  }

  async setLastSeenMany(seen: readonly LastSeen[]): Promise<void> {
    if (seen.length === 0) return;
    await this.pool.query(
      "UPDATE users SET last_seen_at = s.at FROM unnest($1::text[], $2::bigint[]) AS s(id, at) WHERE users.id = s.id",
      [seen.map((s) => s.userId), seen.map((s) => s.at)],
    );
  }

  async createSession(session: Omit<SessionRecord, "previousRefreshHash" | "revokedAt">): Promise<void> {
    await this.pool.query(
      "INSERT INTO sessions (id, user_id, device_name, refresh_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)",
      [session.id, session.userId, session.deviceName, session.refreshHash, session.createdAt, session.expiresAt],
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    return (await this.rows<SessionRecord>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`, [id]))[0];
  }

  async rotateRefresh(sessionId: string, expectedHash: string, newHash: string, expiresAt: number): Promise<boolean> {
    // A racing rotation waits for the row lock, then re-checks refresh_hash against the committed value: one wins.
    const result = await this.pool.query(
      "UPDATE sessions SET previous_refresh_hash = refresh_hash, refresh_hash = $1, expires_at = $2 " +
        "WHERE id = $3 AND refresh_hash = $4",
      [newHash, expiresAt, sessionId, expectedHash],
    );
    return result.rowCount === 1;
  }

  async revokeSession(id: string, at: number): Promise<void> {
    // The first revocation time is kept: it is when the device lost access.
    await this.pool.query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [at, id]);
  }

  async addContact(ownerId: string, contactId: string, at: number): Promise<void> {
    await this.pool.query("INSERT INTO contacts (owner_id, contact_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
      ownerId,
      contactId,
      at,
    ]);
  }

  async removeContact(ownerId: string, contactId: string): Promise<void> {
    await this.pool.query("DELETE FROM contacts WHERE owner_id = $1 AND contact_id = $2", [ownerId, contactId]);
  }

  async listContacts(ownerId: string): Promise<UserRecord[]> {
    return this.rows<UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT contact_id FROM contacts WHERE owner_id = $1) ORDER BY username`,
      [ownerId],
    );
  }

  async getGroupAdds(userId: string): Promise<GroupAdds | null> {
    return (
      (await this.rows<{ groupAdds: GroupAdds | null }>('SELECT group_adds AS "groupAdds" FROM users WHERE id = $1', [userId]))[0]
        ?.groupAdds ?? null
    );
  }

  async setGroupAdds(userId: string, value: GroupAdds | null): Promise<void> {
    await this.pool.query("UPDATE users SET group_adds = $1 WHERE id = $2", [value, userId]);
  }

  async addBlock(ownerId: string, blockedId: string, at: number): Promise<void> {
    await this.pool.query("INSERT INTO blocks (owner_id, blocked_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING", [
      ownerId,
      blockedId,
      at,
    ]);
  }

  async removeBlock(ownerId: string, blockedId: string): Promise<void> {
    await this.pool.query("DELETE FROM blocks WHERE owner_id = $1 AND blocked_id = $2", [ownerId, blockedId]);
  }

  async listBlocked(ownerId: string): Promise<UserRecord[]> {
    return this.rows<UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT blocked_id FROM blocks WHERE owner_id = $1) ORDER BY username`,
      [ownerId],
    );
  }

  async blockedBy(userId: string, ownerIds: readonly string[]): Promise<string[]> {
    if (ownerIds.length === 0) return [];
    const rows = await this.rows<{ id: string }>(
      "SELECT owner_id AS id FROM blocks WHERE blocked_id = $1 AND owner_id = ANY($2::text[])",
      [userId, [...ownerIds]],
    );
    return rows.map((r) => r.id);
  }

  async refusingGroupAdd(actorId: string, userIds: readonly string[], defaultPolicy: GroupAdds): Promise<string[]> {
    if (userIds.length === 0) return [];
    const rows = await this.rows<{ id: string }>(
      `SELECT u.id FROM users AS u
       WHERE u.id = ANY($2::text[])
         AND (EXISTS (SELECT 1 FROM blocks WHERE owner_id = u.id AND blocked_id = $1)
              OR COALESCE(u.group_adds, $3) = 'nobody'
              OR (COALESCE(u.group_adds, $3) = 'contacts'
                  AND NOT EXISTS (SELECT 1 FROM contacts WHERE owner_id = u.id AND contact_id = $1)))`,
      [actorId, [...userIds], defaultPolicy],
    );
    return rows.map((r) => r.id);
  }

  async filterPresenceVisible(viewerId: string, targetIds: readonly string[]): Promise<string[]> {
    if (targetIds.length === 0) return [];
    const rows = await this.rows<{ id: string }>(
      `SELECT t.id FROM unnest($2::text[]) WITH ORDINALITY AS t (id, ord)
       WHERE t.id = $1
          OR EXISTS (SELECT 1 FROM members AS mine
                     JOIN members AS theirs ON theirs.conversation_id = mine.conversation_id AND theirs.user_id = t.id
                     WHERE mine.user_id = $1 AND mine.left_seq IS NULL AND theirs.left_seq IS NULL)
          OR EXISTS (SELECT 1 FROM contacts WHERE owner_id = t.id AND contact_id = $1)
       ORDER BY t.ord`,
      [viewerId, [...new Set(targetIds)]],
    );
    return rows.map((r) => r.id);
  }

  // ── conversations ───────────────────────────────────────────────────────────────────────────────────────────

  async openDirect(input: OpenDirectInput): Promise<{ conversation: ConversationRecord; created: boolean }> {
    const { key, userIds, event } = directCreation(input.userA, input.userB);
    // One statement, so atomic without a transaction. When another node created the pair first, ON CONFLICT waits
    // for its commit and inserts nothing, the dependent inserts see no row, and the next statement reads the winner.
    const created = await this.rows(
      `WITH conversation AS (
         INSERT INTO conversations (id, kind, title, direct_key, created_at, last_seq) VALUES ($1, 'direct', NULL, $2, $3, 1)
         ON CONFLICT (direct_key) DO NOTHING
         RETURNING id
       ), member AS (
         INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
         SELECT conversation.id, u.id, 'member', 1, 0, 0, $3 FROM conversation, unnest($4::text[]) AS u (id)
       ), message AS (
         INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event, created_at)
         SELECT conversation.id, 1, $5, $6, NULL, 'system', NULL, $7::json, $3 FROM conversation
       )
       SELECT id FROM conversation`,
      [input.id, key, input.createdAt, userIds, input.messageId, input.userA, JSON.stringify(event)],
    );
    if (created.length > 0) {
      return {
        conversation: { id: input.id, kind: "direct", title: null, createdAt: input.createdAt, lastSeq: 1 },
        created: true,
      };
    }
    const [existing] = await this.rows<ConversationRecord>(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE direct_key = $1`,
      [key],
    );
    if (existing === undefined) throw new Error(`direct conversation ${key} vanished while being opened`);
    return { conversation: existing, created: false };
  }

  async createGroup(input: CreateGroupInput): Promise<{ conversation: ConversationRecord; message: Message }> {
    const { userIds, event } = groupCreation(input.ownerId, input.memberIds, input.title);
    // One statement: the conversation, its members and the creation event commit together or not at all.
    await this.pool.query(
      `WITH conversation AS (
         INSERT INTO conversations (id, kind, title, direct_key, created_at, last_seq, created_by)
         VALUES ($1, 'group', $2, NULL, $3, 1, $6)
       ), member AS (
         INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
         SELECT $1, u.id, CASE WHEN u.ord = 1 THEN 'owner' ELSE 'member' END, 1, 0, 0, $3
         FROM unnest($4::text[]) WITH ORDINALITY AS u (id, ord)
       )
       INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event, created_at)
       VALUES ($1, 1, $5, $6, NULL, 'system', NULL, $7::json, $3)`,
      [input.id, input.title, input.createdAt, userIds, input.messageId, input.ownerId, JSON.stringify(event)],
    );
    const message = systemMessage({
      id: input.messageId,
      conversationId: input.id,
      seq: 1,
      senderId: input.ownerId,
      event,
      createdAt: input.createdAt,
    });
    return {
      conversation: { id: input.id, kind: "group", title: input.title, createdAt: input.createdAt, lastSeq: 1 },
      message,
    };
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    return (await this.rows<ConversationRecord>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = $1`, [id]))[0];
  }

  async getMembers(conversationId: string): Promise<MemberRecord[]> {
    return this.rows<MemberRecord>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND left_seq IS NULL ORDER BY joined_seq, user_id`,
      [conversationId],
    );
  }

  async conversationsWithReceiptsAfter(conversationIds: readonly string[], since: number): Promise<Set<string>> {
    if (conversationIds.length === 0) return new Set();
    const rows = await this.rows<{ id: string }>(
      `SELECT DISTINCT conversation_id AS id FROM members
       WHERE conversation_id = ANY($1::text[]) AND left_seq IS NULL AND receipt_at > $2`,
      [[...conversationIds], since],
    );
    return new Set(rows.map((r) => r.id));
  }

  async getMembership(conversationId: string, userId: string): Promise<MemberRecord | undefined> {
    return (
      await this.rows<MemberRecord>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND user_id = $2`, [
        conversationId,
        userId,
      ])
    )[0];
  }

  async listMemberships(
    userId: string,
    page?: MembershipPage,
  ): Promise<{ membership: MemberRecord; conversation: ConversationRecord }[]> {
    // NULL bounds are open; without a page there is no LIMIT (LIMIT NULL).
    const rows = await this.rows<MembershipRow>(
      `SELECT m.conversation_id AS "conversationId", m.user_id AS "userId", m.role, m.joined_seq AS "joinedSeq",
              m.left_seq AS "leftSeq", m.delivered_seq AS "deliveredSeq", m.read_seq AS "readSeq",
              m.receipt_at AS "receiptAt", c.kind, c.title, c.created_at AS "conversationCreatedAt", c.last_seq AS "lastSeq"
       FROM members AS m JOIN conversations AS c ON c.id = m.conversation_id
       WHERE m.user_id = $1 AND ($2::text IS NULL OR m.conversation_id COLLATE "C" > $2)
         AND ($3::text IS NULL OR m.conversation_id COLLATE "C" <= $3)
       ORDER BY m.conversation_id COLLATE "C" LIMIT $4`,
      [userId, page?.after ?? null, page?.through ?? null, page?.limit ?? null],
    );
    return rows.map(splitMembershipRow);
  }

  async countMemberships(userIds: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(userIds.map((id) => [id, 0]));
    if (userIds.length === 0) return counts;
    const rows = await this.rows<{ userId: string; n: string }>(
      `SELECT user_id AS "userId", count(*) AS n FROM members
       WHERE user_id = ANY($1::text[]) AND left_seq IS NULL GROUP BY user_id`,
      [[...userIds]],
    );
    for (const row of rows) counts.set(row.userId, Number(row.n));
    return counts;
  }

  async groupsCreatedSince(ownerId: string, since: number): Promise<{ count: number; oldest: number | null }> {
    const rows = await this.rows<{ count: string; oldest: string | number | null }>(
      "SELECT count(*) AS count, min(created_at) AS oldest FROM conversations WHERE created_by = $1 AND created_at >= $2",
      [ownerId, since],
    );
    const row = rows[0];
    return { count: Number(row?.count ?? 0), oldest: row?.oldest == null ? null : Number(row.oldest) };
  }

  // ── messages ────────────────────────────────────────────────────────────────────────────────────────────────

  async append(drafts: readonly EntryDraft[]): Promise<AppendOutcome[]> {
    if (drafts.length === 0) return [];
    return this.transaction((client) => this.appendInTx(client, drafts));
  }

  async getHistory(query: HistoryQuery): Promise<Message[]> {
    const bounds = historyBounds(query);
    if (bounds === undefined) return [];
    const { from, to } = bounds;
    const statement = query.direction === "asc" ? HISTORY_ASC : HISTORY_DESC;
    const { rows } = await this.pool.query<StoredMessage>({
      ...statement,
      values: [query.conversationId, from, to, query.limit],
    });
    return (query.direction === "asc" ? rows : rows.reverse()).map(toMessage);
  }

  async searchMessages(userId: string, search: MessageSearch): Promise<SearchMatch[]> {
    if (search.terms.length === 0 || search.limit <= 0) return [];
    const { text, values } = searchStatement(userId, search);
    let rows: SearchRow[];
    try {
      rows = await this.transaction(async (client) => {
        await client.query(`SET LOCAL statement_timeout = ${SEARCH_TIMEOUT_MS}`);
        return (await client.query<SearchRow>(text, values)).rows;
      });
    } catch (error) {
      // 57014: canceled by the statement timeout. Nothing was written; the caller may narrow the query and retry.
      if (error instanceof DatabaseError && error.code === "57014") {
        throw new BackendUnavailableError("store", `search exceeded its ${SEARCH_TIMEOUT_MS} ms budget`, { cause: error });
      }
      throw error;
    }
    return rows.map((row) => ({ message: toMessage(row), score: row.score }));
  }

  async getLastMessage(conversationId: string, maxSeq: number, viewerId?: string): Promise<Message | null> {
    // The latest entry a conversation list shows: never an action, never one the viewer hid for themself.
    const [row] = await this.rows<StoredMessage>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
       WHERE m.conversation_id = $1 AND m.seq <= $2 AND m.action IS NULL
         AND NOT EXISTS (SELECT 1 FROM hidden_messages AS h
                         WHERE h.user_id = $3 AND h.conversation_id = m.conversation_id AND h.seq = m.seq)
       ORDER BY m.seq DESC LIMIT 1`,
      [conversationId, maxSeq, viewerId ?? null],
    );
    return row === undefined ? null : toMessage(row);
  }

  async getMessagesBySeq(conversationId: string, seqs: readonly number[]): Promise<Message[]> {
    if (seqs.length === 0) return [];
    const rows = await this.rows<StoredMessage>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.conversation_id = $1 AND m.seq = ANY($2::bigint[]) ORDER BY m.seq`,
      [conversationId, seqs],
    );
    return rows.map(toMessage);
  }

  async getReactions(conversationId: string, seqs: readonly number[]): Promise<ReactionRecord[]> {
    if (seqs.length === 0) return [];
    return this.rows<ReactionRecord>(
      `SELECT target_seq AS seq, emoji, user_id AS "userId", entry_seq AS "entrySeq" FROM reactions
       WHERE conversation_id = $1 AND target_seq = ANY($2::bigint[]) ORDER BY entry_seq, created_at, user_id, emoji`,
      [conversationId, seqs],
    );
  }

  async hideMessage(userId: string, conversationId: string, seq: number, at: number): Promise<boolean> {
    const result = await this.pool.query(
      "INSERT INTO hidden_messages (user_id, conversation_id, seq, hidden_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
      [userId, conversationId, seq, at],
    );
    return result.rowCount === 1;
  }

  async getHiddenSeqs(userId: string, conversationId: string, seqs: readonly number[]): Promise<number[]> {
    if (seqs.length === 0) return [];
    const rows = await this.rows<{ seq: number }>(
      "SELECT seq FROM hidden_messages WHERE user_id = $1 AND conversation_id = $2 AND seq = ANY($3::bigint[])",
      [userId, conversationId, seqs],
    );
    return rows.map((r) => r.seq);
  }

  async listHiddenSince(userId: string, since: number | undefined): Promise<{ conversationId: string; seq: number }[]> {
    return this.rows<{ conversationId: string; seq: number }>(
      `SELECT conversation_id AS "conversationId", seq FROM hidden_messages WHERE user_id = $1 AND hidden_at >= $2
       ORDER BY conversation_id, seq`,
      [userId, since ?? 0],
    );
  }

  async countUnread(conversationId: string, userId: string, afterSeq: number, maxSeq: number): Promise<number> {
    if (afterSeq >= maxSeq) return 0;
    const [row] = await this.rows<{ count: number }>(
      "SELECT count(*) AS count FROM messages " +
        "WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 AND sender_id <> $4 AND kind = 'text' AND deleted_at IS NULL",
      [conversationId, afterSeq, maxSeq, userId],
    );
    return row?.count ?? 0;
  }

  // ── receipts ────────────────────────────────────────────────────────────────────────────────────────────────

  async updateReceipts(updates: readonly ReceiptUpdate[]): Promise<ReceiptResult[]> {
    if (updates.length === 0) return [];
    return this.transaction((client) => this.receiptsInTx(client, updates));
  }

  async getEntryAuthors(ranges: readonly SeqRange[]): Promise<EntryAuthor[]> {
    const live = ranges.filter((r) => r.afterSeq < r.maxSeq);
    if (live.length === 0) return [];
    // One round trip for every range of a receipt flush; each range is a primary-key range scan.
    return this.rows<EntryAuthor>(
      `SELECT m.conversation_id AS "conversationId", m.seq, m.sender_id AS "senderId"
       FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r (conversation_id, after_seq, max_seq)
       JOIN messages AS m ON m.conversation_id = r.conversation_id AND m.seq > r.after_seq AND m.seq <= r.max_seq
       WHERE m.kind = 'text' AND m.deleted_at IS NULL
       ORDER BY m.conversation_id, m.seq`,
      [live.map((r) => r.conversationId), live.map((r) => r.afterSeq), live.map((r) => r.maxSeq)],
    );
  }

  // ── transaction bodies ──────────────────────────────────────────────────────────────────────────────────────

  /**
   * The one transaction body of every entry after a conversation's creation (the port's `append`). The locks of all
   * the batch's conversations are taken first, in id order; then runs of message drafts are written with one
   * statement each, and a membership change between two runs sees the first and is seen by the second.
   */
  private async appendInTx(client: PoolClient, drafts: readonly EntryDraft[]): Promise<AppendOutcome[]> {
    const conversationIds = [...new Set(drafts.map((d) => d.conversationId))];
    const locked = await client.query<{ id: string; lastSeq: number }>({ ...APPEND_LOCK, values: [conversationIds] });
    const lastSeqs = new Map(locked.rows.map((r) => [r.id, r.lastSeq]));
    const outcomes: AppendOutcome[] = [];
    let run: MessageDraft[] = [];
    for (const d of drafts) {
      if (!isMembershipDraft(d)) {
        run.push(d);
        continue;
      }
      if (run.length > 0) outcomes.push(...(await this.messagesInTx(client, run, lastSeqs)));
      run = [];
      outcomes.push(await this.membershipInTx(client, d, lastSeqs));
    }
    if (run.length > 0) outcomes.push(...(await this.messagesInTx(client, run, lastSeqs)));
    return outcomes;
  }

  /** Message drafts (texts and actions) under the locks; `lastSeqs` learns the seqs they take. */
  private async messagesInTx(
    client: PoolClient,
    drafts: readonly MessageDraft[],
    lastSeqs: Map<string, number>,
  ): Promise<AppendOutcome[]> {
    const checked = await client.query<CheckRow>({
      ...APPEND_CHECK,
      values: [drafts.map((d) => d.senderId), drafts.map((d) => d.clientId), drafts.map((d) => d.conversationId)],
    });
    /** (sender, clientId) → stored message; drafts accepted below join it, so a repeat later in the batch is a duplicate. */
    const byClientId = new Map<string, Message>();
    const currentMembers = new Set<string>();
    for (const row of checked.rows) {
      if (row.stored) byClientId.set(pair(row.senderId, row.clientId ?? ""), toMessage(row));
      else currentMembers.add(pair(row.conversationId, row.senderId));
    }

    // Seqs are handed out only here, to drafts that are certainly inserted below: a rejected draft consumes none.
    const outcomes: AppendOutcome[] = [];
    const nextSeqs = new Map<string, number>();
    const rows = { conversationId: [] as string[], seq: [] as number[], id: [] as string[], senderId: [] as string[] };
    const more = {
      clientId: [] as string[],
      body: [] as (string | null)[],
      createdAt: [] as number[],
      replyTo: [] as (number | null)[],
      action: [] as (string | null)[],
      attachments: [] as (string | null)[],
    };
    const links = { uploadId: [] as string[], conversationId: [] as string[], seq: [] as number[], position: [] as number[] };
    for (const d of drafts) {
      const key = pair(d.senderId, d.clientId);
      const original = byClientId.get(key);
      if (original !== undefined) {
        outcomes.push({ ok: true, message: original, duplicate: true });
        continue;
      }
      const lastSeq = nextSeqs.get(d.conversationId) ?? lastSeqs.get(d.conversationId);
      if (lastSeq === undefined) {
        outcomes.push({ ok: false, code: "not_found", message: "Conversation not found" });
        continue;
      }
      if (!currentMembers.has(pair(d.conversationId, d.senderId))) {
        outcomes.push({ ok: false, code: "not_member", message: "Sender is not a member of the conversation" });
        continue;
      }
      let quoted: TargetCheckRow | undefined;
      if (d.action !== undefined || d.replyTo !== undefined) {
        const check = await this.checkTarget(client, d);
        if (typeof check === "string") {
          outcomes.push({ ok: false, code: check, message: refusalMessage(check) });
          continue;
        }
        quoted = check;
      }
      const seq = lastSeq + 1;
      nextSeqs.set(d.conversationId, seq);
      const action = d.action === undefined ? null : await this.applyAction(client, d, seq);
      const message: Message = {
        id: d.id,
        conversationId: d.conversationId,
        seq,
        senderId: d.senderId,
        clientId: d.clientId,
        kind: action === null ? "text" : "action",
        body: action === null ? d.body : null,
        event: null,
        createdAt: d.createdAt,
        attachments: [...(d.attachments ?? [])],
      };
      if (action !== null) message.action = action;
      else if (d.replyTo !== undefined && quoted !== undefined) {
        message.replyTo = { seq: d.replyTo, senderId: quoted.senderId ?? "", preview: quoted.preview };
      }
      byClientId.set(key, message);
      message.attachments.forEach((a, position) => {
        links.uploadId.push(a.id);
        links.conversationId.push(d.conversationId);
        links.seq.push(seq);
        links.position.push(position);
      });
      more.attachments.push(message.attachments.length === 0 ? null : JSON.stringify(message.attachments));
      rows.conversationId.push(d.conversationId);
      rows.seq.push(seq);
      rows.id.push(d.id);
      rows.senderId.push(d.senderId);
      more.clientId.push(d.clientId);
      more.body.push(message.body);
      more.createdAt.push(d.createdAt);
      more.replyTo.push(action === null ? (d.replyTo ?? null) : null);
      more.action.push(action === null ? null : JSON.stringify(action));
      outcomes.push({ ok: true, message, duplicate: false });
    }
    if (nextSeqs.size > 0) {
      await client.query({
        ...APPEND_WRITE,
        values: [
          rows.conversationId,
          rows.seq,
          rows.id,
          rows.senderId,
          more.clientId,
          more.body,
          more.createdAt,
          [...nextSeqs.keys()],
          [...nextSeqs.values()],
          more.replyTo,
          more.action,
          more.attachments,
        ],
      });
      if (links.uploadId.length > 0) {
        await client.query({ ...APPEND_LINK, values: [links.uploadId, links.conversationId, links.seq, links.position] });
      }
    }
    for (const [conversationId, seq] of nextSeqs) lastSeqs.set(conversationId, seq);
    return outcomes;
  }

  /** The rules of replies and actions (action-rules.ts) under the append lock; the target row when they pass. */
  private async checkTarget(client: PoolClient, d: MessageDraft): Promise<ActionRefusal | TargetCheckRow> {
    const seq = d.action?.target ?? d.replyTo!;
    const { rows } = await client.query<TargetCheckRow>({ ...TARGET_CHECK, values: [d.conversationId, d.senderId, seq] });
    const row = rows[0];
    // The caller checked current membership just before, under the same lock.
    if (row === undefined) return "message_not_found";
    const target = row.found
      ? { seq, senderId: row.senderId!, isText: row.isText === true, deletedAt: row.deletedAt, createdAt: row.createdAt! }
      : undefined;
    const refusal =
      d.action === undefined ? refuseTarget(target, row) : refuseAction(d.action, d.senderId, target, row, row.emojis);
    return refusal ?? row;
  }

  /** Changes the target in place; returns the payload of the action entry. */
  private async applyAction(client: PoolClient, d: MessageDraft, seq: number): Promise<MessageAction> {
    const a = d.action!;
    switch (a.type) {
      case "edit":
        await client.query("UPDATE messages SET body = $3, edited_at = $4 WHERE conversation_id = $1 AND seq = $2", [
          d.conversationId,
          a.target,
          a.body,
          d.createdAt,
        ]);
        return { type: "edit", target: a.target };
      case "delete":
        // A tombstone keeps its place in the order and nothing of its content.
        await client.query(
          `WITH gone AS (DELETE FROM reactions WHERE conversation_id = $1 AND target_seq = $2),
                unlinked AS (DELETE FROM message_attachments WHERE conversation_id = $1 AND seq = $2)
           UPDATE messages SET body = NULL, edited_at = NULL, reply_to = NULL, attachments = NULL, deleted_at = $3
           WHERE conversation_id = $1 AND seq = $2`,
          [d.conversationId, a.target, d.createdAt],
        );
        return { type: "delete", target: a.target };
      case "reaction":
        if (a.remove) {
          await client.query(
            "DELETE FROM reactions WHERE conversation_id = $1 AND target_seq = $2 AND user_id = $3 AND emoji = $4",
            [d.conversationId, a.target, d.senderId, a.emoji],
          );
        } else {
          await client.query(
            `INSERT INTO reactions (conversation_id, target_seq, user_id, emoji, created_at, entry_seq)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`,
            [d.conversationId, a.target, d.senderId, a.emoji, d.createdAt, seq],
          );
        }
        return { type: "reaction", target: a.target, emoji: a.emoji, remove: a.remove };
    }
  }

  /** A membership change and its system entry under the locks; refusals are checked before anything is written. */
  private async membershipInTx(
    client: PoolClient,
    input: MembershipDraft,
    lastSeqs: Map<string, number>,
  ): Promise<AppendOutcome> {
    const { conversationId, senderId: actorId, change } = input;
    const q = async <R extends QueryResultRow>(text: string, values: unknown[]) => (await client.query<R>(text, values)).rows;
    // Under the lock every append takes: the event's seq and the member rows it changes are serialized with every send.
    const lastSeq = lastSeqs.get(conversationId);
    if (lastSeq === undefined) return membershipRefusal.conversationNotFound;
    const membership = async (userId: string) =>
      (
        await q<MemberRecord>(`SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND user_id = $2`, [
          conversationId,
          userId,
        ])
      )[0];
    const actor = await membership(actorId);
    if (actor === undefined || actor.leftSeq !== null) return membershipRefusal.actorNotMember;
    // The event's own seq: a departing member's left_seq equals it, so they still receive their own removal.
    const seq = lastSeq + 1;
    let admitted: string[] = [];
    switch (change.type) {
      case "add": {
        const candidates = [...new Set(change.userIds)];
        const existing = new Map(
          (
            await q<MemberRecord>(
              `SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = $1 AND user_id = ANY($2::text[])`,
              [conversationId, candidates],
            )
          ).map((r) => [r.userId, r]),
        );
        const { fresh, past, ...admission } = admissions(candidates, (userId) => existing.get(userId)?.leftSeq);
        admitted = admission.admitted;
        if (admitted.length === 0) return membershipRefusal.allMembers;
        const [count] = await q<{ count: number }>(
          "SELECT count(*) AS count FROM members WHERE conversation_id = $1 AND left_seq IS NULL",
          [conversationId],
        );
        if (exceedsMembers(count?.count ?? 0, admitted.length, change.maxMembers)) {
          return membershipRefusal.groupFull(change.maxMembers);
        }
        const floor = readmittedWatermark(seq);
        if (past.length > 0) {
          const lifted = past.map((userId) => readmission(existing.get(userId)!, seq, input.createdAt));
          await q(
            `UPDATE members AS m SET role = 'member', joined_seq = $2, left_seq = NULL,
               delivered_seq = u.delivered_seq, read_seq = u.read_seq, receipt_at = u.receipt_at
             FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bigint[])
               AS u (user_id, delivered_seq, read_seq, receipt_at)
             WHERE m.conversation_id = $1 AND m.user_id = u.user_id`,
            [
              conversationId,
              seq,
              past,
              lifted.map((w) => w.deliveredSeq),
              lifted.map((w) => w.readSeq),
              lifted.map((w) => w.receiptAt),
            ],
          );
        }
        if (fresh.length > 0) {
          await q(
            `INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at)
             SELECT $1, u.id, 'member', $3, $4, $4, $5 FROM unnest($2::text[]) AS u (id)`,
            [conversationId, fresh, seq, floor, input.createdAt],
          );
        }
        break;
      }
      case "remove": {
        const target = await membership(change.userId);
        if (target === undefined || target.leftSeq !== null) return membershipRefusal.userNotMember;
        await this.endMembership(client, conversationId, change.userId, seq, target.role === "owner");
        break;
      }
      case "leave": {
        await this.endMembership(client, conversationId, actorId, seq, actor.role === "owner");
        break;
      }
      case "role": {
        const target = await membership(change.userId);
        if (target === undefined || target.leftSeq !== null) return membershipRefusal.userNotMember;
        await q("UPDATE members SET role = $1 WHERE conversation_id = $2 AND user_id = $3", [
          change.role,
          conversationId,
          change.userId,
        ]);
        break;
      }
      case "rename": {
        await q("UPDATE conversations SET title = $1 WHERE id = $2", [change.title, conversationId]);
        break;
      }
    }
    const event = membershipEvent(change, actorId, admitted);
    await q(
      `WITH message AS (
         INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event, created_at)
         VALUES ($1, $2, $3, $4, NULL, 'system', NULL, $5::json, $6)
       )
       UPDATE conversations SET last_seq = $2 WHERE id = $1`,
      [conversationId, seq, input.id, actorId, JSON.stringify(event), input.createdAt],
    );
    lastSeqs.set(conversationId, seq);
    const message = systemMessage({ id: input.id, conversationId, seq, senderId: actorId, event, createdAt: input.createdAt });
    return { ok: true, message, duplicate: false };
  }

  /** Ends a membership at `seq`; a group never stays without an owner while it has members. */
  private async endMembership(
    client: PoolClient,
    conversationId: string,
    userId: string,
    seq: number,
    wasOwner: boolean,
  ): Promise<void> {
    await client.query("UPDATE members SET left_seq = $1 WHERE conversation_id = $2 AND user_id = $3", [
      seq,
      conversationId,
      userId,
    ]);
    if (!wasOwner) return;
    // The successor (membership-rules.ts); none if another owner remains.
    await client.query(
      `UPDATE members SET role = 'owner'
       WHERE conversation_id = $1
         AND user_id = (SELECT user_id FROM members WHERE conversation_id = $1 AND left_seq IS NULL
                        ORDER BY ${OWNER_SUCCESSION_ORDER} LIMIT 1)
         AND NOT EXISTS (SELECT 1 FROM members WHERE conversation_id = $1 AND left_seq IS NULL AND role = 'owner')`,
      [conversationId],
    );
  }

  private async receiptsInTx(client: PoolClient, updates: readonly ReceiptUpdate[]): Promise<ReceiptResult[]> {
    // Locks the current members' rows (in key order, so concurrent batches cannot deadlock) and reads each
    // conversation's last_seq for the clamp; several updates of one member then apply in order in memory.
    const { rows } = await client.query<ReceiptRow>(
      `SELECT m.conversation_id AS "conversationId", m.user_id AS "userId", m.delivered_seq AS "deliveredSeq",
              m.read_seq AS "readSeq", c.last_seq AS "lastSeq"
       FROM members AS m JOIN conversations AS c ON c.id = m.conversation_id
       WHERE (m.conversation_id, m.user_id) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND m.left_seq IS NULL
       ORDER BY m.conversation_id, m.user_id
       FOR NO KEY UPDATE OF m`,
      [updates.map((u) => u.conversationId), updates.map((u) => u.userId)],
    );
    const current = new Map(rows.map((r) => [pair(r.conversationId, r.userId), { ...r, at: 0, changed: false }]));
    const results: ReceiptResult[] = [];
    for (const u of updates) {
      const row = current.get(pair(u.conversationId, u.userId));
      if (row === undefined) {
        results.push(notMemberReceipt(u));
        continue;
      }
      const result = receiptResult(u, row, row.lastSeq);
      const { deliveredSeq, readSeq } = result.state;
      if (result.changed) Object.assign(row, { readSeq, deliveredSeq, at: u.at, changed: true });
      results.push(result);
    }
    const dirty = [...current.values()].filter((r) => r.changed);
    if (dirty.length > 0) {
      await client.query(
        `UPDATE members AS m SET delivered_seq = u.delivered_seq, read_seq = u.read_seq, receipt_at = u.at
         FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::bigint[])
           AS u (conversation_id, user_id, delivered_seq, read_seq, at)
         WHERE m.conversation_id = u.conversation_id AND m.user_id = u.user_id`,
        [
          dirty.map((r) => r.conversationId),
          dirty.map((r) => r.userId),
          dirty.map((r) => r.deliveredSeq),
          dirty.map((r) => r.readSeq),
          dirty.map((r) => r.at),
        ],
      );
    }
    return results;
  }
}
