// The audit log's export formats: JSON lines (one AuditEntry per line) and CSV (RFC 4180, safe to open in a spreadsheet).

import type { AuditEntry } from "@parley/protocol";

export type AuditExportFormat = "jsonl" | "csv";

export const AUDIT_EXPORT_TYPES: Record<AuditExportFormat, string> = {
  jsonl: "application/x-ndjson; charset=utf-8",
  csv: "text/csv; charset=utf-8",
};

export const CSV_HEADER = "id,at,actorId,action,target,details\r\n";

/**
 * One CSV field: quoted when it holds a separator, quote or line break; a field a spreadsheet would run as a formula
 * (starting with = + - @, tab or carriage return) gets a leading apostrophe, as OWASP advises against CSV injection.
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export function auditLine(entry: AuditEntry, format: AuditExportFormat): string {
  if (format === "jsonl") return `${JSON.stringify(entry)}\n`;
  const cells = [
    String(entry.id),
    new Date(entry.at).toISOString(),
    entry.actorId ?? "",
    entry.action,
    entry.target ?? "",
    JSON.stringify(entry.details),
  ];
  return `${cells.map(csvField).join(",")}\r\n`;
}

/** The whole export, header first, a line per entry as the pages arrive. */
export async function* auditExport(entries: AsyncIterable<AuditEntry>, format: AuditExportFormat): AsyncGenerator<string> {
  if (format === "csv") yield CSV_HEADER;
  for await (const entry of entries) yield auditLine(entry, format);
}
