// A modal dialog on the native <dialog>: focus is trapped and restored by the browser, Esc and the backdrop close it.

import { type ReactNode, useEffect, useId, useRef } from "react";
import { useT } from "../i18n/I18nProvider.js";
import { Icon } from "./Icon.js";

export interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Extra class for sizing (e.g. "dialog-wide"). */
  className?: string;
}

/** Mount it to open it; it calls `onClose` on Esc, the close button or a click on the backdrop: unmount it then. */
export function Dialog({ title, onClose, children, className }: DialogProps) {
  const t = useT();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (!dialog.open) dialog.showModal();
    const onCancel = (event: Event) => {
      event.preventDefault();
      onCloseRef.current();
    };
    // A click whose target is the <dialog> itself landed on the backdrop (the content fills the inner box).
    const onClick = (event: MouseEvent) => {
      if (event.target === dialog) onCloseRef.current();
    };
    dialog.addEventListener("cancel", onCancel);
    dialog.addEventListener("click", onClick);
    return () => {
      dialog.removeEventListener("cancel", onCancel);
      dialog.removeEventListener("click", onClick);
      if (dialog.open) dialog.close();
    };
  }, []);

  return (
    <dialog ref={ref} className={className ? `dialog ${className}` : "dialog"} aria-labelledby={titleId}>
      <div className="dialog-body">
        <header className="dialog-header">
          <h2 id={titleId}>{title}</h2>
          <button type="button" className="icon-button" onClick={onClose} aria-label={t("common.close")}>
            <Icon name="close" />
          </button>
        </header>
        {children}
      </div>
    </dialog>
  );
}
