// The cluster retention role (RetentionStore): deletes a conversation's expired prefix of entries with everything
// attached to them, one transaction per conversation under its row lock, so nodes sweeping at once never collide.

import type { ExpiredEntries, RetentionPolicy, RetentionStore } from "../../ports/store.js";
import { expiryWatermark, NO_AGE_LIMIT, serverAgeParam } from "../retention-rules.js";
import { type PostgresHandle, Rollback } from "./postgres-handle.js";

/** A conversation's age limit in seconds: the shortest of its settings and the server's ($1 stands for none). */
const AGE = "LEAST(coalesce(c.retention_seconds, $1), coalesce(c.disappear_seconds, $1), $2)";

interface Due {
  id: string;
  expiredSeq: number;
  age: number;
}

export class PostgresRetention implements RetentionStore {
  constructor(private readonly db: PostgresHandle) {}

  async expireEntries(policy: RetentionPolicy): Promise<ExpiredEntries[]> {
    // One point read per conversation: its oldest remaining entry (seqs are dense above expired_seq).
    // Without a server maximum only conversations with a limit of their own can expire (partial index, migration 15).
    const limited =
      policy.serverMaxAgeSeconds === null ? "AND (c.retention_seconds IS NOT NULL OR c.disappear_seconds IS NOT NULL)" : "";
    const due = await this.db.rows<Due>(
      `SELECT c.id, c.expired_seq AS "expiredSeq", ${AGE}::bigint AS age
       FROM conversations AS c
       JOIN messages AS m ON m.conversation_id = c.id AND m.seq = c.expired_seq + 1
       WHERE ${AGE} < $1 AND m.created_at <= $3 - ${AGE} * 1000 ${limited}
       LIMIT $4`,
      [NO_AGE_LIMIT, serverAgeParam(policy.serverMaxAgeSeconds), policy.now, policy.conversations],
    );
    const expired: ExpiredEntries[] = [];
    for (const conversation of due) {
      const result = await this.expire(conversation, policy);
      if (result) expired.push(result);
    }
    return expired;
  }

  private expire(due: Due, policy: RetentionPolicy): Promise<ExpiredEntries | undefined> {
    return this.db.transaction(async (client) => {
      // The row lock orders this step after appends and other sweepers of the conversation: a moved watermark
      // means another node got here first.
      const { rows } = await client.query<{ expiredSeq: number }>(
        'SELECT expired_seq AS "expiredSeq" FROM conversations WHERE id = $1 FOR UPDATE',
        [due.id],
      );
      const from = rows[0]?.expiredSeq;
      if (from !== due.expiredSeq) throw new Rollback(undefined);
      const oldest = await client.query<{ seq: number; createdAt: number }>(
        'SELECT seq, created_at AS "createdAt" FROM messages WHERE conversation_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
        [due.id, from, policy.batch],
      );
      const through = expiryWatermark(from, oldest.rows, policy.now - due.age * 1000);
      if (through === from) throw new Rollback(undefined);
      const range = [due.id, from, through];
      const uploads = await client.query<{ id: string }>(
        `DELETE FROM message_attachments WHERE conversation_id = $1 AND seq > $2 AND seq <= $3
         RETURNING upload_id AS id`,
        range,
      );
      await client.query("DELETE FROM reactions WHERE conversation_id = $1 AND target_seq > $2 AND target_seq <= $3", range);
      await client.query("DELETE FROM pins WHERE conversation_id = $1 AND target_seq > $2 AND target_seq <= $3", range);
      await client.query("DELETE FROM hidden_messages WHERE conversation_id = $1 AND seq > $2 AND seq <= $3", range);
      // The search vector is a column of the row: it goes with it.
      const deleted = await client.query("DELETE FROM messages WHERE conversation_id = $1 AND seq > $2 AND seq <= $3", range);
      await client.query("UPDATE conversations SET expired_seq = $2, expired_at = $3 WHERE id = $1", [
        due.id,
        through,
        policy.now,
      ]);
      return {
        conversationId: due.id,
        expiredThrough: through,
        deleted: deleted.rowCount ?? 0,
        uploadIds: [...new Set(uploads.rows.map((r) => r.id))],
      };
    });
  }
}
