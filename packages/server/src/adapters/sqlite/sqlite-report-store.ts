// The ReportStore in the embedded SQLite database (the table of migration 12).

import type { AuditDraft } from "../../ports/admin-store.js";
import type { ReportRecord, ReportStatus, ReportStore } from "../../ports/report-store.js";
import { AUDIT_INSERT } from "./sqlite-admin-store.js";
import type { SqliteHandle } from "./sqlite-handle.js";

const COLUMNS =
  "id, conversation_id AS conversationId, seq, reporter_id AS reporterId, reason, note, created_at AS createdAt, " +
  "resolved_at AS resolvedAt, resolved_by AS resolvedBy, resolution";
/** 1 selects open reports, 0 resolved ones. */
const STATUS = "(resolved_at IS NULL) = ?";

/** A role over the store's shared handle (`SqliteStore.handle`), which has already migrated the schema. */
export class SqliteReportStore implements ReportStore {
  private readonly q;

  constructor(private readonly handle: SqliteHandle) {
    const db = handle.db;
    this.q = {
      insert: db.prepare<[string, string, number, string, string, string | null, number]>(
        "INSERT INTO reports (id, conversation_id, seq, reporter_id, reason, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) " +
          "ON CONFLICT DO NOTHING",
      ),
      open: db.prepare<[string, number, string], ReportRecord>(
        `SELECT ${COLUMNS} FROM reports WHERE conversation_id = ? AND seq = ? AND reporter_id = ? AND resolved_at IS NULL`,
      ),
      get: db.prepare<[string], ReportRecord>(`SELECT ${COLUMNS} FROM reports WHERE id = ?`),
      first: db.prepare<[number, number], ReportRecord>(
        `SELECT ${COLUMNS} FROM reports WHERE ${STATUS} ORDER BY created_at DESC, id DESC LIMIT ?`,
      ),
      after: db.prepare<[number, number, number, string, number], ReportRecord>(
        `SELECT ${COLUMNS} FROM reports WHERE ${STATUS} AND (created_at < ? OR (created_at = ? AND id < ?)) ` +
          "ORDER BY created_at DESC, id DESC LIMIT ?",
      ),
      dismiss: db.prepare<[number, string, string]>(
        "UPDATE reports SET resolved_at = ?, resolved_by = ?, resolution = 'dismissed' WHERE id = ? AND resolved_at IS NULL",
      ),
      resolveOf: db.prepare<[number, string, string, number]>(
        "UPDATE reports SET resolved_at = ?, resolved_by = ?, resolution = 'removed' " +
          "WHERE conversation_id = ? AND seq = ? AND resolved_at IS NULL",
      ),
      audit: db.prepare<[number, string | null, string, string | null, string]>(AUDIT_INSERT),
    };
  }

  async createReport(r: Omit<ReportRecord, "resolvedAt" | "resolvedBy" | "resolution">): Promise<ReportRecord> {
    return this.handle.transaction(() => {
      this.q.insert.run(r.id, r.conversationId, r.seq, r.reporterId, r.reason, r.note, r.createdAt);
      return this.q.open.get(r.conversationId, r.seq, r.reporterId)!;
    })();
  }

  async getReport(id: string): Promise<ReportRecord | undefined> {
    return this.q.get.get(id);
  }

  async listReports(status: ReportStatus, after: string | undefined, limit: number): Promise<ReportRecord[]> {
    const open = status === "open" ? 1 : 0;
    if (after === undefined) return this.q.first.all(open, limit);
    const last = this.q.get.get(after);
    return last ? this.q.after.all(open, last.createdAt, last.createdAt, last.id, limit) : [];
  }

  async dismissReport(id: string, audit: Omit<AuditDraft, "action" | "target">): Promise<ReportRecord | undefined> {
    return this.handle.transaction(() => {
      if (this.q.dismiss.run(audit.at, audit.actorId ?? "", id).changes > 0) {
        this.q.audit.run(audit.at, audit.actorId, "report.dismissed", id, JSON.stringify(audit.details));
      }
      return this.q.get.get(id);
    })();
  }

  async resolveReportsOf(conversationId: string, seq: number, by: string, at: number): Promise<number> {
    return this.q.resolveOf.run(at, by, conversationId, seq).changes;
  }
}
