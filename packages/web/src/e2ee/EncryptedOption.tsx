// The "End-to-end encrypted" box of the new-chat and new-group dialogs: a property fixed at creation (protocol §6.15).

import { useId } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { useChat } from "../state/store-context.js";

export function EncryptedOption({ checked, onChange }: { checked: boolean; onChange: (checked: boolean) => void }) {
  const t = useT();
  const status = useChat((s) => s.encryption);
  const hint = useId();
  if (status === "off") return null;
  return (
    <>
      <label className="checkbox-field">
        <input
          type="checkbox"
          name="encrypted"
          checked={checked}
          disabled={status === "failed" || status === "elsewhere"}
          aria-describedby={hint}
          onChange={(e) => onChange(e.target.checked)}
        />
        <span>{t("e2ee.encryptedOption")}</span>
      </label>
      <p className="muted" id={hint}>
        {status === "failed" ? t("e2ee.failed") : status === "elsewhere" ? t("e2ee.otherTab") : t("e2ee.encryptedHint")}
      </p>
    </>
  );
}

/** The lock shown by an encrypted conversation's name (list and header), with its name for screen readers. */
export function LockMarker() {
  const t = useT();
  return (
    <span className="lock-marker" title={t("e2ee.encrypted")} data-encrypted="">
      <svg className="icon" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2" aria-hidden="true">
        <path d="M7 11V8a5 5 0 0 1 10 0v3M6 11h12v9H6z" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <span className="visually-hidden">{t("e2ee.encrypted")}</span>
    </span>
  );
}
