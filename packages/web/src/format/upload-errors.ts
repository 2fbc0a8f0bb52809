// What the composer says when a file cannot be attached: plain words and what to do, never the server's technical
// text (which names MIME types and byte counts).

import { isParleyError } from "@parley/client";
import { formatBytes } from "./files.js";

/** "Too large: the limit is 25 MB" (also for files refused before uploading). */
export function tooLargeText(limitBytes: number): string {
  return `Too large: the limit is ${formatBytes(limitBytes)}`;
}

/** The composer's text for an upload that failed with `error`. */
export function uploadErrorText(error: unknown): string {
  if (!isParleyError(error)) return "Upload failed: check your connection and try again";
  switch (error.code) {
    case "upload_too_large": {
      const limit = error.details?.["limit"];
      return typeof limit === "number" ? tooLargeText(limit) : "Too large (or too many pixels) to send";
    }
    case "empty_upload":
      return "The file is empty";
    case "content_type_mismatch":
      return "The file's contents do not match its type: it may be damaged or misnamed";
    case "unsupported_media_type":
      return "This kind of file cannot be sent (programs are refused), or the image is damaged";
    case "suspicious_image":
      return "This image cannot be sent: it looks built to overload the server";
    case "invalid_file_name":
      return "The file name cannot be used: rename the file and try again";
    case "rate_limited":
      return "Too many uploads at once: wait a moment and try again";
    case "unauthorized":
      return "Your session has ended: sign in again to send files";
    default:
      return error.retryable ? "Upload failed: check your connection and try again" : "The server refused this file";
  }
}
