// The fault checker: from every client's recorded history (sends with their acks or errors, what each saw by event,
// sync and ack, its own receipt watermarks) and the stored history read after the faults healed, decides whether
// Parley kept its promise: an acknowledged message is never lost, never shown twice, every member sees one order,
// a send that failed is absent or present exactly once, and receipt watermarks never go down.

/** A send as the client experienced it; `attempts` > 1 when it retried with the same clientId after losing the answer. */
export interface SendRecord {
  user: string;
  conversationId: string;
  clientId: string;
  attempts: number;
  outcome:
    | { kind: "acked"; id: string; seq: number }
    /** An error frame: the client did not retry. */
    | { kind: "error"; code: string }
    /** No answer before the client gave up. */
    | { kind: "unknown" };
}

/** One entry as a client saw it. */
export interface Observation {
  conversationId: string;
  seq: number;
  id: string;
  via: "event" | "sync" | "ack";
}

/** The result of one of the client's own `receipts.mark` calls, in the order the client got them. */
export interface ReceiptRecord {
  conversationId: string;
  deliveredSeq: number;
  readSeq: number;
}

export interface ClientHistory {
  user: string;
  /** The conversations the user is a member of (from seq 1). */
  conversations: string[];
  sends: SendRecord[];
  observations: Observation[];
  receipts: ReceiptRecord[];
  /**
   * For clients with a display model (the SDK's `message` event): the entries in the order they were shown. Each must
   * be shown once, in seq order per conversation.
   */
  shown?: Observation[];
}

/** A stored entry as the auditor read it (history API, after the faults healed). */
export interface StoredEntry {
  seq: number;
  id: string;
  senderId: string;
  clientId: string | null;
}

export interface Reference {
  /** Every conversation's entries in seq order. */
  conversations: Record<string, StoredEntry[]>;
  /** Each member's stored watermarks at the end: `[conversationId][userId]`. */
  watermarks: Record<string, Record<string, { deliveredSeq: number; readSeq: number }>>;
}

export interface Verdict {
  acked: number;
  /** Sends that went out more than once with the same clientId (the answer was lost): each must be stored once. */
  retried: number;
  /** Sends that ended in an error or without an answer. */
  failed: number;
  /** …of which stored (once), which the promise allows. */
  failedButStored: number;
  /** Acked messages absent from the store, stored differently than acked, or missing from a member's final view. */
  lost: number;
  /** Messages stored or shown more than once (by clientId in the store, by id in a client's view). */
  duplicated: number;
  /** Positions (conversation, seq) where some client saw a different entry than the store holds, or a gap in the store. */
  reordered: number;
  /** Stored messages that nobody sent. */
  phantom: number;
  /** Receipt watermarks that went down (between results, or the stored one below an acknowledged one). */
  receiptRegressions: number;
  /** Human-readable findings, at most a few per kind. */
  problems: string[];
}

export function violations(v: Verdict): number {
  return v.lost + v.duplicated + v.reordered + v.phantom + v.receiptRegressions;
}

const MAX_PROBLEMS_PER_KIND = 5;

export function check(histories: ClientHistory[], reference: Reference): Verdict {
  const problems = new Map<string, string[]>();
  const note = (kind: string, text: string) => {
    const list = problems.get(kind) ?? [];
    if (list.length < MAX_PROBLEMS_PER_KIND) list.push(text);
    problems.set(kind, list);
  };
  const v: Verdict = {
    acked: 0,
    retried: 0,
    failed: 0,
    failedButStored: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    phantom: 0,
    receiptRegressions: 0,
    problems: [],
  };

  // The store itself: seqs 1..n with no gap, one id per entry, one entry per (sender, clientId).
  const bySeq = new Map<string, Map<number, StoredEntry>>();
  const byClientId = new Map<string, StoredEntry[]>();
  const duplicatedIds = new Set<string>();
  for (const [conversationId, entries] of Object.entries(reference.conversations)) {
    const seqs = new Map<number, StoredEntry>();
    entries.forEach((entry, i) => {
      if (entry.seq !== i + 1) {
        v.reordered += 1;
        note("reordered", `${conversationId}: stored seq ${entry.seq} at position ${i + 1} (a gap or a repeat)`);
      }
      seqs.set(entry.seq, entry);
      if (entry.clientId !== null) {
        const key = `${entry.senderId}/${entry.clientId}`;
        const same = byClientId.get(key) ?? [];
        same.push(entry);
        byClientId.set(key, same);
      }
    });
    bySeq.set(conversationId, seqs);
  }
  for (const [key, entries] of byClientId) {
    if (entries.length > 1) {
      v.duplicated += entries.length - 1;
      for (const e of entries) duplicatedIds.add(e.id);
      note("duplicated", `${key} stored ${entries.length} times (seqs ${entries.map((e) => e.seq).join(", ")})`);
    }
  }

  // Sends: every ack names what the store holds; a failed send is stored at most once; every stored text was sent.
  const sent = new Set<string>();
  const ackedIds = new Map<string, SendRecord>();
  for (const h of histories) {
    for (const s of h.sends) {
      const stored = byClientId.get(`${h.user}/${s.clientId}`) ?? [];
      sent.add(`${h.user}/${s.clientId}`);
      if (s.attempts > 1) v.retried += 1;
      if (s.outcome.kind === "acked") {
        v.acked += 1;
        const { id, seq } = s.outcome;
        ackedIds.set(id, s);
        const at = bySeq.get(s.conversationId)?.get(seq);
        if (!at || at.id !== id) {
          v.lost += 1;
          note("lost", `${h.user} ${s.clientId}: acked as ${id} at seq ${seq}, the store has ${at ? at.id : "nothing"} there`);
        }
      } else {
        v.failed += 1;
        if (stored.length === 1) v.failedButStored += 1;
      }
    }
  }
  for (const [key, entries] of byClientId) {
    if (!sent.has(key)) {
      v.phantom += entries.length;
      note("phantom", `${key} is stored (seq ${entries.map((e) => e.seq).join(", ")}) but was never sent`);
    }
  }

  // Each member's view: the entry it saw at each seq is the stored one, it saw every stored entry, and no id twice.
  for (const h of histories) {
    for (const conversationId of h.conversations) {
      const stored = bySeq.get(conversationId) ?? new Map<number, StoredEntry>();
      const view = new Map<number, string>();
      const seqOfId = new Map<string, number>();
      const badSeqs = new Set<number>();
      for (const o of h.observations) {
        if (o.conversationId !== conversationId) continue;
        const expected = stored.get(o.seq);
        if ((!expected || expected.id !== o.id) && !badSeqs.has(o.seq)) {
          badSeqs.add(o.seq);
          v.reordered += 1;
          note(
            "reordered",
            `${h.user} saw ${o.id} at ${conversationId}#${o.seq} by ${o.via}; the store has ${expected?.id ?? "nothing"}`,
          );
        }
        view.set(o.seq, o.id);
        const earlier = seqOfId.get(o.id);
        if (earlier !== undefined && earlier !== o.seq && !duplicatedIds.has(o.id)) {
          duplicatedIds.add(o.id);
          v.duplicated += 1;
          note("duplicated", `${h.user} saw ${o.id} at ${conversationId}#${earlier} and #${o.seq}`);
        }
        seqOfId.set(o.id, o.seq);
      }
      for (const [seq, entry] of stored) {
        if (view.has(seq)) continue;
        // Acked or not (a failed send that was stored, a system entry): every member must hold every entry.
        const send = ackedIds.get(entry.id);
        v.lost += 1;
        note("lost", `${h.user} never got ${entry.id} (${conversationId}#${seq}${send ? `, acked to ${send.user}` : ""})`);
      }
    }
  }

  // What a display showed: each entry once, in seq order.
  for (const h of histories) {
    const lastShown = new Map<string, number>();
    const shownIds = new Set<string>();
    for (const o of h.shown ?? []) {
      const last = lastShown.get(o.conversationId) ?? 0;
      if (shownIds.has(o.id) || o.seq === last) {
        v.duplicated += 1;
        note("duplicated", `${h.user} showed ${o.id} (${o.conversationId}#${o.seq}) twice`);
      } else if (o.seq < last) {
        v.reordered += 1;
        note("reordered", `${h.user} showed ${o.conversationId}#${o.seq} after #${last}`);
      }
      shownIds.add(o.id);
      lastShown.set(o.conversationId, Math.max(last, o.seq));
    }
  }

  // Receipts: each user's own results never go down, and the stored watermark is at least the last one acknowledged.
  for (const h of histories) {
    const last = new Map<string, ReceiptRecord>();
    for (const r of h.receipts) {
      const before = last.get(r.conversationId);
      if (before && (r.deliveredSeq < before.deliveredSeq || r.readSeq < before.readSeq)) {
        v.receiptRegressions += 1;
        note(
          "receipts",
          `${h.user} in ${r.conversationId}: ${before.deliveredSeq}/${before.readSeq} then ${r.deliveredSeq}/${r.readSeq}`,
        );
      }
      last.set(r.conversationId, {
        conversationId: r.conversationId,
        deliveredSeq: Math.max(r.deliveredSeq, before?.deliveredSeq ?? 0),
        readSeq: Math.max(r.readSeq, before?.readSeq ?? 0),
      });
    }
    for (const [conversationId, r] of last) {
      const stored = reference.watermarks[conversationId]?.[h.user];
      if (!stored || stored.deliveredSeq < r.deliveredSeq || stored.readSeq < r.readSeq) {
        v.receiptRegressions += 1;
        note(
          "receipts",
          `${h.user} in ${conversationId}: acknowledged ${r.deliveredSeq}/${r.readSeq}, stored ${stored ? `${stored.deliveredSeq}/${stored.readSeq}` : "nothing"}`,
        );
      }
    }
  }

  v.problems = [...problems.entries()].flatMap(([kind, list]) => list.map((text) => `${kind}: ${text}`));
  return v;
}
