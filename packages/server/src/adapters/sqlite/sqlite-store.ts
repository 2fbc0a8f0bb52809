// The embedded Store: accounts, conversations, messages and receipts in one SQLite file (better-sqlite3, WAL).

import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { ConversationKind, GroupAdds, Message, MessageAction, Role, SystemEvent } from "@parley/protocol";
import Database from "better-sqlite3-multiple-ciphers";
import { setNewest } from "../../domain/bounded-map.js";
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
import { type ActorRow, refusalMessage, refuseAction, refuseTarget, type TargetRow } from "../action-rules.js";
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
import { REPLY_PREVIEW_CHARS } from "../message-row.js";
import { notMemberReceipt, receiptResult } from "../receipt-rules.js";
import { Checkpointer } from "./checkpointer.js";
import { MESSAGE_COLUMNS, MESSAGE_FROM, type MessageRow, toMessage } from "./message-columns.js";
import { migrate } from "./migrations.js";
import { openDatabase } from "./open-database.js";
import { SearchIndexer } from "./search-indexer.js";
import { SqliteMessageSearch } from "./sqlite-search.js";
import { WalSync } from "./wal-sync.js";

/** How long a statement waits for a lock held by another connection (a backup, the sqlite3 shell) before failing. */
const BUSY_TIMEOUT_MS = 5000;
const DEFAULT_SEQ_CACHE_SIZE = 50_000;

/** A possible target of a reply or action, with the actor's membership (absent when not a member). */
interface TargetCheckRow {
  senderId: string | null;
  kind: "text" | "system" | null;
  actionJson: string | null;
  deletedAt: number | null;
  createdAt: number | null;
}

// Columns are aliased to the records' camelCase names so rows need no mapping (messages aside: their event is JSON).
const USER_COLUMNS =
  "id, username, display_name AS displayName, password_hash AS passwordHash, created_at AS createdAt, last_seen_at AS lastSeenAt";
const SESSION_COLUMNS =
  "id, user_id AS userId, device_name AS deviceName, refresh_hash AS refreshHash, " +
  "previous_refresh_hash AS previousRefreshHash, created_at AS createdAt, expires_at AS expiresAt, revoked_at AS revokedAt";
const CONVERSATION_COLUMNS = "id, kind, title, created_at AS createdAt, last_seq AS lastSeq";
const MEMBER_COLUMNS =
  "conversation_id AS conversationId, user_id AS userId, role, joined_seq AS joinedSeq, left_seq AS leftSeq, " +
  "delivered_seq AS deliveredSeq, read_seq AS readSeq, receipt_at AS receiptAt";

function prepareStatements(db: Database.Database) {
  return {
    ping: db.prepare<[], number>("SELECT 1").pluck(),

    insertUser: db.prepare<[string, string, string, string, number]>(
      "INSERT INTO users (id, username, display_name, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
    ),
    userById: db.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`),
    userByUsername: db.prepare<[string], UserRecord>(`SELECT ${USER_COLUMNS} FROM users WHERE username = ?`),
    // A JSON array parameter gives a variable-length IN list without preparing a statement per length.
    usersByIds: db.prepare<[string], UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT value FROM json_each(?))`,
    ),
    updateDisplayName: db.prepare<[string, string], UserRecord>(
      `UPDATE users SET display_name = ? WHERE id = ? RETURNING ${USER_COLUMNS}`,
    ),
    setLastSeen: db.prepare<[number, string]>("UPDATE users SET last_seen_at = ? WHERE id = ?"),

    insertSession: db.prepare<[string, string, string, string, number, number]>(
      "INSERT INTO sessions (id, user_id, device_name, refresh_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    sessionById: db.prepare<[string], SessionRecord>(`SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = ?`),
    rotateRefresh: db.prepare<[string, number, string, string]>(
      "UPDATE sessions SET previous_refresh_hash = refresh_hash, refresh_hash = ?, expires_at = ? " +
        "WHERE id = ? AND refresh_hash = ?",
    ),
    // The first revocation time is kept: it is when the device lost access.
    revokeSession: db.prepare<[number, string]>("UPDATE sessions SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL"),

    addContact: db.prepare<[string, string, number]>(
      "INSERT INTO contacts (owner_id, contact_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    removeContact: db.prepare<[string, string]>("DELETE FROM contacts WHERE owner_id = ? AND contact_id = ?"),
    listContacts: db.prepare<[string], UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT contact_id FROM contacts WHERE owner_id = ?) ORDER BY username`,
    ),
    groupAdds: db.prepare<[string], GroupAdds | null>("SELECT group_adds FROM users WHERE id = ?").pluck(),
    setGroupAdds: db.prepare<[GroupAdds | null, string]>("UPDATE users SET group_adds = ? WHERE id = ?"),
    addBlock: db.prepare<[string, string, number]>(
      "INSERT INTO blocks (owner_id, blocked_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    removeBlock: db.prepare<[string, string]>("DELETE FROM blocks WHERE owner_id = ? AND blocked_id = ?"),
    listBlocked: db.prepare<[string], UserRecord>(
      `SELECT ${USER_COLUMNS} FROM users WHERE id IN (SELECT blocked_id FROM blocks WHERE owner_id = ?) ORDER BY username`,
    ),
    blockedBy: db
      .prepare<[string, string], string>(
        "SELECT owner_id FROM blocks WHERE blocked_id = ? AND owner_id IN (SELECT value FROM json_each(?))",
      )
      .pluck(),
    refusingGroupAdd: db
      .prepare<{ actor: string; users: string; fallback: GroupAdds }, string>(
        `SELECT u.id FROM users AS u
         WHERE u.id IN (SELECT value FROM json_each(@users))
           AND (EXISTS (SELECT 1 FROM blocks WHERE owner_id = u.id AND blocked_id = @actor)
                OR COALESCE(u.group_adds, @fallback) = 'nobody'
                OR (COALESCE(u.group_adds, @fallback) = 'contacts'
                    AND NOT EXISTS (SELECT 1 FROM contacts WHERE owner_id = u.id AND contact_id = @actor)))`,
      )
      .pluck(),
    presenceVisible: db
      .prepare<{ viewer: string; targets: string }, string>(
        `SELECT t.value FROM json_each(@targets) AS t
       WHERE t.value = @viewer
          OR EXISTS (SELECT 1 FROM members AS mine
                     JOIN members AS theirs ON theirs.conversation_id = mine.conversation_id AND theirs.user_id = t.value
                     WHERE mine.user_id = @viewer AND mine.left_seq IS NULL AND theirs.left_seq IS NULL)
          OR EXISTS (SELECT 1 FROM contacts WHERE owner_id = t.value AND contact_id = @viewer)`,
      )
      .pluck(),

    insertConversation: db.prepare<[string, ConversationKind, string | null, string | null, number, number]>(
      "INSERT INTO conversations (id, kind, title, direct_key, created_at, last_seq) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    conversationById: db.prepare<[string], ConversationRecord>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ?`),
    conversationByDirectKey: db.prepare<[string], ConversationRecord>(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE direct_key = ?`,
    ),
    lastSeq: db.prepare<[string], number>("SELECT last_seq FROM conversations WHERE id = ?").pluck(),
    setLastSeq: db.prepare<[number, string]>("UPDATE conversations SET last_seq = ? WHERE id = ?"),
    setTitle: db.prepare<[string, string]>("UPDATE conversations SET title = ? WHERE id = ?"),

    insertMember: db.prepare<[string, string, Role, number, number, number, number]>(
      "INSERT INTO members (conversation_id, user_id, role, joined_seq, delivered_seq, read_seq, receipt_at) " +
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    // Watermarks only move forward, so a returning member's are lifted to just before the re-join, never lowered:
    // what happened while they were away is invisible to them and must not count as unread.
    readmitMember: db.prepare<{
      conversationId: string;
      userId: string;
      seq: number;
      deliveredSeq: number;
      readSeq: number;
      receiptAt: number;
    }>(
      `UPDATE members SET role = 'member', joined_seq = @seq, left_seq = NULL,
         delivered_seq = @deliveredSeq, read_seq = @readSeq, receipt_at = @receiptAt
       WHERE conversation_id = @conversationId AND user_id = @userId`,
    ),
    isCurrentMember: db
      .prepare<[string, string], number>("SELECT 1 FROM members WHERE conversation_id = ? AND user_id = ? AND left_seq IS NULL")
      .pluck(),
    membership: db.prepare<[string, string], MemberRecord>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = ? AND user_id = ?`,
    ),
    currentMembers: db.prepare<[string], MemberRecord>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE conversation_id = ? AND left_seq IS NULL ORDER BY joined_seq, user_id`,
    ),
    // A JSON array parameter again: one statement for any number of conversations.
    receiptsMovedIn: db
      .prepare<[string, number], string>(
        `SELECT DISTINCT conversation_id FROM members
         WHERE conversation_id IN (SELECT value FROM json_each(?)) AND left_seq IS NULL AND receipt_at > ?`,
      )
      .pluck(),
    countCurrentMembers: db
      .prepare<[string], number>("SELECT count(*) FROM members WHERE conversation_id = ? AND left_seq IS NULL")
      .pluck(),
    membershipsOfUser: db.prepare<[string], MembershipRow>(
      `SELECT m.conversation_id AS conversationId, m.user_id AS userId, m.role, m.joined_seq AS joinedSeq,
              m.left_seq AS leftSeq, m.delivered_seq AS deliveredSeq, m.read_seq AS readSeq, m.receipt_at AS receiptAt,
              c.kind, c.title, c.created_at AS conversationCreatedAt, c.last_seq AS lastSeq
       FROM members AS m JOIN conversations AS c ON c.id = m.conversation_id
       WHERE m.user_id = ? ORDER BY m.conversation_id`,
    ),
    // The same rows, one page: NULL bounds are open.
    membershipsPage: db.prepare<{ user: string; after: string | null; through: string | null; limit: number }, MembershipRow>(
      `SELECT m.conversation_id AS conversationId, m.user_id AS userId, m.role, m.joined_seq AS joinedSeq,
              m.left_seq AS leftSeq, m.delivered_seq AS deliveredSeq, m.read_seq AS readSeq, m.receipt_at AS receiptAt,
              c.kind, c.title, c.created_at AS conversationCreatedAt, c.last_seq AS lastSeq
       FROM members AS m JOIN conversations AS c ON c.id = m.conversation_id
       WHERE m.user_id = @user AND (@after IS NULL OR m.conversation_id > @after)
         AND (@through IS NULL OR m.conversation_id <= @through)
       ORDER BY m.conversation_id LIMIT @limit`,
    ),
    membershipCounts: db.prepare<[string], { userId: string; n: number }>(
      `SELECT user_id AS userId, count(*) AS n FROM members
       WHERE user_id IN (SELECT value FROM json_each(?)) AND left_seq IS NULL GROUP BY user_id`,
    ),
    groupsCreatedSince: db.prepare<[string, number], { count: number; oldest: number | null }>(
      "SELECT count(*) AS count, min(created_at) AS oldest FROM conversations WHERE created_by = ? AND created_at >= ?",
    ),
    setCreator: db.prepare<[string, string]>("UPDATE conversations SET created_by = ? WHERE id = ?"),
    setLeft: db.prepare<[number, string, string]>("UPDATE members SET left_seq = ? WHERE conversation_id = ? AND user_id = ?"),
    setRole: db.prepare<[Role, string, string]>("UPDATE members SET role = ? WHERE conversation_id = ? AND user_id = ?"),
    hasCurrentOwner: db
      .prepare<[string], number>(
        "SELECT 1 FROM members WHERE conversation_id = ? AND left_seq IS NULL AND role = 'owner' LIMIT 1",
      )
      .pluck(),
    // Successor of a departed owner: the longest-standing admin, else the longest-standing member.
    ownerSuccessor: db
      .prepare<[string], string>(
        `SELECT user_id FROM members WHERE conversation_id = ? AND left_seq IS NULL
         ORDER BY ${OWNER_SUCCESSION_ORDER} LIMIT 1`,
      )
      .pluck(),
    setReceipts: db.prepare<[number, number, number, string, string]>(
      "UPDATE members SET delivered_seq = ?, read_seq = ?, receipt_at = ? WHERE conversation_id = ? AND user_id = ?",
    ),

    messageByClientId: db.prepare<[string, string], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.sender_id = ? AND m.client_id = ?`,
    ),
    insertText: db.prepare<[string, number, string, string, string, string, number, number | null, string | null]>(
      "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at, reply_to, " +
        "attachments_json) VALUES (?, ?, ?, ?, ?, 'text', ?, NULL, ?, ?, ?) " +
        "ON CONFLICT (sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING",
    ),
    linkAttachment: db.prepare<[string, string, number, number]>(
      "INSERT INTO message_attachments (upload_id, conversation_id, seq, position) VALUES (?, ?, ?, ?)",
    ),
    // A message deleted for everyone no longer shares its files: they expire like unshared uploads.
    unlinkAttachments: db.prepare<[string, number]>("DELETE FROM message_attachments WHERE conversation_id = ? AND seq = ?"),
    insertAction: db.prepare<[string, number, string, string, string, number, string]>(
      "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at, action_json) " +
        "VALUES (?, ?, ?, ?, ?, 'system', NULL, NULL, ?, ?)",
    ),
    // The target of a reply or action and the actor's membership, in one probe (a row even when either is missing).
    targetCheck: db.prepare<{ conversationId: string; seq: number }, TargetCheckRow>(
      `SELECT sender_id AS senderId, kind, action_json AS actionJson, deleted_at AS deletedAt, created_at AS createdAt
       FROM messages WHERE conversation_id = @conversationId AND seq = @seq`,
    ),
    editBody: db.prepare<[string, number, string, number]>(
      "UPDATE messages SET body = ?, edited_at = ? WHERE conversation_id = ? AND seq = ?",
    ),
    // A tombstone keeps its place in the order and nothing of its content.
    tombstone: db.prepare<[number, string, number]>(
      "UPDATE messages SET body = NULL, edited_at = NULL, reply_to = NULL, attachments_json = NULL, deleted_at = ? " +
        "WHERE conversation_id = ? AND seq = ?",
    ),
    deleteReactionsOf: db.prepare<[string, number]>("DELETE FROM reactions WHERE conversation_id = ? AND target_seq = ?"),
    reactionEmojis: db
      .prepare<[string, number], string>("SELECT DISTINCT emoji FROM reactions WHERE conversation_id = ? AND target_seq = ?")
      .pluck(),
    addReaction: db.prepare<[string, number, string, string, number, number]>(
      "INSERT INTO reactions (conversation_id, target_seq, user_id, emoji, created_at, entry_seq) VALUES (?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT DO NOTHING",
    ),
    removeReaction: db.prepare<[string, number, string, string]>(
      "DELETE FROM reactions WHERE conversation_id = ? AND target_seq = ? AND user_id = ? AND emoji = ?",
    ),
    reactionsInRange: db.prepare<[string, number, number], ReactionRecord>(
      `SELECT target_seq AS seq, emoji, user_id AS userId, entry_seq AS entrySeq FROM reactions
       WHERE conversation_id = ? AND target_seq BETWEEN ? AND ? ORDER BY entry_seq, created_at, user_id, emoji`,
    ),
    hiddenInRange: db
      .prepare<[string, string, number, number], number>(
        "SELECT seq FROM hidden_messages WHERE user_id = ? AND conversation_id = ? AND seq BETWEEN ? AND ?",
      )
      .pluck(),
    reactionsOf: db.prepare<[string, string], ReactionRecord>(
      `SELECT target_seq AS seq, emoji, user_id AS userId, entry_seq AS entrySeq FROM reactions
       WHERE conversation_id = ? AND target_seq IN (SELECT value FROM json_each(?)) ORDER BY entry_seq, created_at, user_id, emoji`,
    ),
    messagesBySeq: db.prepare<[string, string], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
       WHERE m.conversation_id = ? AND m.seq IN (SELECT value FROM json_each(?)) ORDER BY m.seq`,
    ),
    hide: db.prepare<[string, string, number, number]>(
      "INSERT INTO hidden_messages (user_id, conversation_id, seq, hidden_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    hiddenSeqs: db
      .prepare<[string, string, string], number>(
        "SELECT seq FROM hidden_messages WHERE user_id = ? AND conversation_id = ? AND seq IN (SELECT value FROM json_each(?))",
      )
      .pluck(),
    hiddenSince: db.prepare<[string, number], { conversationId: string; seq: number }>(
      `SELECT conversation_id AS conversationId, seq FROM hidden_messages WHERE user_id = ? AND hidden_at >= ?
       ORDER BY conversation_id, seq`,
    ),
    insertSystem: db.prepare<[string, number, string, string, string, number]>(
      "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at) " +
        "VALUES (?, ?, ?, ?, NULL, 'system', NULL, ?, ?)",
    ),
    historyAsc: db.prepare<[string, number, number, number], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.conversation_id = ? AND m.seq BETWEEN ? AND ? ORDER BY m.seq LIMIT ?`,
    ),
    historyDesc: db.prepare<[string, number, number, number], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.conversation_id = ? AND m.seq BETWEEN ? AND ? ORDER BY m.seq DESC LIMIT ?`,
    ),
    // The latest entry a conversation list shows: never an action, never one the viewer hid for themself.
    lastMessage: db.prepare<{ conversationId: string; maxSeq: number; viewer: string | null }, MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
       WHERE m.conversation_id = @conversationId AND m.seq <= @maxSeq AND m.action_json IS NULL
         AND NOT EXISTS (SELECT 1 FROM hidden_messages AS h
                         WHERE h.user_id = @viewer AND h.conversation_id = m.conversation_id AND h.seq = m.seq)
       ORDER BY m.seq DESC LIMIT 1`,
    ),
    countUnread: db
      .prepare<[string, number, number, string], number>(
        "SELECT count(*) FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender_id <> ? AND kind = 'text' " +
          "AND deleted_at IS NULL",
      )
      .pluck(),
    // Walks the primary key (conversation_id, seq) over the range: cost proportional to the entries covered.
    textAuthors: db.prepare<[string, number, number], { seq: number; senderId: string }>(
      "SELECT seq, sender_id AS senderId FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND kind = 'text' " +
        "AND deleted_at IS NULL ORDER BY seq",
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/**
 * The span of `seqs` when they are dense enough (a history page, give or take an action target) for one range scan
 * of the primary key to beat a JSON list; undefined otherwise.
 */
function denseRange(seqs: readonly number[]): { from: number; to: number } | undefined {
  let from = seqs[0]!;
  let to = from;
  for (const seq of seqs) {
    if (seq < from) from = seq;
    else if (seq > to) to = seq;
  }
  return to - from <= 2 * seqs.length + 64 ? { from, to } : undefined;
}

function isUniqueViolation(error: unknown, column: string): boolean {
  return error instanceof Database.SqliteError && error.code === "SQLITE_CONSTRAINT_UNIQUE" && error.message.includes(column);
}

export interface SqliteOptions {
  /** The at-rest SQLite key (AtRestKey.sqliteKey): the file is opened, and created, encrypted (open-database.ts). */
  encryptionKey?: Buffer;
  /** `full` (default): fsync per commit; `normal`: durable against process crashes, not power loss. */
  synchronous?: "full" | "normal";
  /**
   * WAL checkpoints in a worker thread instead of inside commits on the event loop (checkpointer.ts); ignored for
   * in-memory databases. Off by default: on this project's 2-core benchmark machine it cost more CPU per commit than
   * it saved (docs/performance.md, "Off-loop fsync and checkpoints: off by default").
   */
  backgroundCheckpoints?: boolean;
  /** Most conversations whose last seq is cached (default 50,000). */
  seqCacheSize?: number;
  /**
   * With `synchronous: "full"`: message batches commit without the in-commit fsync and are answered
   * after an fsync of the WAL on libuv's thread pool (wal-sync.ts), so the event loop never waits for the disk. Same
   * durability. Off by default for the same reason as `backgroundCheckpoints` (about 70 µs more CPU per commit).
   */
  asyncFsync?: boolean;
  /**
   * Full-text indexing runs in the background (search-indexer.ts): how long after a send its batch is indexed, ms
   * (default 200; searches never wait for it, they index what is pending first).
   */
  searchIndexIntervalMs?: number;
  /** Most messages one background indexing transaction takes (default 500). */
  searchIndexBatchSize?: number;
  /**
   * Told when indexing fails, in the background or before a search (the messages stay pending and are retried; the
   * search answers from what is indexed); default: a process warning.
   */
  onSearchIndexError?: (error: unknown) => void;
}

/**
 * Store on one SQLite database. Writes are synchronous and serialized by the event loop, which is what makes the
 * in-memory last-seq cache safe: this store must be the only writer of its file. Should a second writer slip in,
 * the messages primary key (conversation, seq) rejects the colliding insert instead of corrupting the sequence,
 * and the failed call drops the cache entries it touched.
 *
 * Permission and kind rules (who may add or rename, no member changes in direct conversations) belong to the
 * services; the store only enforces the integrity rules of the port.
 */
export class SqliteStore implements Store {
  /** Appends write synchronously in call order; only their fsync is awaited (wal-sync.ts). */
  readonly pipelinedAppends = true;
  private readonly q: Statements;
  /**
   * conversation id → committed last_seq; saves a SELECT per appended message. Bounded (least recently written
   * out first): a miss only costs that SELECT, and a server that touched every conversation must not keep them all.
   */
  private readonly lastSeqCache = new Map<string, number>();
  private readonly seqCacheSize: number;
  private readonly appendTx: (drafts: readonly EntryDraft[], seqs: Map<string, number>) => AppendOutcome[];
  private readonly openDirectTx: (input: OpenDirectInput) => { conversation: ConversationRecord; created: boolean };
  private readonly createGroupTx: (input: CreateGroupInput) => { conversation: ConversationRecord; message: Message };
  private readonly receiptsTx: (updates: readonly ReceiptUpdate[]) => ReceiptResult[];
  private readonly lastSeenTx: (seen: readonly LastSeen[]) => void;
  private readonly searcher: SqliteMessageSearch;
  /** Moves sent messages into the search index in the background (migration 6); searches flush it first. */
  readonly searchIndexer: SearchIndexer;
  private readonly checkpointer: Checkpointer | undefined;
  private readonly walSync: WalSync | undefined;
  /** `PRAGMA synchronous` switches around hot-path commits (only with walSync, whose mode is FULL otherwise). */
  private readonly syncOff: Database.Statement | undefined;
  private readonly syncFull: Database.Statement | undefined;

  /** Opens (creating if needed, with its parent directory) and migrates the database at `path`; ":memory:" works. */
  static open(path: string, options: SqliteOptions = {}): SqliteStore {
    if (path !== ":memory:" && path !== "" && !path.startsWith("file:")) mkdirSync(dirname(resolve(path)), { recursive: true });
    return new SqliteStore(openDatabase(path, options.encryptionKey), options);
  }

  /**
   * Takes ownership of `db`: sets the pragmas, migrates, and prepares every statement once. `db` stays reachable
   * for backups and tests; writing through it bypasses the seq cache.
   */
  constructor(
    readonly db: Database.Database,
    options: SqliteOptions = {},
  ) {
    db.pragma("journal_mode = WAL");
    // FULL syncs the WAL on every commit, so an acknowledged message survives power loss; group commit pays that
    // once per batch. NORMAL survives application crashes only and skips the fsync.
    db.pragma(`synchronous = ${options.synchronous === "normal" ? "NORMAL" : "FULL"}`);
    db.pragma("foreign_keys = ON");
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    migrate(db);
    this.seqCacheSize = options.seqCacheSize ?? DEFAULT_SEQ_CACHE_SIZE;
    this.q = prepareStatements(db);
    this.searcher = new SqliteMessageSearch(db);
    this.searchIndexer = new SearchIndexer(db, {
      ...(options.searchIndexIntervalMs === undefined ? {} : { intervalMs: options.searchIndexIntervalMs }),
      ...(options.searchIndexBatchSize === undefined ? {} : { batchSize: options.searchIndexBatchSize }),
      ...(options.onSearchIndexError === undefined ? {} : { onError: options.onSearchIndexError }),
    });
    // Left by a crash (or by writes of another process): indexed shortly after start, not at the first search.
    if (this.searchIndexer.hasPending()) this.searchIndexer.schedule();
    // IMMEDIATE: the write lock is taken at BEGIN, before the transaction's first read. A deferred transaction that
    // read first and then must upgrade deadlocks against the checkpointer's TRUNCATE (which holds the write lock and
    // waits for readers) until one side's busy timeout gives up.
    this.appendTx = db.transaction((drafts: readonly EntryDraft[], seqs: Map<string, number>) =>
      this.appendInTx(drafts, seqs),
    ).immediate;
    this.openDirectTx = db.transaction((input: OpenDirectInput) => this.openDirectInTx(input)).immediate;
    this.createGroupTx = db.transaction((input: CreateGroupInput) => this.createGroupInTx(input)).immediate;
    this.receiptsTx = db.transaction((updates: readonly ReceiptUpdate[]) => this.receiptsInTx(updates)).immediate;
    this.lastSeenTx = db.transaction((seen: readonly LastSeen[]) => {
      for (const { userId, at } of seen) this.q.setLastSeen.run(at, userId);
    }).immediate;
    if (options.backgroundCheckpoints && !db.memory) {
      this.checkpointer = new Checkpointer(db, options.encryptionKey ? { key: options.encryptionKey } : {});
    }
    if (options.asyncFsync && options.synchronous !== "normal" && !db.memory) this.walSync = WalSync.open(db.name);
    if (this.walSync) {
      // SQLite applies this pragma when the statement is prepared, too: FULL is prepared last on purpose.
      this.syncOff = db.prepare("PRAGMA synchronous = OFF");
      this.syncFull = db.prepare("PRAGMA synchronous = FULL");
    }
  }

  /**
   * Runs a hot-path write transaction. With async fsync, it commits without syncing and resolves after the WAL's
   * fsync (shared by the commits made meanwhile); otherwise it commits the usual way, fsync included.
   */
  private async durably<T>(write: () => T): Promise<T> {
    const sync = this.walSync;
    if (!sync || !this.syncOff || !this.syncFull) return write();
    this.syncOff.run();
    let result: T;
    try {
      result = write();
    } finally {
      this.syncFull.run();
    }
    await sync.afterCommit();
    return result;
  }

  /**
   * Reads that return messages, seqs or watermarks wait until what was committed before them is durable. They call
   * `if (this.unsettled) await this.settled()`: an `await` of nothing still costs a microtask turn per read, and
   * without async fsync (the default) nothing is ever pending.
   */
  private get unsettled(): boolean {
    return this.walSync?.pending === true;
  }

  private settled(): Promise<void> | undefined {
    return this.walSync?.settled();
  }

  async ping(): Promise<void> {
    this.q.ping.get();
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    await this.walSync?.settled();
    this.walSync?.close();
    await this.checkpointer?.close();
    // What is still pending is indexed now: a cleanly closed file needs no indexing at its next open.
    this.searchIndexer.close();
    // Folding the WAL back leaves a single self-contained file behind (backups, copies).
    this.db.pragma("wal_checkpoint(TRUNCATE)");
    this.db.close();
    this.lastSeqCache.clear();
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
      this.q.insertUser.run(user.id, user.username, user.displayName, user.passwordHash, user.createdAt);
    } catch (error) {
      if (isUniqueViolation(error, "users.username")) throw new StoreError("username_taken", "username is taken");
      throw error;
    }
    return { ...user, lastSeenAt: null };
  }

  async getUserById(id: string): Promise<UserRecord | undefined> {
    return this.q.userById.get(id);
  }

  async getUserByUsername(username: string): Promise<UserRecord | undefined> {
    return this.q.userByUsername.get(username);
  }

  async getUsersByIds(ids: readonly string[]): Promise<UserRecord[]> {
    if (ids.length === 0) return [];
    return this.q.usersByIds.all(JSON.stringify(ids));
  }

  async updateDisplayName(id: string, displayName: string): Promise<UserRecord | undefined> {
    return this.q.updateDisplayName.get(displayName, id);
  }

  async setLastSeen(userId: string, at: number): Promise<void> {
    this.q.setLastSeen.run(at, userId);
  }

  async setLastSeenMany(seen: readonly LastSeen[]): Promise<void> {
    if (seen.length > 0) this.lastSeenTx(seen);
  }

  async createSession(session: Omit<SessionRecord, "previousRefreshHash" | "revokedAt">): Promise<void> {
    this.q.insertSession.run(
      session.id,
      session.userId,
      session.deviceName,
      session.refreshHash,
      session.createdAt,
      session.expiresAt,
    );
  }

  async getSession(id: string): Promise<SessionRecord | undefined> {
    return this.q.sessionById.get(id);
  }

  async rotateRefresh(sessionId: string, expectedHash: string, newHash: string, expiresAt: number): Promise<boolean> {
    return this.q.rotateRefresh.run(newHash, expiresAt, sessionId, expectedHash).changes === 1;
  }

  async revokeSession(id: string, at: number): Promise<void> {
    this.q.revokeSession.run(at, id);
  }

  async addContact(ownerId: string, contactId: string, at: number): Promise<void> {
    this.q.addContact.run(ownerId, contactId, at);
  }

  async removeContact(ownerId: string, contactId: string): Promise<void> {
    this.q.removeContact.run(ownerId, contactId);
  }

  async listContacts(ownerId: string): Promise<UserRecord[]> {
    return this.q.listContacts.all(ownerId);
  }

  async getGroupAdds(userId: string): Promise<GroupAdds | null> {
    return this.q.groupAdds.get(userId) ?? null;
  }

  async setGroupAdds(userId: string, value: GroupAdds | null): Promise<void> {
    this.q.setGroupAdds.run(value, userId);
  }

  async addBlock(ownerId: string, blockedId: string, at: number): Promise<void> {
    this.q.addBlock.run(ownerId, blockedId, at);
  }

  async removeBlock(ownerId: string, blockedId: string): Promise<void> {
    this.q.removeBlock.run(ownerId, blockedId);
  }

  async listBlocked(ownerId: string): Promise<UserRecord[]> {
    return this.q.listBlocked.all(ownerId);
  }

  async blockedBy(userId: string, ownerIds: readonly string[]): Promise<string[]> {
    if (ownerIds.length === 0) return [];
    return this.q.blockedBy.all(userId, JSON.stringify(ownerIds));
  }

  async refusingGroupAdd(actorId: string, userIds: readonly string[], defaultPolicy: GroupAdds): Promise<string[]> {
    if (userIds.length === 0) return [];
    return this.q.refusingGroupAdd.all({ actor: actorId, users: JSON.stringify(userIds), fallback: defaultPolicy });
  }

  async filterPresenceVisible(viewerId: string, targetIds: readonly string[]): Promise<string[]> {
    if (targetIds.length === 0) return [];
    return this.q.presenceVisible.all({ viewer: viewerId, targets: JSON.stringify([...new Set(targetIds)]) });
  }

  // ── conversations ───────────────────────────────────────────────────────────────────────────────────────────

  async openDirect(input: OpenDirectInput): Promise<{ conversation: ConversationRecord; created: boolean }> {
    const result = this.openDirectTx(input);
    if (result.created) this.cacheSeq(result.conversation.id, result.conversation.lastSeq);
    return result;
  }

  async createGroup(input: CreateGroupInput): Promise<{ conversation: ConversationRecord; message: Message }> {
    const result = this.createGroupTx(input);
    this.cacheSeq(result.conversation.id, result.conversation.lastSeq);
    return result;
  }

  async getConversation(id: string): Promise<ConversationRecord | undefined> {
    if (this.unsettled) await this.settled();
    return this.q.conversationById.get(id);
  }

  async getMembers(conversationId: string): Promise<MemberRecord[]> {
    if (this.unsettled) await this.settled();
    return this.q.currentMembers.all(conversationId);
  }

  async getMembership(conversationId: string, userId: string): Promise<MemberRecord | undefined> {
    if (this.unsettled) await this.settled();
    return this.q.membership.get(conversationId, userId);
  }

  async listMemberships(
    userId: string,
    page?: MembershipPage,
  ): Promise<{ membership: MemberRecord; conversation: ConversationRecord }[]> {
    if (this.unsettled) await this.settled();
    const rows =
      page === undefined
        ? this.q.membershipsOfUser.all(userId)
        : this.q.membershipsPage.all({
            user: userId,
            after: page.after ?? null,
            through: page.through ?? null,
            limit: page.limit,
          });
    return rows.map(splitMembershipRow);
  }

  async countMemberships(userIds: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map(userIds.map((id) => [id, 0]));
    if (userIds.length === 0) return counts;
    if (this.unsettled) await this.settled();
    for (const row of this.q.membershipCounts.all(JSON.stringify(userIds))) counts.set(row.userId, row.n);
    return counts;
  }

  async groupsCreatedSince(ownerId: string, since: number): Promise<{ count: number; oldest: number | null }> {
    if (this.unsettled) await this.settled();
    return this.q.groupsCreatedSince.get(ownerId, since) ?? { count: 0, oldest: null };
  }

  async conversationsWithReceiptsAfter(conversationIds: readonly string[], since: number): Promise<Set<string>> {
    if (conversationIds.length === 0) return new Set();
    if (this.unsettled) await this.settled();
    return new Set(this.q.receiptsMovedIn.all(JSON.stringify(conversationIds), since));
  }

  // ── messages ────────────────────────────────────────────────────────────────────────────────────────────────

  async append(drafts: readonly EntryDraft[]): Promise<AppendOutcome[]> {
    if (drafts.length === 0) return [];
    // The write is done when durably() returns its promise: the triggers have recorded what search must index.
    const written = this.durably(() => this.withSeqs((seqs) => this.appendTx(drafts, seqs)));
    this.searchIndexer.schedule();
    return written;
  }

  async getHistory(query: HistoryQuery): Promise<Message[]> {
    if (this.unsettled) await this.settled();
    const bounds = historyBounds(query);
    if (bounds === undefined) return [];
    const { from, to } = bounds;
    if (query.direction === "asc") return this.q.historyAsc.all(query.conversationId, from, to, query.limit).map(toMessage);
    return this.q.historyDesc.all(query.conversationId, from, to, query.limit).reverse().map(toMessage);
  }

  async getLastMessage(conversationId: string, maxSeq: number, viewerId?: string): Promise<Message | null> {
    if (this.unsettled) await this.settled();
    const row = this.q.lastMessage.get({ conversationId, maxSeq, viewer: viewerId ?? null });
    return row === undefined ? null : toMessage(row);
  }

  async getMessagesBySeq(conversationId: string, seqs: readonly number[]): Promise<Message[]> {
    if (this.unsettled) await this.settled();
    if (seqs.length === 0) return [];
    return this.q.messagesBySeq.all(conversationId, JSON.stringify(seqs)).map(toMessage);
  }

  async getReactions(conversationId: string, seqs: readonly number[]): Promise<ReactionRecord[]> {
    if (this.unsettled) await this.settled();
    if (seqs.length === 0) return [];
    const range = denseRange(seqs);
    if (range === undefined) return this.q.reactionsOf.all(conversationId, JSON.stringify(seqs));
    const wanted = new Set(seqs);
    return this.q.reactionsInRange.all(conversationId, range.from, range.to).filter((r) => wanted.has(r.seq));
  }

  async hideMessage(userId: string, conversationId: string, seq: number, at: number): Promise<boolean> {
    return this.q.hide.run(userId, conversationId, seq, at).changes === 1;
  }

  async getHiddenSeqs(userId: string, conversationId: string, seqs: readonly number[]): Promise<number[]> {
    if (seqs.length === 0) return [];
    const range = denseRange(seqs);
    if (range === undefined) return this.q.hiddenSeqs.all(userId, conversationId, JSON.stringify(seqs));
    const wanted = new Set(seqs);
    return this.q.hiddenInRange.all(userId, conversationId, range.from, range.to).filter((seq) => wanted.has(seq));
  }

  async listHiddenSince(userId: string, since: number | undefined): Promise<{ conversationId: string; seq: number }[]> {
    return this.q.hiddenSince.all(userId, since ?? 0);
  }

  async countUnread(conversationId: string, userId: string, afterSeq: number, maxSeq: number): Promise<number> {
    if (this.unsettled) await this.settled();
    if (afterSeq >= maxSeq) return 0;
    return this.q.countUnread.get(conversationId, afterSeq, maxSeq, userId) ?? 0;
  }

  async searchMessages(userId: string, search: MessageSearch): Promise<SearchMatch[]> {
    if (this.unsettled) await this.settled();
    if (search.terms.length === 0 || search.limit <= 0) return [];
    // Read-your-writes: a message sent before the search is found even when its background batch has not run yet.
    this.searchIndexer.catchUp();
    return this.searcher.search(userId, search);
  }

  // ── receipts ────────────────────────────────────────────────────────────────────────────────────────────────

  async updateReceipts(updates: readonly ReceiptUpdate[]): Promise<ReceiptResult[]> {
    if (updates.length === 0) return [];
    // Committed with the fsync inside (one flush per PARLEY_RECEIPT_FLUSH_MS): reads of watermarks then never wait
    // for a pending fsync, which under continuous receipts (a reconnect storm) would delay every sync.
    return this.receiptsTx(updates);
  }

  async getEntryAuthors(ranges: readonly SeqRange[]): Promise<EntryAuthor[]> {
    // No settled(): this only routes receipt events (nothing is shown to anyone), and the watermarks that produced the
    // ranges were committed without waiting for the fsync either.
    const out: EntryAuthor[] = [];
    for (const r of ranges) {
      if (r.afterSeq >= r.maxSeq) continue;
      for (const row of this.q.textAuthors.iterate(r.conversationId, r.afterSeq, r.maxSeq)) {
        out.push({ conversationId: r.conversationId, seq: row.seq, senderId: row.senderId });
      }
    }
    return out;
  }

  // ── transaction bodies (run inside better-sqlite3 transactions; a throw rolls everything back) ──────────────

  /**
   * Runs a sequence-assigning transaction with a scratch map of the seqs it assigns. The shared cache only learns
   * them after the commit; on failure the touched entries are dropped so the next call re-reads the committed value.
   */
  private withSeqs<T>(run: (seqs: Map<string, number>) => T): T {
    const seqs = new Map<string, number>();
    let result: T;
    try {
      result = run(seqs);
    } catch (error) {
      for (const id of seqs.keys()) this.lastSeqCache.delete(id);
      throw error;
    }
    for (const [id, seq] of seqs) this.cacheSeq(id, seq);
    return result;
  }

  /** The conversation's current last seq within the running transaction, or undefined if it does not exist. */
  private currentSeq(conversationId: string, seqs: Map<string, number>): number | undefined {
    const pending = seqs.get(conversationId);
    if (pending !== undefined) return pending;
    const cached = this.lastSeqCache.get(conversationId);
    if (cached !== undefined) return cached;
    const stored = this.q.lastSeq.get(conversationId);
    // Only committed values go into the cache: this read happens before the transaction writes the conversation.
    if (stored !== undefined) this.cacheSeq(conversationId, stored);
    return stored;
  }

  private cacheSeq(conversationId: string, seq: number): void {
    setNewest(this.lastSeqCache, conversationId, seq, this.seqCacheSize);
  }

  /** How many conversations' last seqs are cached (tests check the bound). */
  get cachedSeqCount(): number {
    return this.lastSeqCache.size;
  }

  /** The one transaction body of every entry after a conversation's creation (the port's `append`). */
  private appendInTx(drafts: readonly EntryDraft[], seqs: Map<string, number>): AppendOutcome[] {
    const q = this.q;
    const outcomes: AppendOutcome[] = new Array(drafts.length);
    for (let i = 0; i < drafts.length; i++) {
      const d = drafts[i]!;
      if (isMembershipDraft(d)) {
        outcomes[i] = this.membershipEntry(d, seqs);
        continue;
      }
      const lastSeq = this.currentSeq(d.conversationId, seqs);
      // Never cached: a removal must take effect on the very next send.
      const refused =
        lastSeq === undefined
          ? "not_found"
          : q.isCurrentMember.get(d.conversationId, d.senderId) === undefined
            ? "not_member"
            : "";
      if (refused !== "") {
        // A repeat of a send that was stored is answered with the original even after the sender left.
        const original = q.messageByClientId.get(d.senderId, d.clientId);
        outcomes[i] =
          original !== undefined
            ? { ok: true, message: toMessage(original), duplicate: true }
            : refused === "not_found"
              ? { ok: false, code: "not_found", message: "Conversation not found" }
              : { ok: false, code: "not_member", message: "Sender is not a member of the conversation" };
        continue;
      }
      if (d.action !== undefined || d.replyTo !== undefined) {
        // A repeat is answered with the original before any rule is checked: the target may have changed since.
        const original = q.messageByClientId.get(d.senderId, d.clientId);
        if (original !== undefined) {
          outcomes[i] = { ok: true, message: toMessage(original), duplicate: true };
          continue;
        }
        const refusal = this.checkTarget(d);
        if (refusal !== null) {
          outcomes[i] = { ok: false, code: refusal, message: refusalMessage(refusal) };
          continue;
        }
      }
      const seq = lastSeq! + 1;
      const hadPending = seqs.has(d.conversationId);
      // Recorded before the insert so that a failing insert (a stale cache) still gets its cache entry dropped.
      seqs.set(d.conversationId, seq);
      if (d.action === undefined) {
        const attachments = d.attachments ?? [];
        // The unique (sender, client id) index is the idempotency check of plain sends: one probe, done by the insert
        // itself. A repeat (also one earlier in this batch: its row is visible inside the transaction) inserts nothing.
        const inserted = q.insertText.run(
          d.conversationId,
          seq,
          d.id,
          d.senderId,
          d.clientId,
          d.body,
          d.createdAt,
          d.replyTo ?? null,
          attachments.length === 0 ? null : JSON.stringify(attachments),
        );
        if (inserted.changes === 0) {
          if (hadPending) seqs.set(d.conversationId, lastSeq!);
          else seqs.delete(d.conversationId);
          outcomes[i] = { ok: true, message: toMessage(q.messageByClientId.get(d.senderId, d.clientId)!), duplicate: true };
          continue;
        }
        for (let p = 0; p < attachments.length; p++) q.linkAttachment.run(attachments[p]!.id, d.conversationId, seq, p);
        outcomes[i] = { ok: true, message: this.textMessage(d, seq), duplicate: false };
        continue;
      }
      const action = this.applyAction(d, seq);
      q.insertAction.run(d.conversationId, seq, d.id, d.senderId, d.clientId, d.createdAt, JSON.stringify(action));
      outcomes[i] = {
        ok: true,
        message: {
          id: d.id,
          conversationId: d.conversationId,
          seq,
          senderId: d.senderId,
          clientId: d.clientId,
          kind: "action",
          body: null,
          event: null,
          createdAt: d.createdAt,
          action,
          attachments: [],
        },
        duplicate: false,
      };
    }
    // One conversation update per conversation per batch, not per message.
    for (const [conversationId, seq] of seqs) q.setLastSeq.run(seq, conversationId);
    return outcomes;
  }

  private textMessage(d: MessageDraft, seq: number): Message {
    const message: Message = {
      id: d.id,
      conversationId: d.conversationId,
      seq,
      senderId: d.senderId,
      clientId: d.clientId,
      kind: "text",
      body: d.body,
      event: null,
      createdAt: d.createdAt,
      attachments: d.attachments === undefined ? [] : [...d.attachments],
    };
    if (d.replyTo !== undefined) {
      // Checked just before: the quoted message exists and is a live text message.
      const quoted = this.q.messagesBySeq.get(d.conversationId, JSON.stringify([d.replyTo]));
      message.replyTo = {
        seq: d.replyTo,
        senderId: quoted?.senderId ?? "",
        preview: quoted?.body?.slice(0, REPLY_PREVIEW_CHARS) ?? null,
      };
    }
    return message;
  }

  /** The rules of replies and actions (action-rules.ts), against the rows as they are inside this transaction. */
  private checkTarget(d: MessageDraft): ActionRefusal | null {
    const seq = d.action?.target ?? d.replyTo!;
    const row = this.q.targetCheck.get({ conversationId: d.conversationId, seq });
    const target: TargetRow | undefined =
      row === undefined
        ? undefined
        : {
            seq,
            senderId: row.senderId!,
            isText: row.kind === "text" && row.actionJson === null,
            deletedAt: row.deletedAt,
            createdAt: row.createdAt!,
          };
    // The caller checked current membership just before, in this transaction.
    const actor: ActorRow = this.q.membership.get(d.conversationId, d.senderId)!;
    if (d.action === undefined) return refuseTarget(target, actor);
    const emojis = d.action.type === "reaction" ? this.q.reactionEmojis.all(d.conversationId, d.action.target) : [];
    return refuseAction(d.action, d.senderId, target, actor, emojis);
  }

  /** Changes the target in place; returns the payload of the action entry. */
  private applyAction(d: MessageDraft, seq: number): MessageAction {
    const q = this.q;
    const a = d.action!;
    switch (a.type) {
      case "edit":
        q.editBody.run(a.body, d.createdAt, d.conversationId, a.target);
        return { type: "edit", target: a.target };
      case "delete":
        q.tombstone.run(d.createdAt, d.conversationId, a.target);
        q.deleteReactionsOf.run(d.conversationId, a.target);
        q.unlinkAttachments.run(d.conversationId, a.target);
        return { type: "delete", target: a.target };
      case "reaction":
        if (a.remove) q.removeReaction.run(d.conversationId, a.target, d.senderId, a.emoji);
        else q.addReaction.run(d.conversationId, a.target, d.senderId, a.emoji, d.createdAt, seq);
        return { type: "reaction", target: a.target, emoji: a.emoji, remove: a.remove };
    }
  }

  private insertSystemMessage(
    conversationId: string,
    seq: number,
    id: string,
    actorId: string,
    event: SystemEvent,
    at: number,
  ): Message {
    this.q.insertSystem.run(conversationId, seq, id, actorId, JSON.stringify(event), at);
    return {
      id,
      conversationId,
      seq,
      senderId: actorId,
      clientId: null,
      kind: "system",
      body: null,
      event,
      createdAt: at,
      attachments: [],
    };
  }

  private openDirectInTx(input: OpenDirectInput): { conversation: ConversationRecord; created: boolean } {
    const { key, userIds, event } = directCreation(input.userA, input.userB);
    const existing = this.q.conversationByDirectKey.get(key);
    if (existing !== undefined) return { conversation: existing, created: false };
    this.q.insertConversation.run(input.id, "direct", null, key, input.createdAt, 1);
    for (const userId of userIds) this.q.insertMember.run(input.id, userId, "member", 1, 0, 0, input.createdAt);
    this.insertSystemMessage(input.id, 1, input.messageId, input.userA, event, input.createdAt);
    return {
      conversation: { id: input.id, kind: "direct", title: null, createdAt: input.createdAt, lastSeq: 1 },
      created: true,
    };
  }

  private createGroupInTx(input: CreateGroupInput): { conversation: ConversationRecord; message: Message } {
    const { others, event } = groupCreation(input.ownerId, input.memberIds, input.title);
    this.q.insertConversation.run(input.id, "group", input.title, null, input.createdAt, 1);
    this.q.setCreator.run(input.ownerId, input.id);
    this.q.insertMember.run(input.id, input.ownerId, "owner", 1, 0, 0, input.createdAt);
    for (const userId of others) this.q.insertMember.run(input.id, userId, "member", 1, 0, 0, input.createdAt);
    const message = this.insertSystemMessage(input.id, 1, input.messageId, input.ownerId, event, input.createdAt);
    return {
      conversation: { id: input.id, kind: "group", title: input.title, createdAt: input.createdAt, lastSeq: 1 },
      message,
    };
  }

  /** A membership change and its system entry; refusals are checked before anything is written. */
  private membershipEntry(input: MembershipDraft, seqs: Map<string, number>): AppendOutcome {
    const q = this.q;
    const { conversationId, senderId: actorId, change } = input;
    const lastSeq = this.currentSeq(conversationId, seqs);
    if (lastSeq === undefined) return membershipRefusal.conversationNotFound;
    if (q.isCurrentMember.get(conversationId, actorId) === undefined) return membershipRefusal.actorNotMember;
    // The event's own seq: a departing member's left_seq equals it, so they still receive their own removal.
    const seq = lastSeq + 1;
    let admitted: string[] = [];
    switch (change.type) {
      case "add": {
        const rows = new Map(change.userIds.map((userId) => [userId, q.membership.get(conversationId, userId)]));
        const admission = admissions(change.userIds, (userId) => rows.get(userId)?.leftSeq);
        admitted = admission.admitted;
        if (admitted.length === 0) return membershipRefusal.allMembers;
        if (exceedsMembers(q.countCurrentMembers.get(conversationId) ?? 0, admitted.length, change.maxMembers)) {
          return membershipRefusal.groupFull(change.maxMembers);
        }
        for (const userId of admission.past) {
          const lifted = readmission(rows.get(userId)!, seq, input.createdAt);
          q.readmitMember.run({ conversationId, userId, seq, ...lifted });
        }
        const floor = readmittedWatermark(seq);
        for (const userId of admission.fresh)
          q.insertMember.run(conversationId, userId, "member", seq, floor, floor, input.createdAt);
        break;
      }
      case "remove": {
        const target = q.membership.get(conversationId, change.userId);
        if (target === undefined || target.leftSeq !== null) return membershipRefusal.userNotMember;
        q.setLeft.run(seq, conversationId, change.userId);
        if (target.role === "owner") this.handOverOwnership(conversationId);
        break;
      }
      case "leave": {
        const wasOwner = q.membership.get(conversationId, actorId)?.role === "owner";
        q.setLeft.run(seq, conversationId, actorId);
        if (wasOwner) this.handOverOwnership(conversationId);
        break;
      }
      case "role": {
        if (q.isCurrentMember.get(conversationId, change.userId) === undefined) return membershipRefusal.userNotMember;
        q.setRole.run(change.role, conversationId, change.userId);
        break;
      }
      case "rename": {
        q.setTitle.run(change.title, conversationId);
        break;
      }
    }
    seqs.set(conversationId, seq);
    const event = membershipEvent(change, actorId, admitted);
    const message = this.insertSystemMessage(conversationId, seq, input.id, actorId, event, input.createdAt);
    return { ok: true, message, duplicate: false };
  }

  /** A group never stays without an owner while it has members. */
  private handOverOwnership(conversationId: string): void {
    if (this.q.hasCurrentOwner.get(conversationId) !== undefined) return;
    const successor = this.q.ownerSuccessor.get(conversationId);
    if (successor !== undefined) this.q.setRole.run("owner", conversationId, successor);
  }

  private receiptsInTx(updates: readonly ReceiptUpdate[]): ReceiptResult[] {
    const q = this.q;
    const results: ReceiptResult[] = [];
    const noSeqs = new Map<string, number>();
    for (const u of updates) {
      const row = q.membership.get(u.conversationId, u.userId);
      if (row === undefined || row.leftSeq !== null) {
        results.push(notMemberReceipt(u));
        continue;
      }
      const result = receiptResult(u, row, this.currentSeq(u.conversationId, noSeqs) ?? 0);
      const { deliveredSeq, readSeq } = result.state;
      if (result.changed) q.setReceipts.run(deliveredSeq, readSeq, u.at, u.conversationId, u.userId);
      results.push(result);
    }
    return results;
  }
}

type OpenDirectInput = Parameters<Store["openDirect"]>[0];
type CreateGroupInput = Parameters<Store["createGroup"]>[0];
