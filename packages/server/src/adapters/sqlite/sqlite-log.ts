// The embedded conversation log: the one `append` of every entry after a conversation's creation (texts, replies,
// actions, and the membership changes of sqlite-conversations.ts), and the reads of stored entries (MessageStore).

import type { Message, MessageAction } from "@parley/protocol";
import { setNewest } from "../../domain/bounded-map.js";
import type {
  ActionRefusal,
  AppendOutcome,
  CommitDraft,
  EntryDraft,
  HistoryQuery,
  MessageDraft,
  MessageStore,
  PinRecord,
  ReactionRecord,
  SentPosition,
} from "../../ports/store.js";
import { isCommitDraft, isMembershipDraft } from "../../ports/store.js";
import {
  type ActorRow,
  ADMIN_ACTOR,
  isAdminRemoval,
  NO_PINS,
  type PinState,
  refusalMessage,
  refuseAction,
  refuseTarget,
  type TargetRow,
} from "../action-rules.js";
import { historyBounds } from "../history-rules.js";
import { commitMessage, draftMessage, REPLY_PREVIEW_CHARS } from "../message-row.js";
import { commitEvent, type MlsConversationRow, mlsRefusal, refuseCommit, refuseMessage } from "../mls-rules.js";
import { MESSAGE_COLUMNS, MESSAGE_FROM, type MessageRow, toMessage } from "./message-columns.js";
import type { SearchIndexer } from "./search-indexer.js";
import { memberReads, type SqliteConversations } from "./sqlite-conversations.js";
import type { SqliteHandle } from "./sqlite-handle.js";

/** A possible target of a reply or action. */
interface TargetCheckRow {
  senderId: string | null;
  kind: "text" | "system" | null;
  actionJson: string | null;
  deletedAt: number | null;
  createdAt: number | null;
}

const PLAINTEXT: MlsConversationRow = { encrypted: false, epoch: 0 };
const PLAINTEXT_CACHE_SIZE = 50_000;

const REACTION_COLUMNS = "target_seq AS seq, emoji, user_id AS userId, entry_seq AS entrySeq";
const REACTION_ORDER = "ORDER BY entry_seq, created_at, user_id, emoji";

function prepareStatements(h: SqliteHandle) {
  return {
    ...memberReads(h),
    setLastSeq: h.prepare<[number, string]>("UPDATE conversations SET last_seq = ? WHERE id = ?"),
    messageByClientId: h.prepare<[string, string], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.sender_id = ? AND m.client_id = ?`,
    ),
    insertText: h.prepare<
      [
        string,
        number,
        string,
        string,
        string,
        string,
        number,
        number | null,
        string | null,
        number,
        number | null,
        string | null,
        Uint8Array | null,
      ]
    >(
      "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at, reply_to, " +
        "attachments_json, forwarded, mls_epoch, mls_device, mls_data) VALUES (?, ?, ?, ?, ?, 'text', ?, NULL, ?, ?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT (sender_id, client_id) WHERE client_id IS NOT NULL DO NOTHING",
    ),
    mlsState: h.prepare<[string], { encrypted: number; epoch: number }>(
      "SELECT encrypted, mls_epoch AS epoch FROM conversations WHERE id = ?",
    ),
    insertCommit: h.prepare<[string, number, string, string, string, number, number, string, Uint8Array]>(
      "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at, " +
        "mls_epoch, mls_device, mls_data) VALUES (?, ?, ?, ?, NULL, 'system', NULL, ?, ?, ?, ?, ?)",
    ),
    setEpoch: h.prepare<[number, Uint8Array, string]>("UPDATE conversations SET mls_epoch = ?, mls_group_info = ? WHERE id = ?"),
    // A Welcome goes only to live registered devices of current members.
    welcomeRecipient: h.pluck<[string, string, number], number>(
      `SELECT 1 FROM e2ee_devices AS d JOIN sessions AS s ON s.id = d.device_id
       JOIN members AS m ON m.conversation_id = ? AND m.user_id = d.user_id AND m.left_seq IS NULL
       WHERE d.device_id = ? AND s.revoked_at IS NULL AND s.expires_at > ?`,
    ),
    insertWelcome: h.prepare<[string, string, number, Uint8Array, number]>(
      "INSERT INTO e2ee_welcomes (id, conversation_id, epoch, data, created_at) VALUES (?, ?, ?, ?, ?)",
    ),
    insertWelcomeRecipient: h.prepare<[string, string]>(
      "INSERT INTO e2ee_welcome_recipients (device_id, welcome_id) VALUES (?, ?)",
    ),
    linkAttachment: h.prepare<[string, string, number, number]>(
      "INSERT INTO message_attachments (upload_id, conversation_id, seq, position) VALUES (?, ?, ?, ?)",
    ),
    // A message deleted for everyone no longer shares its files: they expire like unshared uploads.
    unlinkAttachments: h.prepare<[string, number]>("DELETE FROM message_attachments WHERE conversation_id = ? AND seq = ?"),
    insertAction: h.prepare<[string, number, string, string, string, number, string]>(
      "INSERT INTO messages (conversation_id, seq, id, sender_id, client_id, kind, body, event_json, created_at, action_json) " +
        "VALUES (?, ?, ?, ?, ?, 'system', NULL, NULL, ?, ?)",
    ),
    targetCheck: h.prepare<{ conversationId: string; seq: number }, TargetCheckRow>(
      `SELECT sender_id AS senderId, kind, action_json AS actionJson, deleted_at AS deletedAt, created_at AS createdAt
       FROM messages WHERE conversation_id = @conversationId AND seq = @seq`,
    ),
    editBody: h.prepare<[string, number, string, number]>(
      "UPDATE messages SET body = ?, edited_at = ? WHERE conversation_id = ? AND seq = ?",
    ),
    // A tombstone keeps its place in the order and nothing of its content.
    tombstone: h.prepare<[number, string, number]>(
      "UPDATE messages SET body = NULL, edited_at = NULL, reply_to = NULL, attachments_json = NULL, deleted_at = ? " +
        "WHERE conversation_id = ? AND seq = ?",
    ),
    deleteReactionsOf: h.prepare<[string, number]>("DELETE FROM reactions WHERE conversation_id = ? AND target_seq = ?"),
    reactionEmojis: h.pluck<[string, number], string>(
      "SELECT DISTINCT emoji FROM reactions WHERE conversation_id = ? AND target_seq = ?",
    ),
    addReaction: h.prepare<[string, number, string, string, number, number]>(
      "INSERT INTO reactions (conversation_id, target_seq, user_id, emoji, created_at, entry_seq) VALUES (?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT DO NOTHING",
    ),
    removeReaction: h.prepare<[string, number, string, string]>(
      "DELETE FROM reactions WHERE conversation_id = ? AND target_seq = ? AND user_id = ? AND emoji = ?",
    ),
    pinState: h.prepare<[number, string], { count: number; pinned: number }>(
      "SELECT count(*) AS count, coalesce(max(target_seq = ?), 0) AS pinned FROM pins WHERE conversation_id = ?",
    ),
    addPin: h.prepare<[string, number, string, number, number]>(
      "INSERT INTO pins (conversation_id, target_seq, pinned_by, pinned_at, entry_seq) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (conversation_id, target_seq) DO UPDATE SET pinned_by = excluded.pinned_by, " +
        "pinned_at = excluded.pinned_at, entry_seq = excluded.entry_seq",
    ),
    removePin: h.prepare<[string, number]>("DELETE FROM pins WHERE conversation_id = ? AND target_seq = ?"),
    listPins: h.prepare<[string], PinRecord>(
      `SELECT target_seq AS seq, pinned_by AS pinnedBy, pinned_at AS pinnedAt, entry_seq AS entrySeq FROM pins
       WHERE conversation_id = ? ORDER BY entry_seq DESC`,
    ),

    reactionsInRange: h.prepare<[string, number, number], ReactionRecord>(
      `SELECT ${REACTION_COLUMNS} FROM reactions WHERE conversation_id = ? AND target_seq BETWEEN ? AND ? ${REACTION_ORDER}`,
    ),
    reactionsOf: h.prepare<[string, string], ReactionRecord>(
      `SELECT ${REACTION_COLUMNS} FROM reactions
       WHERE conversation_id = ? AND target_seq IN (SELECT value FROM json_each(?)) ${REACTION_ORDER}`,
    ),
    hiddenInRange: h.pluck<[string, string, number, number], number>(
      "SELECT seq FROM hidden_messages WHERE user_id = ? AND conversation_id = ? AND seq BETWEEN ? AND ?",
    ),
    // Row values compare (conversation_id, seq) > (?, ?) along the messages_sender index (migration 13).
    sentMessages: h.prepare<[string, string, number, number], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
       WHERE m.sender_id = ? AND m.kind = 'text' AND (m.conversation_id, m.seq) > (?, ?)
       ORDER BY m.conversation_id, m.seq LIMIT ?`,
    ),
    messagesBySeq: h.prepare<[string, string], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
       WHERE m.conversation_id = ? AND m.seq IN (SELECT value FROM json_each(?)) ORDER BY m.seq`,
    ),
    hide: h.prepare<[string, string, number, number]>(
      "INSERT INTO hidden_messages (user_id, conversation_id, seq, hidden_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
    ),
    hiddenSeqs: h.pluck<[string, string, string], number>(
      "SELECT seq FROM hidden_messages WHERE user_id = ? AND conversation_id = ? AND seq IN (SELECT value FROM json_each(?))",
    ),
    hiddenSince: h.prepare<[string, number], { conversationId: string; seq: number }>(
      `SELECT conversation_id AS conversationId, seq FROM hidden_messages WHERE user_id = ? AND hidden_at >= ?
       ORDER BY conversation_id, seq`,
    ),
    historyAsc: h.prepare<[string, number, number, number], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.conversation_id = ? AND m.seq BETWEEN ? AND ? ORDER BY m.seq LIMIT ?`,
    ),
    historyDesc: h.prepare<[string, number, number, number], MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM} WHERE m.conversation_id = ? AND m.seq BETWEEN ? AND ? ORDER BY m.seq DESC LIMIT ?`,
    ),
    // The latest entry a conversation list shows: never an action, never one the viewer hid for themself.
    lastMessage: h.prepare<{ conversationId: string; maxSeq: number; viewer: string | null }, MessageRow>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${MESSAGE_FROM}
       WHERE m.conversation_id = @conversationId AND m.seq <= @maxSeq AND m.action_json IS NULL
         AND NOT EXISTS (SELECT 1 FROM hidden_messages AS h
                         WHERE h.user_id = @viewer AND h.conversation_id = m.conversation_id AND h.seq = m.seq)
       ORDER BY m.seq DESC LIMIT 1`,
    ),
    countUnread: h.pluck<[string, number, number, string], number>(
      "SELECT count(*) FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender_id <> ? AND kind = 'text' " +
        "AND deleted_at IS NULL",
    ),
    countUnreadMentions: h.pluck<[string, number, number, string, string], number>(
      "SELECT count(*) FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND sender_id <> ? AND kind = 'text' " +
        "AND deleted_at IS NULL AND instr(body, ?) > 0",
    ),
  };
}

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

export class SqliteLog implements MessageStore {
  /** Appends write synchronously in call order; only their fsync is awaited (wal-sync.ts). */
  readonly pipelinedAppends = true;
  private readonly q: ReturnType<typeof prepareStatements>;
  /** Conversations known to be plaintext (see mlsState). */
  private readonly plaintext = new Map<string, true>();
  private readonly appendTx: (drafts: readonly EntryDraft[], seqs: Map<string, number>) => AppendOutcome[];

  /** `indexer` learns of every append (the search triggers recorded what it must index). */
  constructor(
    private readonly handle: SqliteHandle,
    private readonly conversations: SqliteConversations,
    private readonly indexer: SearchIndexer,
  ) {
    this.q = prepareStatements(handle);
    this.appendTx = handle.transaction((drafts: readonly EntryDraft[], seqs: Map<string, number>) =>
      this.appendInTx(drafts, seqs),
    );
  }

  async append(drafts: readonly EntryDraft[]): Promise<AppendOutcome[]> {
    if (drafts.length === 0) return [];
    const handle = this.handle;
    // The write is done when durably() returns its promise: the triggers have recorded what search must index.
    const written = handle.durably(() => handle.withSeqs((seqs) => this.appendTx(drafts, seqs)));
    this.indexer.schedule();
    return written;
  }

  async getHistory(query: HistoryQuery): Promise<Message[]> {
    if (this.handle.unsettled) await this.handle.settled();
    const bounds = historyBounds(query);
    if (bounds === undefined) return [];
    const { from, to } = bounds;
    if (query.direction === "asc") return this.q.historyAsc.all(query.conversationId, from, to, query.limit).map(toMessage);
    return this.q.historyDesc.all(query.conversationId, from, to, query.limit).reverse().map(toMessage);
  }

  async getLastMessage(conversationId: string, maxSeq: number, viewerId?: string): Promise<Message | null> {
    if (this.handle.unsettled) await this.handle.settled();
    const row = this.q.lastMessage.get({ conversationId, maxSeq, viewer: viewerId ?? null });
    return row === undefined ? null : toMessage(row);
  }

  async getMessagesBySeq(conversationId: string, seqs: readonly number[]): Promise<Message[]> {
    if (this.handle.unsettled) await this.handle.settled();
    if (seqs.length === 0) return [];
    return this.q.messagesBySeq.all(conversationId, JSON.stringify(seqs)).map(toMessage);
  }

  async listPins(conversationId: string): Promise<PinRecord[]> {
    return this.q.listPins.all(conversationId);
  }

  async getReactions(conversationId: string, seqs: readonly number[]): Promise<ReactionRecord[]> {
    if (this.handle.unsettled) await this.handle.settled();
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

  async listSentMessages(senderId: string, after: SentPosition | null, limit: number): Promise<Message[]> {
    if (this.handle.unsettled) await this.handle.settled();
    return this.q.sentMessages.all(senderId, after?.conversationId ?? "", after?.seq ?? 0, limit).map(toMessage);
  }

  async listHiddenSince(userId: string, since: number | undefined): Promise<{ conversationId: string; seq: number }[]> {
    return this.q.hiddenSince.all(userId, since ?? 0);
  }

  async countUnread(conversationId: string, userId: string, afterSeq: number, maxSeq: number): Promise<number> {
    if (this.handle.unsettled) await this.handle.settled();
    if (afterSeq >= maxSeq) return 0;
    return this.q.countUnread.get(conversationId, afterSeq, maxSeq, userId) ?? 0;
  }

  async countUnreadMentions(
    conversationId: string,
    userId: string,
    afterSeq: number,
    maxSeq: number,
    token: string,
  ): Promise<number> {
    if (this.handle.unsettled) await this.handle.settled();
    if (afterSeq >= maxSeq) return 0;
    return this.q.countUnreadMentions.get(conversationId, afterSeq, maxSeq, userId, token) ?? 0;
  }

  // ── the transaction body (a throw rolls everything back) ────────────────────────────────────────────────────

  /** The one transaction body of every entry after a conversation's creation (the port's `append`). */
  private appendInTx(drafts: readonly EntryDraft[], seqs: Map<string, number>): AppendOutcome[] {
    const q = this.q;
    const outcomes: AppendOutcome[] = new Array(drafts.length);
    for (let i = 0; i < drafts.length; i++) {
      const d = drafts[i]!;
      if (isMembershipDraft(d)) {
        outcomes[i] = this.conversations.membershipEntry(d, seqs);
        continue;
      }
      if (isCommitDraft(d)) {
        outcomes[i] = this.commitEntry(d, seqs);
        continue;
      }
      const lastSeq = this.handle.currentSeq(d.conversationId, seqs);
      // Never cached: a removal must take effect on the very next send.
      const refused =
        lastSeq === undefined
          ? "not_found"
          : q.isCurrentMember.get(d.conversationId, d.senderId) === undefined && !isAdminRemoval(d.action)
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
      const mlsRefused = refuseMessage(this.mlsState(d.conversationId), d);
      if (mlsRefused !== null) {
        const original = q.messageByClientId.get(d.senderId, d.clientId);
        outcomes[i] = original !== undefined ? { ok: true, message: toMessage(original), duplicate: true } : mlsRefused;
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
          d.forwarded === true ? 1 : 0,
          d.mls?.epoch ?? null,
          d.mls?.deviceId ?? null,
          d.mls?.data ?? null,
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
      outcomes[i] = { ok: true, message: draftMessage(d, seq, action), duplicate: false };
    }
    // One conversation update per conversation per batch, not per message.
    for (const [conversationId, seq] of seqs) q.setLastSeq.run(seq, conversationId);
    return outcomes;
  }

  /**
   * A conversation's encryption state. Whether it is encrypted is fixed at creation, so a plaintext one is remembered
   * and costs a send no read; an encrypted one's epoch moves with every commit and is read each time.
   */
  private mlsState(conversationId: string): MlsConversationRow {
    if (this.plaintext.has(conversationId)) return PLAINTEXT;
    const row = this.q.mlsState.get(conversationId);
    if (row !== undefined && row.encrypted !== 1) {
      setNewest(this.plaintext, conversationId, true, PLAINTEXT_CACHE_SIZE);
      return PLAINTEXT;
    }
    return { encrypted: row?.encrypted === 1, epoch: row?.epoch ?? 0 };
  }

  /** An MLS commit (mls-rules.ts): compare-and-set on the epoch, the entry, the GroupInfo and the Welcome. */
  private commitEntry(d: CommitDraft, seqs: Map<string, number>): AppendOutcome {
    const q = this.q;
    const lastSeq = this.handle.currentSeq(d.conversationId, seqs);
    if (lastSeq === undefined) return { ok: false, code: "not_found", message: "Conversation not found" };
    if (q.isCurrentMember.get(d.conversationId, d.senderId) === undefined) {
      return { ok: false, code: "not_member", message: "Sender is not a member of the conversation" };
    }
    const refused = refuseCommit(this.mlsState(d.conversationId), d);
    if (refused !== null) return refused;
    for (const deviceId of d.welcome?.deviceIds ?? []) {
      if (q.welcomeRecipient.get(d.conversationId, deviceId, d.createdAt) === undefined) {
        return mlsRefusal("device_not_registered", { deviceId });
      }
    }
    const seq = lastSeq + 1;
    seqs.set(d.conversationId, seq);
    q.insertCommit.run(
      d.conversationId,
      seq,
      d.id,
      d.senderId,
      JSON.stringify(commitEvent(d)),
      d.createdAt,
      d.mls.epoch,
      d.mls.deviceId,
      d.mls.data,
    );
    q.setEpoch.run(d.mls.epoch + 1, d.groupInfo, d.conversationId);
    if (d.welcome !== undefined) {
      q.insertWelcome.run(d.welcome.id, d.conversationId, d.mls.epoch + 1, d.welcome.data, d.createdAt);
      for (const deviceId of d.welcome.deviceIds) q.insertWelcomeRecipient.run(deviceId, d.welcome.id);
    }
    return { ok: true, message: commitMessage(d, seq), duplicate: false };
  }

  private textMessage(d: MessageDraft, seq: number): Message {
    const message = draftMessage(d, seq, null);
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
    // The caller checked current membership just before, in this transaction (administrators' removals need none).
    const actor: ActorRow = this.q.membership.get(d.conversationId, d.senderId) ?? ADMIN_ACTOR;
    if (d.action === undefined) return refuseTarget(target, actor);
    const emojis = d.action.type === "reaction" ? this.q.reactionEmojis.all(d.conversationId, d.action.target) : [];
    return refuseAction(d.action, d.senderId, target, actor, emojis, this.pinState(d));
  }

  private pinState(d: MessageDraft): PinState {
    if (d.action?.type !== "pin") return NO_PINS;
    const row = this.q.pinState.get(d.action.target, d.conversationId);
    return row === undefined ? NO_PINS : { count: row.count, pinned: row.pinned === 1 };
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
        q.removePin.run(d.conversationId, a.target);
        return a.by === "admin" ? { type: "delete", target: a.target, by: "admin" } : { type: "delete", target: a.target };
      case "reaction":
        if (a.remove) q.removeReaction.run(d.conversationId, a.target, d.senderId, a.emoji);
        else q.addReaction.run(d.conversationId, a.target, d.senderId, a.emoji, d.createdAt, seq);
        return { type: "reaction", target: a.target, emoji: a.emoji, remove: a.remove };
      case "pin":
        q.addPin.run(d.conversationId, a.target, d.senderId, d.createdAt, seq);
        return { type: "pin", target: a.target };
      case "unpin":
        q.removePin.run(d.conversationId, a.target);
        return { type: "unpin", target: a.target };
    }
  }
}
