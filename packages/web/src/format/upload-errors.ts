// What the composer says when a file cannot be attached: plain words and what to do, never the server's technical
// text (which names MIME types and byte counts).

import { isParleyError } from "@parley/client";
import { t } from "../i18n/i18n.js";
import { formatBytes } from "./files.js";

/** "Too large: the limit is 25 MB" (also for files refused before uploading). */
export function tooLargeText(limitBytes: number): string {
  return t("upload.tooLargeLimit", { limit: formatBytes(limitBytes) });
}

/** The composer's text for an upload that failed with `error`. */
export function uploadErrorText(error: unknown): string {
  if (!isParleyError(error)) return t("upload.failed");
  switch (error.code) {
    case "upload_too_large": {
      const limit = error.details?.["limit"];
      return typeof limit === "number" ? tooLargeText(limit) : t("upload.tooLarge");
    }
    case "empty_upload":
      return t("upload.empty");
    case "content_type_mismatch":
      return t("upload.typeMismatch");
    case "unsupported_media_type":
      return t("upload.unsupported");
    case "suspicious_image":
      return t("upload.suspicious");
    case "invalid_file_name":
      return t("upload.invalidName");
    case "rate_limited":
      return t("upload.rateLimited");
    case "unauthorized":
      return t("upload.unauthorized");
    default:
      return error.retryable ? t("upload.failed") : t("upload.refused");
  }
}
