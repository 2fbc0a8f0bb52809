// Moderation (docs/administration.md): users report messages; administrators work the queue, dismiss reports and
// remove messages for everyone (the removal itself is a log entry: MessageService.removeByAdmin).

import type { AdminReport, Message, Report, ReportReason } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";
import { newId } from "../domain/ids.js";
import type { AuditLog } from "../ports/admin-store.js";
import type { ReportRecord, ReportStatus, ReportStore } from "../ports/report-store.js";
import type { AccountStore, MessageStore } from "../ports/store.js";
import { toUser } from "./auth-service.js";
import type { MessageService } from "./message-service.js";

const DEFAULT_PAGE = 50;

function toReport(r: ReportRecord): Report {
  return {
    id: r.id,
    conversationId: r.conversationId,
    seq: r.seq,
    reason: r.reason,
    note: r.note,
    createdAt: r.createdAt,
    resolvedAt: r.resolvedAt,
    resolution: r.resolution,
  };
}

export class ModerationService {
  constructor(
    private readonly reports: ReportStore,
    private readonly audit: Pick<AuditLog, "appendAudit">,
    private readonly store: Pick<AccountStore, "getUsersByIds"> & Pick<MessageStore, "getMessagesBySeq">,
    private readonly messages: Pick<MessageService, "visibleText" | "removeByAdmin">,
  ) {}

  /**
   * A member (or former member, within what they could see) reports a message (not a tombstone). One open report per
   * reporter and message: a repeat returns the open one unchanged.
   */
  async report(
    userId: string,
    input: { conversationId: string; seq: number; reason: ReportReason; note?: string },
  ): Promise<Report> {
    const { target } = await this.messages.visibleText(userId, input.conversationId, input.seq);
    if (target.deletedAt !== undefined) throw new AppError("message_deleted", "The message was deleted");
    const record: Omit<ReportRecord, "resolvedAt" | "resolvedBy" | "resolution"> = {
      id: newId(),
      conversationId: input.conversationId,
      seq: input.seq,
      reporterId: userId,
      reason: input.reason,
      note: input.note?.trim() || null,
      createdAt: Date.now(),
    };
    return toReport(await this.reports.createReport(record));
  }

  async list(input: { status?: ReportStatus; after?: string; limit?: number }) {
    const limit = input.limit ?? DEFAULT_PAGE;
    const page = await this.reports.listReports(input.status ?? "open", input.after, limit + 1);
    const more = page.length > limit;
    const reports = await this.present(more ? page.slice(0, limit) : page);
    return { reports, next: more ? reports.at(-1)!.id : null };
  }

  /** Dismisses an open report (the message stays); a resolved one is returned as it is. */
  async dismiss(adminId: string, reportId: string): Promise<AdminReport> {
    const record = await this.reports.dismissReport(reportId, { at: Date.now(), actorId: adminId, details: {} });
    if (!record) throw new AppError("not_found", "No such report");
    return (await this.present([record]))[0]!;
  }

  /**
   * Removes a text message for everyone (a tombstone, files unlinked, out of search), resolves its open reports as
   * `removed` and records `message.removed` in the audit log.
   */
  async remove(adminId: string, input: { conversationId: string; seq: number }): Promise<{ message: Message }> {
    const message = await this.messages.removeByAdmin(adminId, input);
    const at = Date.now();
    const resolved = await this.reports.resolveReportsOf(input.conversationId, input.seq, adminId, at);
    await this.audit.appendAudit({
      at,
      actorId: adminId,
      action: "message.removed",
      target: `${input.conversationId}:${input.seq}`,
      details: { conversationId: input.conversationId, seq: input.seq, reportsResolved: resolved },
    });
    return { message };
  }

  /** Reports with their reporter and the message as stored now (administrators see it whatever their membership). */
  private async present(records: readonly ReportRecord[]): Promise<AdminReport[]> {
    const users = new Map((await this.store.getUsersByIds([...new Set(records.map((r) => r.reporterId))])).map((u) => [u.id, u]));
    const messages = await Promise.all(records.map((r) => this.store.getMessagesBySeq(r.conversationId, [r.seq])));
    return records.flatMap((r, i) => {
      const reporter = users.get(r.reporterId);
      if (!reporter) return [];
      return [{ ...toReport(r), reporter: toUser(reporter), resolvedBy: r.resolvedBy, message: messages[i]![0] ?? null }];
    });
  }
}
