// The embedded receipts role: members' delivered/read watermarks (receipt-rules.ts decides them) and the authors
// whose ticks they move (ReceiptStore).

import type { EntryAuthor, ReceiptResult, ReceiptStore, ReceiptUpdate, SeqRange } from "../../ports/store.js";
import { notMemberReceipt, receiptResult } from "../receipt-rules.js";
import { memberReads } from "./sqlite-conversations.js";
import type { SqliteHandle } from "./sqlite-handle.js";

function prepareStatements(h: SqliteHandle) {
  return {
    membership: memberReads(h).membership,
    setReceipts: h.prepare<[number, number, number, string, string]>(
      "UPDATE members SET delivered_seq = ?, read_seq = ?, receipt_at = ? WHERE conversation_id = ? AND user_id = ?",
    ),
    // Walks the primary key (conversation_id, seq) over the range: cost proportional to the entries covered.
    textAuthors: h.prepare<[string, number, number], { seq: number; senderId: string }>(
      "SELECT seq, sender_id AS senderId FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ? AND kind = 'text' " +
        "AND deleted_at IS NULL ORDER BY seq",
    ),
  };
}

export class SqliteReceipts implements ReceiptStore {
  private readonly q: ReturnType<typeof prepareStatements>;
  private readonly receiptsTx: (updates: readonly ReceiptUpdate[]) => ReceiptResult[];

  constructor(private readonly handle: SqliteHandle) {
    this.q = prepareStatements(handle);
    this.receiptsTx = handle.transaction((updates: readonly ReceiptUpdate[]) => this.receiptsInTx(updates));
  }

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
      const result = receiptResult(u, row, this.handle.currentSeq(u.conversationId, noSeqs) ?? 0);
      const { deliveredSeq, readSeq } = result.state;
      if (result.changed) q.setReceipts.run(deliveredSeq, readSeq, u.at, u.conversationId, u.userId);
      results.push(result);
    }
    return results;
  }
}
