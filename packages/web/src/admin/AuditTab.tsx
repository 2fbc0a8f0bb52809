// Administration: the audit log, newest first a page at a time, and its export as CSV or JSON lines.

import type { AuditEntry, AuditExportFormat } from "@parley/client";
import { useEffect, useState } from "react";
import { formatFullTimestamp } from "../format/time.js";
import { useT } from "../i18n/I18nProvider.js";
import type { MessageKey } from "../i18n/i18n.js";
import { displayName } from "../state/conversations.js";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

const ACTIONS: Record<AuditEntry["action"], MessageKey> = {
  "admin.granted": "audit.adminGranted",
  "admin.revoked": "audit.adminRevoked",
  "user.created": "audit.userCreated",
  "user.deactivated": "audit.userDeactivated",
  "user.reactivated": "audit.userReactivated",
  "user.reset_link": "audit.resetLink",
  "settings.updated": "audit.settingsUpdated",
  "invite.created": "audit.inviteCreated",
  "invite.revoked": "audit.inviteRevoked",
  "message.removed": "audit.messageRemoved",
  "report.dismissed": "audit.reportDismissed",
};

export function AuditTab() {
  const store = useStore();
  const t = useT();
  const [entries, setEntries] = useState<AuditEntry[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  const [next, setNext] = useState<number | null>(null);
  const list = useAction();
  const download = useAction();

  const load = (before: number | null) =>
    list.run(async () => {
      const page = await store.client.admin.audit({ limit: 50, ...(before ? { before } : {}) });
      setEntries((shown) => (before ? [...shown, ...page.items] : page.items));
      setNext(page.next);
      // Actors and user targets by name where they are users (unknown ids stay as they are).
      const ids = new Set<string>();
      for (const e of page.items) {
        if (e.actorId) ids.add(e.actorId);
        if (e.target && e.action.startsWith("user.")) ids.add(e.target);
        if (e.target && e.action.startsWith("admin.")) ids.add(e.target);
      }
      const users = await store.client.getUsers([...ids]);
      setNames((known) => ({ ...known, ...Object.fromEntries(users.map((u) => [u.id, displayName(u)])) }));
    });
  // biome-ignore lint/correctness/useExhaustiveDependencies: the first page once, on opening
  useEffect(() => void load(null), []);

  const exportAs = (format: AuditExportFormat) =>
    void download.run(async () => {
      const text = await store.client.admin.exportAudit(format);
      const type = format === "csv" ? "text/csv" : "application/x-ndjson";
      const url = URL.createObjectURL(new Blob([text], { type }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `parley-audit.${format}`;
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    });

  const who = (id: string | null) => (id === null ? t("audit.console") : (names[id] ?? id));

  return (
    <div className="admin-tab">
      <div className="dialog-actions">
        <span className="muted">{t("audit.export")}</span>
        <button type="button" className="button button-small" disabled={download.busy} onClick={() => exportAs("csv")}>
          {t("audit.csv")}
        </button>
        <button type="button" className="button button-small" disabled={download.busy} onClick={() => exportAs("jsonl")}>
          {t("audit.jsonl")}
        </button>
      </div>
      <FormError error={list.error ?? download.error} />
      <ol className="admin-list audit-list" aria-label={t("admin.tabAudit")}>
        {entries.map((entry) => (
          <li key={entry.id} className="admin-row">
            <div className="admin-row-main">
              <strong>
                {who(entry.actorId)}: {entry.action in ACTIONS ? t(ACTIONS[entry.action]) : entry.action}
                {entry.target && (entry.action.startsWith("user.") || entry.action.startsWith("admin."))
                  ? ` — ${who(entry.target)}`
                  : ""}
              </strong>
              <span className="muted">
                <time dateTime={new Date(entry.at).toISOString()}>{formatFullTimestamp(entry.at)}</time>
                {Object.keys(entry.details).length > 0 ? ` · ${JSON.stringify(entry.details)}` : ""}
              </span>
            </div>
          </li>
        ))}
      </ol>
      {!list.busy && entries.length === 0 ? <p className="muted">{t("audit.empty")}</p> : null}
      {next ? (
        <button type="button" className="button" disabled={list.busy} onClick={() => void load(next)}>
          {t("audit.older")}
        </button>
      ) : null}
    </div>
  );
}
