// Files in the terminal client: uploading a file from disk with a progress line, and showing received attachments.

import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { basename, extname } from "node:path";
import type { Attachment } from "@parley/protocol";
import type { ParleyClient } from "../client.js";
import type { E2ee } from "../e2ee/e2ee.js";
import { CliError } from "./errors.js";
import { formatSize } from "./format.js";

/** Types named by the extension for encrypted files (the server cannot sniff ciphertext); others are binary. */
const TYPES: Record<string, string> = {
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".pdf": "application/pdf",
  ".txt": "text/plain",
  ".md": "text/markdown",
};

/**
 * Uploads `path`, reporting progress as "name 45% (1.2 MB of 2.6 MB)" through `progress`. With `e2ee` (an encrypted
 * conversation) the file is read whole, encrypted and uploaded as an opaque blob (no thumbnail: no image library here).
 */
export async function uploadPath(
  client: ParleyClient,
  path: string,
  progress: (line: string) => void = () => {},
  e2ee?: E2ee,
): Promise<Attachment> {
  let size: number;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw new CliError(`${path} is not a file`);
    size = info.size;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const name = basename(path);
  if (e2ee !== undefined) {
    progress(`encrypting ${name} (${formatSize(size)})`);
    const type = TYPES[extname(name).toLowerCase()] ?? "application/octet-stream";
    return e2ee.upload(new Uint8Array(await readFile(path)), { name, type });
  }
  let lastPercent = -1;
  return client.upload(createReadStream(path) as unknown as AsyncIterable<Uint8Array>, {
    name,
    size,
    onProgress: (sent, total) => {
      const percent = total ? Math.floor((sent / total) * 100) : 0;
      if (percent === lastPercent) return;
      lastPercent = percent;
      progress(`uploading ${name} ${percent}% (${formatSize(sent)} of ${formatSize(total ?? size)})`);
    },
  });
}

/** One line per attachment with its signed download URL (valid for the server's URL lifetime). */
export async function attachmentLinks(
  client: ParleyClient,
  attachments: readonly Attachment[],
  encrypted = false,
): Promise<string[]> {
  if (attachments.length === 0) return [];
  // A link would download ciphertext: encrypted files are saved with `parley save-file`.
  if (encrypted) return attachments.map((a) => `    ↓ ${a.name} (${formatSize(a.size)}, end-to-end encrypted)`);
  try {
    const urls = await client.fileUrls(attachments.map((a) => a.id));
    return attachments.map((a) => `    ↓ ${a.name}: ${urls.get(a.id)?.url ?? "(not available)"}`);
  } catch (error) {
    return [`    (download links unavailable: ${error instanceof Error ? error.message : String(error)})`];
  }
}
