// Streams an upload to a temporary file while hashing, counting, keeping its first bytes and checking UTF-8.

import { createHash, randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { type Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AppError } from "../domain/app-error.js";

/** file-type reads at most this many leading bytes. */
export const SNIFF_BYTES = 4100;

export interface Spooled {
  path: string;
  size: number;
  sha256: string;
  /** The first SNIFF_BYTES bytes. */
  head: Buffer;
  /** Valid UTF-8 without NUL bytes from start to end. */
  text: boolean;
}

/**
 * Never holds more than a chunk in memory. Exceeding `maxBytes` fails with `upload_too_large` as soon as the first byte
 * too many arrives; any failure removes the temporary file.
 */
export async function spool(source: Readable, dir: string, maxBytes: number): Promise<Spooled> {
  const path = join(dir, `upload-${randomBytes(8).toString("hex")}`);
  const hash = createHash("sha256");
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const headChunks: Buffer[] = [];
  let headBytes = 0;
  let size = 0;
  let text = true;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      size += chunk.length;
      if (size > maxBytes) {
        callback(new AppError("upload_too_large", `The upload exceeds ${maxBytes} bytes`, { limit: maxBytes }));
        return;
      }
      hash.update(chunk);
      if (headBytes < SNIFF_BYTES) {
        headChunks.push(chunk.subarray(0, SNIFF_BYTES - headBytes));
        headBytes += Math.min(chunk.length, SNIFF_BYTES - headBytes);
      }
      if (text) {
        try {
          decoder.decode(chunk, { stream: true });
          if (chunk.includes(0)) text = false;
        } catch {
          text = false;
        }
      }
      callback(null, chunk);
    },
  });
  try {
    await pipeline(source, meter, createWriteStream(path, { flags: "wx" }));
    if (text) {
      try {
        decoder.decode();
      } catch {
        text = false;
      }
    }
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { path, size, sha256: hash.digest("hex"), head: Buffer.concat(headChunks), text };
}
