// The cluster conversation log: the one `append` of every entry after a conversation's creation (texts, replies,
// actions, and the membership changes of postgres-conversations.ts), and the reads of stored entries (MessageStore).

import type { Message, MessageAction, Role } from "@parley/protocol";
import type { PoolClient } from "pg";
import {
  type ActionRefusal,
  type AppendOutcome,
  type CommitDraft,
  type EntryDraft,
  type HistoryQuery,
  isCommitDraft,
  isMembershipDraft,
  type MessageDraft,
  type MessageStore,
  type PinRecord,
  type ReactionRecord,
  type SentPosition,
} from "../../ports/store.js";
import { ADMIN_ACTOR, isAdminRemoval, refusalMessage, refuseAction, refuseTarget } from "../action-rules.js";
import { historyBounds } from "../history-rules.js";
import {
  commitMessage,
  draftMessage,
  REPLY_PREVIEW_CHARS,
  type StoredMessage,
  storedToMessage as toMessage,
} from "../message-row.js";
import { commitEvent, type MlsConversationRow, mlsRefusal, refuseCommit, refuseMessage } from "../mls-rules.js";
import { MESSAGE_COLUMNS, MESSAGE_FROM } from "./message-select.js";
import { appendPlain, isPlainDraft } from "./plain-append.js";
import type { PostgresConversations } from "./postgres-conversations.js";
import { type PostgresHandle, pair } from "./postgres-handle.js";

/**
 * Step 1 of an append: lock the batch's conversations in id order (sorted before locking, so two batches sharing
 * conversations cannot deadlock). FOR NO KEY UPDATE still lets members rows reference the conversation meanwhile.
 */
const APPEND_LOCK = {
  text:
    'SELECT id, last_seq AS "lastSeq", encrypted, mls_epoch AS epoch FROM conversations WHERE id = ANY($1::text[]) ' +
    "ORDER BY id FOR NO KEY UPDATE",
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
                NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM members
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
                                 attachments, forwarded, mls_epoch, mls_device, mls_data)
           SELECT d.conversation_id, d.seq, d.id, d.sender_id, d.client_id,
                  CASE WHEN d.action IS NULL THEN 'text' ELSE 'system' END, d.body, d.created_at, d.reply_to, d.action::json,
                  d.attachments::json, d.forwarded, d.mls_epoch, d.mls_device, d.mls_data
           FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                       $10::bigint[], $11::text[], $12::text[], $13::boolean[], $14::bigint[], $15::text[], $16::bytea[])
             AS d (conversation_id, seq, id, sender_id, client_id, body, created_at, reply_to, action, attachments, forwarded,
                   mls_epoch, mls_device, mls_data)
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
                ARRAY(SELECT DISTINCT emoji FROM reactions WHERE conversation_id = $1 AND target_seq = $3) AS "emojis",
                (SELECT count(*)::int FROM pins WHERE conversation_id = $1) AS "pinCount",
                EXISTS (SELECT 1 FROM pins WHERE conversation_id = $1 AND target_seq = $3) AS "pinned"
         FROM (SELECT 1) AS one
           LEFT JOIN members AS mem ON mem.conversation_id = $1 AND mem.user_id = $2
           LEFT JOIN messages AS t ON t.conversation_id = $1 AND t.seq = $3`,
};

interface TargetCheckRow {
  /** Null when the sender is not a member (an administrator's removal). */
  role: Role | null;
  joinedSeq: number | null;
  found: boolean;
  senderId: string | null;
  isText: boolean | null;
  deletedAt: number | null;
  createdAt: number | null;
  preview: string | null;
  emojis: string[];
  pinCount: number;
  pinned: boolean;
}

/** A commit's writes after its compare-and-set passed: the entry, the conversation's epoch and GroupInfo, the Welcome. */
const COMMIT_WRITE = {
  text: `WITH entry AS (
           INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event, created_at, mls_epoch,
                                 mls_device, mls_data)
           VALUES ($1, $2, $3, $4, NULL, 'system', NULL, $5::json, $6, $7, $8, $9)
         )
         UPDATE conversations SET last_seq = $2, mls_epoch = $7 + 1, mls_group_info = $10 WHERE id = $1`,
};

const WELCOME_WRITE = {
  text: `WITH welcome AS (
           INSERT INTO e2ee_welcomes (id, conversation_id, epoch, data, created_at) VALUES ($1, $2, $3, $4, $5)
         )
         INSERT INTO e2ee_welcome_recipients (device_id, welcome_id) SELECT unnest($6::text[]), $1`,
};

/** The Welcome recipients among `$2` that are live registered devices of current members of `$1`. */
const WELCOME_RECIPIENTS = {
  text: `SELECT d.device_id AS "deviceId" FROM e2ee_devices AS d JOIN sessions AS s ON s.id = d.device_id
         JOIN members AS m ON m.conversation_id = $1 AND m.user_id = d.user_id AND m.left_seq IS NULL
         WHERE d.device_id = ANY($2::text[]) AND s.revoked_at IS NULL AND s.expires_at > $3`,
};

/** What the append lock reads of each conversation. */
interface LockedConversation {
  id: string;
  lastSeq: number;
  encrypted: boolean;
  epoch: number;
}

interface CheckRow extends StoredMessage {
  stored: boolean;
}

const HISTORY_ASC = {
  text: `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
         WHERE m.conversation_id = $1 AND m.seq BETWEEN $2 AND $3 ORDER BY m.seq LIMIT $4`,
};
const HISTORY_DESC = {
  text: `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
         WHERE m.conversation_id = $1 AND m.seq BETWEEN $2 AND $3 ORDER BY m.seq DESC LIMIT $4`,
};

/**
 * Sequence numbers: an append locks its conversations' rows (sorted by id), then checks duplicates and membership,
 * then stores only the accepted drafts with `last_seq + 1…` and the new last_seq, in one transaction. A seq is only
 * ever handed to a message that is inserted in the same commit, so sequences stay gap-free and unique. Idempotency:
 * the unique index on (sender_id, client_id); a race the check cannot see retries the transaction.
 */
export class PostgresLog implements MessageStore {
  /**
   * Each commit is a network round trip, whose fixed cost a 5 ms window spreads over more messages (docs/scaling.md:
   * a lower p99 at every rate of the cluster scenario). SQLite commits in-process and takes no window by default.
   */
  readonly defaultCommitWindowMs = 5;

  constructor(
    private readonly db: PostgresHandle,
    private readonly conversations: PostgresConversations,
  ) {}

  async append(drafts: readonly EntryDraft[]): Promise<AppendOutcome[]> {
    if (drafts.length === 0) return [];
    // The common case in one round trip (plain-append.ts); anything else in the general transaction.
    if (drafts.every(isPlainDraft)) return appendPlain(this.db, drafts);
    return this.db.transaction((client) => this.appendInTx(client, drafts));
  }

  async getHistory(query: HistoryQuery): Promise<Message[]> {
    const bounds = historyBounds(query);
    if (bounds === undefined) return [];
    const { from, to } = bounds;
    const statement = query.direction === "asc" ? HISTORY_ASC : HISTORY_DESC;
    const { rows } = await this.db.pool.query<StoredMessage>({
      ...statement,
      values: [query.conversationId, from, to, query.limit],
    });
    return (query.direction === "asc" ? rows : rows.reverse()).map(toMessage);
  }

  async getLastMessage(conversationId: string, maxSeq: number, viewerId?: string): Promise<Message | null> {
    // The latest entry a conversation list shows: never an action, never one the viewer hid for themself.
    const [row] = await this.db.rows<StoredMessage>(
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
    const rows = await this.db.rows<StoredMessage>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.conversation_id = $1 AND m.seq = ANY($2::bigint[]) ORDER BY m.seq`,
      [conversationId, seqs],
    );
    return rows.map(toMessage);
  }

  async listPins(conversationId: string): Promise<PinRecord[]> {
    return this.db.rows<PinRecord>(
      `SELECT target_seq AS seq, pinned_by AS "pinnedBy", pinned_at AS "pinnedAt", entry_seq AS "entrySeq" FROM pins
       WHERE conversation_id = $1 ORDER BY entry_seq DESC`,
      [conversationId],
    );
  }

  async getReactions(conversationId: string, seqs: readonly number[]): Promise<ReactionRecord[]> {
    if (seqs.length === 0) return [];
    return this.db.rows<ReactionRecord>(
      `SELECT target_seq AS seq, emoji, user_id AS "userId", entry_seq AS "entrySeq" FROM reactions
       WHERE conversation_id = $1 AND target_seq = ANY($2::bigint[]) ORDER BY entry_seq, created_at, user_id, emoji`,
      [conversationId, seqs],
    );
  }

  async hideMessage(userId: string, conversationId: string, seq: number, at: number): Promise<boolean> {
    const written = await this.db.write(
      "INSERT INTO hidden_messages (user_id, conversation_id, seq, hidden_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
      [userId, conversationId, seq, at],
    );
    return written === 1;
  }

  async getHiddenSeqs(userId: string, conversationId: string, seqs: readonly number[]): Promise<number[]> {
    if (seqs.length === 0) return [];
    const rows = await this.db.rows<{ seq: number }>(
      "SELECT seq FROM hidden_messages WHERE user_id = $1 AND conversation_id = $2 AND seq = ANY($3::bigint[])",
      [userId, conversationId, seqs],
    );
    return rows.map((r) => r.seq);
  }

  async listSentMessages(senderId: string, after: SentPosition | null, limit: number): Promise<Message[]> {
    // Row values compare (conversation_id, seq) > ($2, $3) along the messages_sender index (migration 13).
    const rows = await this.db.rows<StoredMessage>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
       WHERE m.sender_id = $1 AND m.kind = 'text' AND (m.conversation_id, m.seq) > ($2, $3)
       ORDER BY m.conversation_id, m.seq LIMIT $4`,
      [senderId, after?.conversationId ?? "", after?.seq ?? 0, limit],
    );
    return rows.map(toMessage);
  }

  async listHiddenSince(userId: string, since: number | undefined): Promise<{ conversationId: string; seq: number }[]> {
    return this.db.rows<{ conversationId: string; seq: number }>(
      `SELECT conversation_id AS "conversationId", seq FROM hidden_messages WHERE user_id = $1 AND hidden_at >= $2
       ORDER BY conversation_id, seq`,
      [userId, since ?? 0],
    );
  }

  async countUnread(conversationId: string, userId: string, afterSeq: number, maxSeq: number): Promise<number> {
    if (afterSeq >= maxSeq) return 0;
    const [row] = await this.db.rows<{ count: number }>(
      "SELECT count(*) AS count FROM messages " +
        "WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 AND sender_id <> $4 AND kind = 'text' AND deleted_at IS NULL",
      [conversationId, afterSeq, maxSeq, userId],
    );
    return row?.count ?? 0;
  }

  async countUnreadMentions(
    conversationId: string,
    userId: string,
    afterSeq: number,
    maxSeq: number,
    token: string,
  ): Promise<number> {
    if (afterSeq >= maxSeq) return 0;
    const [row] = await this.db.rows<{ count: number }>(
      "SELECT count(*) AS count FROM messages WHERE conversation_id = $1 AND seq > $2 AND seq <= $3 AND sender_id <> $4 " +
        "AND kind = 'text' AND deleted_at IS NULL AND strpos(body, $5) > 0",
      [conversationId, afterSeq, maxSeq, userId, token],
    );
    return row?.count ?? 0;
  }

  // ── the transaction body ────────────────────────────────────────────────────────────────────────────────────

  /**
   * The one transaction body of every entry after a conversation's creation (the port's `append`). The locks of all
   * the batch's conversations are taken first, in id order; then runs of message drafts are written with one
   * statement each, and a membership change between two runs sees the first and is seen by the second.
   */
  private async appendInTx(client: PoolClient, drafts: readonly EntryDraft[]): Promise<AppendOutcome[]> {
    const conversationIds = [...new Set(drafts.map((d) => d.conversationId))];
    const locked = await client.query<LockedConversation>({ ...APPEND_LOCK, values: [conversationIds] });
    const lastSeqs = new Map(locked.rows.map((r) => [r.id, r.lastSeq]));
    const mls = new Map<string, MlsConversationRow>(locked.rows.map((r) => [r.id, { encrypted: r.encrypted, epoch: r.epoch }]));
    const outcomes: AppendOutcome[] = [];
    let run: MessageDraft[] = [];
    for (const d of drafts) {
      if (!isMembershipDraft(d) && !isCommitDraft(d)) {
        run.push(d);
        continue;
      }
      if (run.length > 0) outcomes.push(...(await this.messagesInTx(client, run, lastSeqs, mls)));
      run = [];
      outcomes.push(
        isCommitDraft(d)
          ? await this.commitEntry(client, d, lastSeqs, mls)
          : await this.conversations.membershipEntry(client, d, lastSeqs),
      );
    }
    if (run.length > 0) outcomes.push(...(await this.messagesInTx(client, run, lastSeqs, mls)));
    return outcomes;
  }

  /** An MLS commit (mls-rules.ts) under the append lock: compare-and-set on the epoch, then its writes. */
  private async commitEntry(
    client: PoolClient,
    d: CommitDraft,
    lastSeqs: Map<string, number>,
    mls: Map<string, MlsConversationRow>,
  ): Promise<AppendOutcome> {
    const lastSeq = lastSeqs.get(d.conversationId);
    const conversation = mls.get(d.conversationId);
    if (lastSeq === undefined || conversation === undefined) {
      return { ok: false, code: "not_found", message: "Conversation not found" };
    }
    const member = await client.query("SELECT 1 FROM members WHERE conversation_id = $1 AND user_id = $2 AND left_seq IS NULL", [
      d.conversationId,
      d.senderId,
    ]);
    if (member.rowCount === 0) return { ok: false, code: "not_member", message: "Sender is not a member of the conversation" };
    const refused = refuseCommit(conversation, d);
    if (refused !== null) return refused;
    if (d.welcome !== undefined) {
      const { rows } = await client.query<{ deviceId: string }>({
        ...WELCOME_RECIPIENTS,
        values: [d.conversationId, d.welcome.deviceIds, d.createdAt],
      });
      const live = new Set(rows.map((r) => r.deviceId));
      const missing = d.welcome.deviceIds.find((id) => !live.has(id));
      if (missing !== undefined) return mlsRefusal("device_not_registered", { deviceId: missing });
    }
    const seq = lastSeq + 1;
    await client.query({
      ...COMMIT_WRITE,
      values: [
        d.conversationId,
        seq,
        d.id,
        d.senderId,
        JSON.stringify(commitEvent(d)),
        d.createdAt,
        d.mls.epoch,
        d.mls.deviceId,
        d.mls.data,
        d.groupInfo,
      ],
    });
    if (d.welcome !== undefined) {
      await client.query({
        ...WELCOME_WRITE,
        values: [d.welcome.id, d.conversationId, d.mls.epoch + 1, d.welcome.data, d.createdAt, d.welcome.deviceIds],
      });
    }
    lastSeqs.set(d.conversationId, seq);
    conversation.epoch = d.mls.epoch + 1;
    return { ok: true, message: commitMessage(d, seq), duplicate: false };
  }

  /** Message drafts (texts and actions) under the locks; `lastSeqs` learns the seqs they take. */
  private async messagesInTx(
    client: PoolClient,
    drafts: readonly MessageDraft[],
    lastSeqs: Map<string, number>,
    mls: Map<string, MlsConversationRow>,
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
      forwarded: [] as boolean[],
      mlsEpoch: [] as (number | null)[],
      mlsDevice: [] as (string | null)[],
      mlsData: [] as (Buffer | null)[],
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
      if (!currentMembers.has(pair(d.conversationId, d.senderId)) && !isAdminRemoval(d.action)) {
        outcomes.push({ ok: false, code: "not_member", message: "Sender is not a member of the conversation" });
        continue;
      }
      const mlsRefused = refuseMessage(mls.get(d.conversationId)!, d);
      if (mlsRefused !== null) {
        outcomes.push(mlsRefused);
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
      const message = draftMessage(d, seq, action);
      if (action === null && d.replyTo !== undefined && quoted !== undefined) {
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
      more.forwarded.push(action === null && d.forwarded === true);
      more.mlsEpoch.push(d.mls?.epoch ?? null);
      more.mlsDevice.push(d.mls?.deviceId ?? null);
      more.mlsData.push(d.mls === undefined ? null : Buffer.from(d.mls.data));
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
          more.forwarded,
          more.mlsEpoch,
          more.mlsDevice,
          more.mlsData,
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
    // The caller checked current membership just before, under the same lock (administrators' removals need none).
    if (row === undefined) return "message_not_found";
    const actor = row.role === null || row.joinedSeq === null ? ADMIN_ACTOR : { role: row.role, joinedSeq: row.joinedSeq };
    const target = row.found
      ? { seq, senderId: row.senderId!, isText: row.isText === true, deletedAt: row.deletedAt, createdAt: row.createdAt! }
      : undefined;
    const refusal =
      d.action === undefined
        ? refuseTarget(target, actor)
        : refuseAction(d.action, d.senderId, target, actor, row.emojis, { count: row.pinCount, pinned: row.pinned });
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
                unlinked AS (DELETE FROM message_attachments WHERE conversation_id = $1 AND seq = $2),
                unpinned AS (DELETE FROM pins WHERE conversation_id = $1 AND target_seq = $2)
           UPDATE messages SET body = NULL, edited_at = NULL, reply_to = NULL, attachments = NULL, deleted_at = $3
           WHERE conversation_id = $1 AND seq = $2`,
          [d.conversationId, a.target, d.createdAt],
        );
        return a.by === "admin" ? { type: "delete", target: a.target, by: "admin" } : { type: "delete", target: a.target };
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
      case "pin":
        await client.query(
          `INSERT INTO pins (conversation_id, target_seq, pinned_by, pinned_at, entry_seq) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (conversation_id, target_seq) DO UPDATE
             SET pinned_by = excluded.pinned_by, pinned_at = excluded.pinned_at, entry_seq = excluded.entry_seq`,
          [d.conversationId, a.target, d.senderId, d.createdAt, seq],
        );
        return { type: "pin", target: a.target };
      case "unpin":
        await client.query("DELETE FROM pins WHERE conversation_id = $1 AND target_seq = $2", [d.conversationId, a.target]);
        return { type: "unpin", target: a.target };
    }
  }
}
