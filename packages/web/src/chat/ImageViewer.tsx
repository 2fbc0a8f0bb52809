// The full-size image over the app: Esc, a click outside or the close button closes it; a link downloads it.

import type { Attachment } from "@parley/client";
import { useEffect, useRef } from "react";
import { formatBytes } from "../format/files.js";
import { useT } from "../i18n/I18nProvider.js";
import { Icon } from "../ui/Icon.js";

export function ImageViewer({
  attachment,
  url,
  onClose,
}: {
  attachment: Attachment;
  url: string | undefined;
  onClose: () => void;
}) {
  const t = useT();
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    closeRef.current?.focus();
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  return (
    // biome-ignore lint/a11y/useKeyWithClickEvents: Esc closes it (handled on window); the click is for the backdrop
    <div
      className="image-viewer"
      role="dialog"
      aria-modal="true"
      aria-label={attachment.name}
      onClick={(e) => {
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div className="image-viewer-bar">
        <span className="image-viewer-title">
          {attachment.name} · {attachment.width}×{attachment.height} · {formatBytes(attachment.size)}
        </span>
        {url ? (
          <a className="icon-button" href={url} download={attachment.name} aria-label={t("files.download")}>
            <Icon name="download" />
          </a>
        ) : null}
        <button ref={closeRef} type="button" className="icon-button" onClick={onClose} aria-label={t("common.close")}>
          <Icon name="close" />
        </button>
      </div>
      {url ? (
        <img
          className="image-viewer-image"
          src={url}
          alt={attachment.name}
          width={attachment.width ?? undefined}
          height={attachment.height ?? undefined}
        />
      ) : (
        <p className="muted">{t("common.loading")}</p>
      )}
    </div>
  );
}
