// Files in the terminal client: uploading a file from disk with a progress line, and showing received attachments.

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import type { Attachment } from "@parley/protocol";
import type { ParleyClient } from "../client.js";
import { CliError } from "./errors.js";
import { formatSize } from "./format.js";

/** Uploads `path`, reporting progress as "name 45% (1.2 MB of 2.6 MB)" through `progress`. */
export async function uploadPath(
  client: ParleyClient,
  path: string,
  progress: (line: string) => void = () => {},
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
export async function attachmentLinks(client: ParleyClient, attachments: readonly Attachment[]): Promise<string[]> {
  if (attachments.length === 0) return [];
  try {
    const urls = await client.fileUrls(attachments.map((a) => a.id));
    return attachments.map((a) => `    ↓ ${a.name}: ${urls.get(a.id)?.url ?? "(not available)"}`);
  } catch (error) {
    return [`    (download links unavailable: ${error instanceof Error ? error.message : String(error)})`];
  }
}
