// Reporting a message to the server's administrators: a reason from the protocol's list and optional words, then a
// confirmation that it was sent (reports.create; a repeat of an open report is answered with that one).

import { REPORT_REASONS, type ReportReason } from "@parley/client";
import { type FormEvent, useState } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

/** The catalogue key of each reason's label. */
export const REASON_LABELS = {
  spam: "report.spam",
  harassment: "report.harassment",
  hate: "report.hate",
  violence: "report.violence",
  sexual: "report.sexual",
  illegal: "report.illegal",
  other: "report.other",
} as const satisfies Record<ReportReason, string>;

export function ReportDialog({ conversationId, seq, onClose }: { conversationId: string; seq: number; onClose: () => void }) {
  const store = useStore();
  const t = useT();
  const [reason, setReason] = useState<ReportReason | null>(null);
  const [note, setNote] = useState("");
  const [sent, setSent] = useState(false);
  const action = useAction();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!reason) return;
    void action.run(async () => {
      await store.client.reportMessage(conversationId, seq, reason, note.trim() || undefined);
      setSent(true);
    });
  };

  if (sent) {
    return (
      <Dialog title={t("report.sentTitle")} onClose={onClose}>
        <p className="dialog-text" role="status">
          {t("report.sentText")}
        </p>
        <div className="dialog-actions">
          <button type="button" className="button button-primary" onClick={onClose}>
            {t("common.done")}
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title={t("report.title")} onClose={onClose}>
      <form className="dialog-form" onSubmit={submit} aria-label={t("report.title")}>
        <fieldset className="admin-fieldset">
          <legend className="section-title">{t("report.what")}</legend>
          {REPORT_REASONS.map((r) => (
            <label key={r} className="checkbox-field">
              <input type="radio" name="reason" value={r} checked={reason === r} onChange={() => setReason(r)} />
              <span>{t(REASON_LABELS[r])}</span>
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>
            {t("report.note")} <small>{t("auth.optional")}</small>
          </span>
          <input name="note" maxLength={1000} value={note} onChange={(e) => setNote(e.target.value)} />
        </label>
        <FormError error={action.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="button button-danger" disabled={!reason || action.busy}>
            {t("report.send")}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
