// Administration: the reports queue (open, or resolved), each with its reporter, reason and note, and the message as
// it is now; an open report is dismissed, or its message removed for everyone, and its author can be deactivated.

import type { AdminReport } from "@parley/client";
import { useCallback, useEffect, useState } from "react";
import { REASON_LABELS } from "../chat/ReportDialog.js";
import { formatFullTimestamp } from "../format/time.js";
import { useT } from "../i18n/I18nProvider.js";
import { displayName } from "../state/conversations.js";
import { useStore } from "../state/store-context.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

type Status = "open" | "resolved";

const RESOLUTION = {
  dismissed: "reports.dismissed",
  removed: "reports.messageRemoved",
} as const satisfies Record<NonNullable<AdminReport["resolution"]>, string>;

export function ReportsTab() {
  const store = useStore();
  const t = useT();
  const [status, setStatus] = useState<Status>("open");
  const [reports, setReports] = useState<AdminReport[]>([]);
  const [names, setNames] = useState<Record<string, string>>({});
  const [next, setNext] = useState<string | null>(null);
  const [deactivated, setDeactivated] = useState<string[]>([]);
  const list = useAction();
  const row = useAction();
  const { run } = list;

  const load = useCallback(
    (after: string | null) =>
      run(async () => {
        const page = await store.client.admin.reports({ status, limit: 20, ...(after ? { after } : {}) });
        setReports((shown) => (after ? [...shown, ...page.items] : page.items));
        setNext(page.next);
        const authors = page.items.flatMap((r) => (r.message ? [r.message.senderId] : []));
        const users = await store.client.getUsers([...new Set(authors)]);
        setNames((known) => ({ ...known, ...Object.fromEntries(users.map((u) => [u.id, displayName(u)])) }));
      }),
    [run, store, status],
  );
  useEffect(() => void load(null), [load]);

  // A resolved report leaves the open queue; the resolved list shows it as it is now.
  const resolved = (report: AdminReport) =>
    setReports((shown) =>
      status === "open" ? shown.filter((r) => r.id !== report.id) : shown.map((r) => (r.id === report.id ? report : r)),
    );
  const dismiss = (report: AdminReport) => void row.run(async () => resolved(await store.client.admin.dismissReport(report.id)));
  const remove = (report: AdminReport) =>
    void row.run(async () => {
      await store.client.admin.removeMessage(report.conversationId, report.seq);
      // Every open report of that message is resolved with it.
      setReports((shown) =>
        status === "open" ? shown.filter((r) => r.conversationId !== report.conversationId || r.seq !== report.seq) : shown,
      );
    });
  const deactivate = (userId: string) =>
    void row.run(async () => {
      await store.client.admin.deactivate(userId);
      setDeactivated((ids) => [...ids, userId]);
    });

  return (
    <div className="admin-tab">
      <fieldset className="admin-fieldset admin-filter">
        <legend className="section-title">{t("reports.show")}</legend>
        {(["open", "resolved"] as const).map((s) => (
          <label key={s} className="checkbox-field">
            <input type="radio" name="report-status" value={s} checked={status === s} onChange={() => setStatus(s)} />
            <span>{s === "open" ? t("reports.open") : t("reports.resolved")}</span>
          </label>
        ))}
      </fieldset>
      <FormError error={list.error ?? row.error} />
      <ul
        className="admin-list"
        aria-label={status === "open" ? t("reports.open") : t("reports.resolvedList")}
        aria-busy={list.busy}
      >
        {reports.map((report) => {
          const message = report.message;
          const author = message ? (names[message.senderId] ?? message.senderId) : null;
          const gone = !message || message.deletedAt !== undefined;
          return (
            <li key={report.id} className="admin-row report-row">
              <div className="admin-row-main">
                <strong>
                  {t("reports.heading", { reason: t(REASON_LABELS[report.reason]), name: displayName(report.reporter) })}
                </strong>
                {report.note ? <span className="report-note">“{report.note}”</span> : null}
                <span className="report-message">
                  {author ? `${author}: ` : ""}
                  {gone ? <em>{message ? t("reports.removedMessage") : t("reports.goneMessage")}</em> : (message.body ?? "")}
                </span>
                <span className="muted">
                  {t("reports.where", { seq: report.seq, conversation: report.conversationId })} ·{" "}
                  <time dateTime={new Date(report.createdAt).toISOString()}>{formatFullTimestamp(report.createdAt)}</time>
                  {report.resolution ? ` · ${t(RESOLUTION[report.resolution])}` : ""}
                </span>
              </div>
              <div className="admin-row-actions">
                {report.resolution === null && !gone ? (
                  <button
                    type="button"
                    className="button button-small button-danger"
                    disabled={row.busy}
                    onClick={() => remove(report)}
                  >
                    {t("reports.remove")}
                  </button>
                ) : null}
                {report.resolution === null ? (
                  <button type="button" className="button button-small" disabled={row.busy} onClick={() => dismiss(report)}>
                    {t("reports.dismiss")}
                  </button>
                ) : null}
                {message && !deactivated.includes(message.senderId) ? (
                  <button
                    type="button"
                    className="button button-small"
                    disabled={row.busy}
                    aria-label={author ? t("reports.deactivateName", { name: author }) : t("reports.deactivate")}
                    onClick={() => deactivate(message.senderId)}
                  >
                    {t("reports.deactivate")}
                  </button>
                ) : message ? (
                  <span className="muted">{t("reports.deactivated")}</span>
                ) : null}
              </div>
            </li>
          );
        })}
      </ul>
      {!list.busy && reports.length === 0 ? (
        <p className="muted">{status === "open" ? t("reports.noneOpen") : t("reports.noneResolved")}</p>
      ) : null}
      {next ? (
        <button type="button" className="button" disabled={list.busy} onClick={() => void load(next)}>
          {t("reports.more")}
        </button>
      ) : null}
    </div>
  );
}
