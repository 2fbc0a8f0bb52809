// A message's files: image previews laid out at their final size before loading (click opens the viewer) and file
// cards with name, size and a download link.

import type { Attachment } from "@parley/client";
import { useState } from "react";
import { attachmentSummary, fitBox, formatBytes, isImage } from "../format/files.js";
import { useT } from "../i18n/I18nProvider.js";
import { Icon } from "../ui/Icon.js";
import { ImageViewer } from "./ImageViewer.js";
import { useFileUrls } from "./use-file-urls.js";

/** Longest side of an image preview in the timeline, in CSS pixels (the thumbnails are 320 px). */
const PREVIEW_MAX = 280;

export function Attachments({ attachments }: { attachments: readonly Attachment[] }) {
  const t = useT();
  const urls = useFileUrls(attachments.map((a) => a.id));
  const [viewing, setViewing] = useState<Attachment | null>(null);
  if (attachments.length === 0) return null;
  return (
    <div className="attachments" title={attachmentSummary(attachments)}>
      {attachments.map((a) => {
        const signed = urls.get(a.id);
        if (isImage(a)) {
          const box = fitBox(a.width!, a.height!, PREVIEW_MAX);
          return (
            <button
              key={a.id}
              type="button"
              className="attachment-image"
              style={{ width: box.width, height: box.height }}
              onClick={() => setViewing(a)}
              title={`${a.name} (${a.width}×${a.height}, ${formatBytes(a.size)})`}
            >
              {signed?.thumbnailUrl ? (
                <img src={signed.thumbnailUrl} alt={a.name} width={box.width} height={box.height} loading="lazy" />
              ) : null}
            </button>
          );
        }
        return (
          <div key={a.id} className="attachment-file">
            <Icon name="file" className="attachment-file-icon" />
            <span className="attachment-file-text">
              <span className="attachment-file-name">{a.name}</span>
              <span className="attachment-file-meta">
                {formatBytes(a.size)} · {a.mimeType.split(";")[0]}
              </span>
            </span>
            {signed ? (
              <a
                className="attachment-download"
                href={signed.url}
                download={a.name}
                aria-label={t("files.downloadName", { name: a.name })}
              >
                <Icon name="download" />
              </a>
            ) : null}
          </div>
        );
      })}
      {viewing ? <ImageViewer attachment={viewing} url={urls.get(viewing.id)?.url} onClose={() => setViewing(null)} /> : null}
    </div>
  );
}
