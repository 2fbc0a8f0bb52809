// The ReportStore in PostgreSQL (the table of migration 12).

import type { AuditDraft } from "../../ports/admin-store.js";
import type { ReportRecord, ReportStatus, ReportStore } from "../../ports/report-store.js";
import { AUDIT_INSERT } from "./postgres-admin-store.js";
import type { PostgresHandle } from "./postgres-handle.js";

const COLUMNS =
  'id, conversation_id AS "conversationId", seq, reporter_id AS "reporterId", reason, note, created_at AS "createdAt", ' +
  'resolved_at AS "resolvedAt", resolved_by AS "resolvedBy", resolution';
const ORDER = "ORDER BY created_at DESC, id DESC";

/** A role over the store's shared handle (`PostgresStore.handle`: its pool, bigint parsing, timeouts and schema). */
export class PostgresReportStore implements ReportStore {
  constructor(private readonly handle: PostgresHandle) {}

  async createReport(r: Omit<ReportRecord, "resolvedAt" | "resolvedBy" | "resolution">): Promise<ReportRecord> {
    return this.handle.transaction(async (client) => {
      await client.query(
        "INSERT INTO reports (id, conversation_id, seq, reporter_id, reason, note, created_at) " +
          "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        [r.id, r.conversationId, r.seq, r.reporterId, r.reason, r.note, r.createdAt],
      );
      const { rows } = await client.query<ReportRecord>(
        `SELECT ${COLUMNS} FROM reports WHERE conversation_id = $1 AND seq = $2 AND reporter_id = $3 AND resolved_at IS NULL`,
        [r.conversationId, r.seq, r.reporterId],
      );
      return rows[0]!;
    });
  }

  async getReport(id: string): Promise<ReportRecord | undefined> {
    const { rows } = await this.handle.pool.query<ReportRecord>(`SELECT ${COLUMNS} FROM reports WHERE id = $1`, [id]);
    return rows[0];
  }

  async listReports(status: ReportStatus, after: string | undefined, limit: number): Promise<ReportRecord[]> {
    const open = status === "open";
    if (after === undefined) {
      const { rows } = await this.handle.pool.query<ReportRecord>(
        `SELECT ${COLUMNS} FROM reports WHERE (resolved_at IS NULL) = $1 ${ORDER} LIMIT $2`,
        [open, limit],
      );
      return rows;
    }
    const last = await this.getReport(after);
    if (!last) return [];
    const { rows } = await this.handle.pool.query<ReportRecord>(
      `SELECT ${COLUMNS} FROM reports WHERE (resolved_at IS NULL) = $1 AND (created_at, id) < ($2, $3) ${ORDER} LIMIT $4`,
      [open, last.createdAt, last.id, limit],
    );
    return rows;
  }

  async dismissReport(id: string, audit: Omit<AuditDraft, "action" | "target">): Promise<ReportRecord | undefined> {
    return this.handle.transaction(async (client) => {
      const changed = await client.query(
        "UPDATE reports SET resolved_at = $1, resolved_by = $2, resolution = 'dismissed' WHERE id = $3 AND resolved_at IS NULL",
        [audit.at, audit.actorId ?? "", id],
      );
      if (changed.rowCount) {
        await client.query(AUDIT_INSERT, [audit.at, audit.actorId, "report.dismissed", id, JSON.stringify(audit.details)]);
      }
      const { rows } = await client.query<ReportRecord>(`SELECT ${COLUMNS} FROM reports WHERE id = $1`, [id]);
      return rows[0];
    });
  }

  async resolveReportsOf(conversationId: string, seq: number, by: string, at: number): Promise<number> {
    const result = await this.handle.pool.query(
      "UPDATE reports SET resolved_at = $1, resolved_by = $2, resolution = 'removed' " +
        "WHERE conversation_id = $3 AND seq = $4 AND resolved_at IS NULL",
      [at, by, conversationId, seq],
    );
    return result.rowCount ?? 0;
  }
}
