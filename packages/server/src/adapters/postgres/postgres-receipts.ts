// The cluster receipts role: members' delivered/read watermarks (receipt-rules.ts decides them) and the authors
// whose ticks they move (ReceiptStore).

import type { PoolClient } from "pg";
import type { EntryAuthor, ReceiptResult, ReceiptStore, ReceiptUpdate, SeqRange } from "../../ports/store.js";
import { notMemberReceipt, receiptResult } from "../receipt-rules.js";
import { type PostgresHandle, pair } from "./postgres-handle.js";

interface ReceiptRow {
  conversationId: string;
  userId: string;
  deliveredSeq: number;
  readSeq: number;
  lastSeq: number;
}

export class PostgresReceipts implements ReceiptStore {
  constructor(private readonly db: PostgresHandle) {}

  async updateReceipts(updates: readonly ReceiptUpdate[]): Promise<ReceiptResult[]> {
    if (updates.length === 0) return [];
    return this.db.transaction((client) => this.receiptsInTx(client, updates));
  }

  async getEntryAuthors(ranges: readonly SeqRange[]): Promise<EntryAuthor[]> {
    const live = ranges.filter((r) => r.afterSeq < r.maxSeq);
    if (live.length === 0) return [];
    // One round trip for every range of a receipt flush; each range is a primary-key range scan.
    return this.db.rows<EntryAuthor>(
      `SELECT m.conversation_id AS "conversationId", m.seq, m.sender_id AS "senderId"
       FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r (conversation_id, after_seq, max_seq)
       JOIN messages AS m ON m.conversation_id = r.conversation_id AND m.seq > r.after_seq AND m.seq <= r.max_seq
       WHERE m.kind = 'text' AND m.deleted_at IS NULL
       ORDER BY m.conversation_id, m.seq`,
      [live.map((r) => r.conversationId), live.map((r) => r.afterSeq), live.map((r) => r.maxSeq)],
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
