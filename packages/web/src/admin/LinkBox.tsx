// A link to hand over (an invitation, a password reset): shown once, selectable, with a copy button.

import { useId, useState } from "react";
import { useT } from "../i18n/I18nProvider.js";

export function LinkBox({ label, url, hint }: { label: string; url: string; hint: string }) {
  const t = useT();
  const id = useId();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(true);
    } catch {
      // No clipboard permission (or an insecure origin): the field is selected for a manual copy instead.
      (document.getElementById(id) as HTMLInputElement | null)?.select();
    }
  };
  return (
    <div className="link-box">
      <label className="field" htmlFor={id}>
        <span>{label}</span>
      </label>
      <div className="inline-form">
        <input id={id} className="link-box-url" readOnly value={url} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" className="button" onClick={() => void copy()}>
          {copied ? t("link.copied") : t("link.copy")}
        </button>
      </div>
      <p className="muted">{hint}</p>
    </div>
  );
}
