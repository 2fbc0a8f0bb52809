// A message's files: image previews laid out at their final size before loading (click opens the viewer) and file
// cards with name, size and a download link. In an encrypted conversation the files are ciphertext on the server:
// thumbnails, the full picture and downloads are decrypted on this device (docs/e2ee.md, "Encrypted files").

import type { Attachment } from "@parley/client";
import { useEffect, useState } from "react";
import { attachmentSummary, fitBox, formatBytes, isImage } from "../format/files.js";
import { useT } from "../i18n/I18nProvider.js";
import { useStore } from "../state/store-context.js";
import { Icon } from "../ui/Icon.js";
import { ImageViewer } from "./ImageViewer.js";
import { useDecryptedThumbnails, useFileUrls } from "./use-file-urls.js";

/** Longest side of an image preview in the timeline, in CSS pixels (the thumbnails are 320 px). */
const PREVIEW_MAX = 280;

export function Attachments({ attachments, encrypted = false }: { attachments: readonly Attachment[]; encrypted?: boolean }) {
  const t = useT();
  const store = useStore();
  const urls = useFileUrls(encrypted ? [] : attachments.map((a) => a.id));
  const thumbnails = useDecryptedThumbnails(attachments, encrypted);
  const [viewing, setViewing] = useState<Attachment | null>(null);
  const viewUrl = useViewedUrl(viewing, encrypted);
  if (attachments.length === 0) return null;
  /** An encrypted file, decrypted and handed to the browser's download. */
  const save = (a: Attachment) => {
    store.decryptedFileUrl(a).then(
      (url) => {
        const link = document.createElement("a");
        link.href = url;
        link.download = a.name;
        link.click();
        // The download has its bytes once it started; the URL goes after a while.
        setTimeout(() => URL.revokeObjectURL(url), 60_000);
      },
      (error: unknown) => store.notify(error),
    );
  };
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
              {(encrypted ? thumbnails.get(a.id) : signed?.thumbnailUrl) ? (
                <img
                  src={(encrypted ? thumbnails.get(a.id) : signed?.thumbnailUrl) ?? undefined}
                  alt={a.name}
                  width={box.width}
                  height={box.height}
                  loading="lazy"
                />
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
            {encrypted ? (
              <button
                type="button"
                className="attachment-download"
                onClick={() => save(a)}
                aria-label={t("files.downloadName", { name: a.name })}
              >
                <Icon name="download" />
              </button>
            ) : signed ? (
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
      {viewing ? (
        <ImageViewer
          attachment={viewing}
          url={encrypted ? viewUrl : urls.get(viewing.id)?.url}
          onClose={() => setViewing(null)}
        />
      ) : null}
    </div>
  );
}

/** The full picture being viewed, for an encrypted conversation: decrypted when opened, revoked when closed. */
function useViewedUrl(viewing: Attachment | null, encrypted: boolean): string | undefined {
  const store = useStore();
  const [url, setUrl] = useState<string | undefined>(undefined);
  useEffect(() => {
    setUrl(undefined);
    if (viewing === null || !encrypted) return;
    let live = true;
    let made: string | undefined;
    store.decryptedFileUrl(viewing).then(
      (decrypted) => {
        if (!live) {
          URL.revokeObjectURL(decrypted);
          return;
        }
        made = decrypted;
        setUrl(decrypted);
      },
      (error: unknown) => {
        if (live) store.notify(error);
      },
    );
    return () => {
      live = false;
      if (made !== undefined) URL.revokeObjectURL(made);
    };
  }, [store, viewing, encrypted]);
  return url;
}
