// Reporting a message to the server's administrators: a reason from the protocol's list and optional words, then a
// confirmation that it was sent (reports.create; a repeat of an open report is answered with that one).

import { REPORT_REASONS, type ReportReason } from "@parley/client";
import { type FormEvent, useState } from "react";
import { useStore } from "../state/store-context.js";
import { Dialog } from "../ui/Dialog.js";
import { FormError } from "../ui/FormError.js";
import { useAction } from "../ui/use-action.js";

export const REASON_LABELS: Record<ReportReason, string> = {
  spam: "Spam",
  harassment: "Harassment or bullying",
  hate: "Hate speech",
  violence: "Violence or threats",
  sexual: "Sexual content",
  illegal: "Something illegal",
  other: "Something else",
};

export function ReportDialog({ conversationId, seq, onClose }: { conversationId: string; seq: number; onClose: () => void }) {
  const store = useStore();
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
      <Dialog title="Report sent" onClose={onClose}>
        <p className="dialog-text" role="status">
          Thank you. The server’s administrators will look at this message. The sender is not told who reported it.
        </p>
        <div className="dialog-actions">
          <button type="button" className="button button-primary" onClick={onClose}>
            Done
          </button>
        </div>
      </Dialog>
    );
  }
  return (
    <Dialog title="Report message" onClose={onClose}>
      <form className="dialog-form" onSubmit={submit} aria-label="Report message">
        <fieldset className="admin-fieldset">
          <legend className="section-title">What is wrong with it?</legend>
          {REPORT_REASONS.map((r) => (
            <label key={r} className="checkbox-field">
              <input type="radio" name="reason" value={r} checked={reason === r} onChange={() => setReason(r)} />
              <span>{REASON_LABELS[r]}</span>
            </label>
          ))}
        </fieldset>
        <label className="field">
          <span>
            Anything to add? <small>(optional)</small>
          </span>
          <input name="note" maxLength={1000} value={note} onChange={(e) => setNote(e.target.value)} />
        </label>
        <FormError error={action.error} />
        <div className="dialog-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-danger" disabled={!reason || action.busy}>
            Send report
          </button>
        </div>
      </form>
    </Dialog>
  );
}
