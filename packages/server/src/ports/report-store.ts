// The storage port of moderation reports (migration 12): users report messages, administrators resolve the reports.

import type { Report } from "@parley/protocol";
import type { AuditDraft } from "./admin-store.js";

export interface ReportRecord extends Report {
  reporterId: string;
  resolvedBy: string | null;
}

export type ReportStatus = "open" | "resolved";

export interface ReportStore {
  /**
   * Stores an open report and returns it; when the reporter already has an open report of that message, nothing is
   * written and that one is returned.
   */
  createReport(report: Omit<ReportRecord, "resolvedAt" | "resolvedBy" | "resolution">): Promise<ReportRecord>;
  getReport(id: string): Promise<ReportRecord | undefined>;
  /** Newest first; `after` is the id of the last report of the previous page. */
  listReports(status: ReportStatus, after: string | undefined, limit: number): Promise<ReportRecord[]>;
  /**
   * Dismisses an open report with its audit entry (`report.dismissed`), in one transaction; a resolved report is left
   * as it is (no entry). Undefined when unknown.
   */
  dismissReport(id: string, audit: Omit<AuditDraft, "action" | "target">): Promise<ReportRecord | undefined>;
  /** Resolves every open report of the message as `removed` by `by` at `at`; returns how many. */
  resolveReportsOf(conversationId: string, seq: number, by: string, at: number): Promise<number>;
}
