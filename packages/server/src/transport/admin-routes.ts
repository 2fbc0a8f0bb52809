// The audit log's export over HTTP (`GET /v1/admin/audit/export?format=jsonl|csv`): a file, not a JSON answer, so a
// route beside the operation routes; authorized like an admin operation (a user's token, then the role).

import { Readable } from "node:stream";
import type { FastifyInstance } from "fastify";
import { AppError } from "../domain/app-error.js";
import { AUDIT_EXPORT_TYPES, type AuditExportFormat, auditExport } from "../services/audit-export.js";
import type { Services } from "../services/index.js";
import { bearer } from "./security.js";

export const AUDIT_EXPORT_PATH = "/v1/admin/audit/export";

export function registerAdminRoutes(app: FastifyInstance, services: Services): void {
  app.get(AUDIT_EXPORT_PATH, async (request, reply) => {
    const principal = await services.auth.authenticate(bearer(request.raw));
    const limited = services.limits.request(principal.userId, "admin.audit.export");
    if (limited) await limited;
    await services.admin.requireAdmin(principal.userId);
    const format = (request.query as Record<string, unknown>)["format"] ?? "jsonl";
    if (format !== "jsonl" && format !== "csv") {
      throw new AppError("validation_failed", 'format must be "jsonl" or "csv"', { field: "format" });
    }
    const day = new Date().toISOString().slice(0, 10);
    return reply
      .header("content-type", AUDIT_EXPORT_TYPES[format as AuditExportFormat])
      .header("content-disposition", `attachment; filename="parley-audit-${day}.${format}"`)
      .header("cache-control", "no-store")
      .send(Readable.from(auditExport(services.admin.auditEntries(), format as AuditExportFormat)));
  });
}
