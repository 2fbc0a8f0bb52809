// What Parley accepts as an upload: the sniffing policy, file names and the "lying content type" rule.

import { nameProblem } from "@parley/protocol";
import { AppError } from "../domain/app-error.js";

/** Images Parley decodes (dimensions, thumbnail) and shows inline. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);

/** Programs: sniffed, refused. Everything else that has a signature is accepted (and downloaded as an attachment). */
const REFUSED_TYPES: ReadonlySet<string> = new Set([
  "application/x-msdownload",
  "application/vnd.microsoft.portable-executable",
  "application/x-elf",
  "application/x-mach-binary",
  "application/x-executable",
  "application/x-sharedlib",
  "application/wasm",
  "application/java-vm",
]);

export const TEXT_TYPE = "text/plain; charset=utf-8";
export const BINARY_TYPE = "application/octet-stream";
/**
 * SVG is text that a browser runs scripts in when it is opened as a document: it is accepted and stored with its own
 * type, but it is not in IMAGE_TYPES, so it is never shown inline from this origin, only downloaded as an attachment.
 */
export const SVG_TYPE = "image/svg+xml";

/**
 * Whether UTF-8 text starts like an SVG document: after an optional BOM, XML declaration, comments and doctype, the
 * first element is `<svg` (the name alone; a namespace prefix such as `<svg:svg` counts too).
 */
export function looksLikeSvg(head: Buffer): boolean {
  const start = head.toString("utf8").replace(/^\uFEFF/, "");
  const prolog = /^(?:\s+|<\?xml[^>]*\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>[]*(?:\[[\s\S]*?\])?\s*>)*/i;
  const rest = start.slice(start.match(prolog)?.[0].length ?? 0);
  return /^<(?:svg:)?svg[\s>/]/i.test(rest);
}

/**
 * The stored type of an upload from what its bytes are: an SVG document (UTF-8 text, see looksLikeSvg) is
 * image/svg+xml, else the signature `file-type` found, else UTF-8 text (no NUL) as text/plain, else application/octet-stream.
 * Throws `unsupported_media_type` for programs.
 */
export function classify(sniffed: string | undefined, text: boolean, head: Buffer): string {
  // `file-type` calls any document with an XML declaration application/xml.
  if (text && (sniffed === undefined || sniffed === "application/xml") && looksLikeSvg(head)) return SVG_TYPE;
  if (sniffed !== undefined) {
    if (REFUSED_TYPES.has(sniffed)) {
      throw new AppError("unsupported_media_type", `Files of type ${sniffed} are not accepted`, { mimeType: sniffed });
    }
    return sniffed;
  }
  return text ? TEXT_TYPE : BINARY_TYPE;
}

const ALIASES: Record<string, string> = { "image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png" };

/**
 * The client's Content-Type is a hint; a declared type whose kind has a signature (images, audio, video, PDF, ZIP)
 * must be what the bytes are. Generic declarations (application/octet-stream, text/*, none) are not checked.
 */
export function checkDeclaredType(declared: string | undefined, actual: string): void {
  if (!declared) return;
  const base = declared.split(";")[0]!.trim().toLowerCase();
  const normalized = ALIASES[base] ?? base;
  const checkable =
    normalized.startsWith("image/") ||
    normalized.startsWith("audio/") ||
    normalized.startsWith("video/") ||
    normalized === "application/pdf" ||
    normalized === "application/zip";
  if (!checkable || normalized === actual) return;
  throw new AppError("content_type_mismatch", `The upload was declared as ${normalized} but its bytes are ${actual}`, {
    declared: normalized,
    actual,
  });
}

const MAX_NAME_BYTES = 255;

/**
 * File names are metadata only (blobs are stored by hash), but they end up in Content-Disposition headers and on
 * users' disks: refuse anything that is not a plain base name rather than guessing what was meant.
 */
export function checkFileName(raw: string | undefined): string {
  if (raw === undefined || raw.trim() === "") {
    throw new AppError("invalid_file_name", "Give the file name in the `name` query parameter", { field: "name" });
  }
  const name = raw.normalize("NFC").trim();
  if (Buffer.byteLength(name, "utf8") > MAX_NAME_BYTES) {
    throw new AppError("invalid_file_name", `The file name exceeds ${MAX_NAME_BYTES} bytes`, { field: "name" });
  }
  // The rule for every user-visible name: no controls or bidi overrides that disguise extensions, something visible.
  const problem = nameProblem(name);
  if (problem === "forbidden_character") {
    throw new AppError("invalid_file_name", "The file name contains control or bidirectional-control characters", {
      field: "name",
    });
  }
  if (problem === "invisible") {
    throw new AppError("invalid_file_name", "The file name shows no visible character", { field: "name" });
  }
  if (/[/\\]/.test(name) || name === "." || name === ".." || /^[A-Za-z]:/.test(name)) {
    throw new AppError("invalid_file_name", "The file name must be a plain name, without directories", { field: "name" });
  }
  return name;
}

/** `attachment; filename="…"; filename*=UTF-8''…` (or `inline`), safe for any name checkFileName accepted. */
export function contentDisposition(kind: "inline" | "attachment", name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "_");
  return `${kind}; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
