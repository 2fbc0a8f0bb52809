// Delivered/read watermarks: coalesced per member, written in batches, announced once per conversation per batch.

import type { ReceiptState } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import type { ReceiptStore, ReceiptUpdate } from "../ports/store.js";
import type { Delivery } from "./delivery.js";
import type { MemberCache } from "./member-cache.js";

interface Waiter {
  resolve: (state: ReceiptState) => void;
  reject: (error: unknown) => void;
}

export class ReceiptService {
  private pending = new Map<string, { update: ReceiptUpdate; waiters: Waiter[] }>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: ReceiptStore,
    private readonly members: MemberCache,
    private readonly delivery: Delivery,
    private readonly flushMs: number,
  ) {}

  /** Proposes new watermarks for the caller; resolves with the stored state once the batch is written. */
  async mark(userId: string, input: { conversationId: string; delivered?: number; read?: number }): Promise<ReceiptState> {
    if (input.delivered === undefined && input.read === undefined) {
      throw new AppError("validation_failed", "Give `delivered`, `read` or both", { field: "delivered" });
    }
    if (!(await this.members.isMember(input.conversationId, userId))) {
      throw new AppError("not_member", "You are not a member of this conversation");
    }
    const read = input.read ?? 0;
    const delivered = Math.max(input.delivered ?? 0, read);
    const key = `${input.conversationId}\u0000${userId}`;
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(key);
      if (entry) {
        entry.update.deliveredSeq = Math.max(entry.update.deliveredSeq, delivered);
        entry.update.readSeq = Math.max(entry.update.readSeq, read);
        entry.waiters.push({ resolve, reject });
      } else {
        this.pending.set(key, {
          update: { conversationId: input.conversationId, userId, deliveredSeq: delivered, readSeq: read, at: Date.now() },
          waiters: [{ resolve, reject }],
        });
      }
      this.timer ??= setTimeout(() => this.flush(), this.flushMs);
    });
  }

  /** Writes whatever is pending now (used by graceful shutdown). */
  async drain(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.flush();
    }
    await this.flushing;
  }

  private flush(): void {
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    this.flushing = this.flushing.then(() => this.write(batch));
  }

  private async write(batch: { update: ReceiptUpdate; waiters: Waiter[] }[]): Promise<void> {
    const now = Date.now();
    let results: Awaited<ReturnType<ReceiptStore["updateReceipts"]>>;
    try {
      results = await this.store.updateReceipts(batch.map((b) => ({ ...b.update, at: now })));
    } catch (error) {
      for (const b of batch) for (const w of b.waiters) w.reject(error);
      return;
    }
    const changed = new Map<string, ReceiptState[]>();
    results.forEach((r, i) => {
      for (const w of batch[i]!.waiters) w.resolve(r.state);
      if (!r.changed) return;
      const list = changed.get(r.conversationId);
      if (list) list.push(r.state);
      else changed.set(r.conversationId, [r.state]);
    });
    for (const [conversationId, receipts] of changed) {
      try {
        await this.delivery.toUsers(await this.members.get(conversationId), "receipts", { conversationId, receipts });
      } catch {
        // Watermarks are stored; clients also receive them in sync.
      }
    }
  }
}
