// Text about files: sizes, a one-line summary of a message's attachments (list previews), the layout box of images.

import type { Attachment } from "@parley/client";
import { locale, t } from "../i18n/i18n.js";

/** "512 B", "1.5 MB" ("1,5 MB" in German). */
export function formatBytes(bytes: number, tag: string = locale()): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = value < 10 ? 1 : 0;
  const number = new Intl.NumberFormat(tag, { minimumFractionDigits: digits, maximumFractionDigits: digits });
  return `${number.format(value)} ${units[unit]}`;
}

export const isImage = (a: Attachment) => a.hasThumbnail && a.width !== null && a.height !== null;

/** "Photo", "3 photos", "report.pdf", "2 files": what a conversation preview shows for a message without text. */
export function attachmentSummary(attachments: readonly Attachment[]): string {
  if (attachments.length === 0) return "";
  const images = attachments.filter(isImage).length;
  if (images === attachments.length) return `📷 ${t("attachments.photos", { count: images })}`;
  if (attachments.length === 1) return `📎 ${attachments[0]!.name}`;
  return `📎 ${t("attachments.files", { count: attachments.length })}`;
}

/** The box an image is shown in before it loads: its aspect ratio, fitted into max × max (never enlarged). */
export function fitBox(width: number, height: number, max: number): { width: number; height: number } {
  const scale = Math.min(1, max / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}
