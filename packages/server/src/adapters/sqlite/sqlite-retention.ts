// The embedded retention role (RetentionStore): deletes a conversation's expired prefix of entries with everything
// attached to them, one transaction per conversation.

import type { ExpiredEntries, RetentionPolicy, RetentionStore } from "../../ports/store.js";
import { expiryWatermark, NO_AGE_LIMIT, serverAgeParam } from "../retention-rules.js";
import type { SqliteHandle } from "./sqlite-handle.js";

/** A conversation's age limit in seconds: the shortest of its settings and the server's (NO_AGE_LIMIT: none). */
const AGE = "min(coalesce(c.retention_seconds, @none), coalesce(c.disappear_seconds, @none), @server)";

/** The predicate of the partial index `conversations_limited`, spelled as it is there so the planner can use it. */
const LIMITED = "AND (c.retention_seconds IS NOT NULL OR c.disappear_seconds IS NOT NULL)";

function dueQuery(restriction: string): string {
  return `SELECT c.id, c.expired_seq AS expiredSeq, ${AGE} AS age
    FROM conversations AS c
    JOIN messages AS m ON m.conversation_id = c.id AND m.seq = c.expired_seq + 1
    WHERE ${AGE} < @none AND m.created_at <= @now - ${AGE} * 1000 ${restriction}
    LIMIT @limit`;
}

interface Due {
  id: string;
  expiredSeq: number;
  age: number;
}

export class SqliteRetention implements RetentionStore {
  private readonly q;
  private readonly expireTx: (due: Due, policy: RetentionPolicy) => ExpiredEntries | undefined;

  constructor(handle: SqliteHandle) {
    this.q = {
      // One point read per conversation: its oldest remaining entry (seqs are dense above expired_seq).
      due: handle.prepare<{ none: number; server: number; now: number; limit: number }, Due>(dueQuery("")),
      // Without a server maximum: only the conversations with a limit of their own (the partial index of migration 15).
      dueLimited: handle.prepare<{ none: number; server: number; now: number; limit: number }, Due>(dueQuery(LIMITED)),
      expiredSeq: handle.pluck<[string], number>("SELECT expired_seq FROM conversations WHERE id = ?"),
      oldest: handle.prepare<[string, number, number], { seq: number; createdAt: number }>(
        "SELECT seq, created_at AS createdAt FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
      ),
      uploads: handle.pluck<[string, number, number], string>(
        "SELECT DISTINCT upload_id FROM message_attachments WHERE conversation_id = ? AND seq > ? AND seq <= ?",
      ),
      unlink: handle.prepare<[string, number, number]>(
        "DELETE FROM message_attachments WHERE conversation_id = ? AND seq > ? AND seq <= ?",
      ),
      reactions: handle.prepare<[string, number, number]>(
        "DELETE FROM reactions WHERE conversation_id = ? AND target_seq > ? AND target_seq <= ?",
      ),
      pins: handle.prepare<[string, number, number]>(
        "DELETE FROM pins WHERE conversation_id = ? AND target_seq > ? AND target_seq <= ?",
      ),
      hidden: handle.prepare<[string, number, number]>(
        "DELETE FROM hidden_messages WHERE conversation_id = ? AND seq > ? AND seq <= ?",
      ),
      // The search triggers (migrations 5 and 6) drop the rows' index and pending entries.
      messages: handle.prepare<[string, number, number]>(
        "DELETE FROM messages WHERE conversation_id = ? AND seq > ? AND seq <= ?",
      ),
      setExpired: handle.prepare<[number, number, string]>(
        "UPDATE conversations SET expired_seq = ?, expired_at = ? WHERE id = ?",
      ),
    };
    this.expireTx = handle.transaction((due: Due, policy: RetentionPolicy) => {
      const q = this.q;
      const from = q.expiredSeq.get(due.id);
      if (from !== due.expiredSeq) return undefined;
      const cutoff = policy.now - due.age * 1000;
      const through = expiryWatermark(from, q.oldest.all(due.id, from, policy.batch), cutoff);
      if (through === from) return undefined;
      const uploadIds = q.uploads.all(due.id, from, through);
      q.unlink.run(due.id, from, through);
      q.reactions.run(due.id, from, through);
      q.pins.run(due.id, from, through);
      q.hidden.run(due.id, from, through);
      const deleted = q.messages.run(due.id, from, through).changes;
      q.setExpired.run(through, policy.now, due.id);
      return { conversationId: due.id, expiredThrough: through, deleted, uploadIds };
    });
  }

  async expireEntries(policy: RetentionPolicy): Promise<ExpiredEntries[]> {
    const query = policy.serverMaxAgeSeconds === null ? this.q.dueLimited : this.q.due;
    const due = query.all({
      none: NO_AGE_LIMIT,
      server: serverAgeParam(policy.serverMaxAgeSeconds),
      now: policy.now,
      limit: policy.conversations,
    });
    const expired: ExpiredEntries[] = [];
    for (const conversation of due) {
      const result = this.expireTx(conversation, policy);
      if (result) expired.push(result);
      // Each transaction runs on the event loop: sends and reads of this node get their turn between two of them.
      await new Promise((resolve) => setImmediate(resolve));
    }
    return expired;
  }
}
