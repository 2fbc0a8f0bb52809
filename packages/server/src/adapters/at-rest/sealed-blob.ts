// The on-disk format of an encrypted blob: a header holding the blob's own random key, wrapped with the operator's key,
// then the bytes in AES-256-GCM chunks, each authenticated on its own so that any range is read without the rest.
//
// header (92 bytes)                            chunk i (the last may be shorter)
//   0  "PARLEYSB"  magic                        ciphertext of plaintext bytes [i·C, (i+1)·C)
//   8  1           format version              16-byte GCM tag
//   9  0 0 0       reserved                    nonce: 4 zero bytes ‖ i (uint64 BE); the key is the blob's own,
//  12  C           chunk size (uint32 BE)       used for this blob only, so a counter never repeats under it
//  16  size        plaintext bytes (uint64 BE) additional data: header bytes 0–23
//  24  key id      8 bytes naming the operator key that wrapped the blob key (at-rest-key.ts)
//  32  nonce       12 random bytes             the blob key wrapped with AES-256-GCM under the operator's wrapping key,
//  44  wrapped     32 bytes                    additional data: header bytes 0–23 and the blob's name, so a file
//  76  tag         16 bytes                    moved to another name, or a changed size, does not open
//
// Changing the size, reordering, truncating or editing any byte fails authentication. Rotating the operator key
// rewrites bytes 24–91 only (`rewrapFile`): the chunks stay as they are.

import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { type FileHandle, open } from "node:fs/promises";
import { Readable } from "node:stream";
import type { AtRestKey } from "./at-rest-key.js";

const MAGIC = Buffer.from("PARLEYSB", "latin1");
const VERSION = 1;
const FIXED_BYTES = 24;
const HEADER_BYTES = 92;
const TAG_BYTES = 16;
export const CHUNK_BYTES = 64 * 1024;
/** Chunks sealed per read and write (1 MiB). */
const BLOCK_CHUNKS = 16;

/** A blob that does not open: not sealed, sealed with another key, or altered. */
export class SealedBlobError extends Error {
  constructor(
    readonly reason: "not_sealed" | "other_key" | "corrupt",
    message: string,
  ) {
    super(message);
    this.name = "SealedBlobError";
  }
}

/** How the file at a path relates to a key (used by migration and rotation to know what is left to do). */
export type SealState = "plain" | "this_key" | "other";

function chunkNonce(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

function fixedPart(chunkBytes: number, size: number): Buffer {
  const fixed = Buffer.alloc(FIXED_BYTES);
  MAGIC.copy(fixed, 0);
  fixed.writeUInt8(VERSION, 8);
  fixed.writeUInt32BE(chunkBytes, 12);
  fixed.writeBigUInt64BE(BigInt(size), 16);
  return fixed;
}

/** Header bytes 24–91 for `blobKey` under `key`. */
function wrapPart(fixed: Buffer, blobKey: Buffer, key: AtRestKey, name: string): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key.blobWrapKey, nonce);
  cipher.setAAD(Buffer.concat([fixed, Buffer.from(name, "utf8")]));
  const wrapped = Buffer.concat([cipher.update(blobKey), cipher.final()]);
  return Buffer.concat([key.id, nonce, wrapped, cipher.getAuthTag()]);
}

interface OpenHeader {
  chunkBytes: number;
  size: number;
  blobKey: Buffer;
  fixed: Buffer;
}

function parseHeader(header: Buffer, key: AtRestKey, name: string): OpenHeader {
  if (header.length < HEADER_BYTES || !header.subarray(0, 8).equals(MAGIC)) {
    throw new SealedBlobError("not_sealed", `blob ${name} is not encrypted`);
  }
  if (header[8] !== VERSION) throw new SealedBlobError("corrupt", `blob ${name} has an unknown format version ${header[8]}`);
  if (!header.subarray(24, 32).equals(key.id)) {
    throw new SealedBlobError("other_key", `blob ${name} was encrypted with another key`);
  }
  const fixed = header.subarray(0, FIXED_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key.blobWrapKey, header.subarray(32, 44));
  decipher.setAAD(Buffer.concat([fixed, Buffer.from(name, "utf8")]));
  decipher.setAuthTag(header.subarray(76, 92));
  let blobKey: Buffer;
  try {
    blobKey = Buffer.concat([decipher.update(header.subarray(44, 76)), decipher.final()]);
  } catch {
    throw new SealedBlobError("corrupt", `blob ${name}: its key does not unwrap (altered, or another key)`);
  }
  const chunkBytes = fixed.readUInt32BE(12);
  if (chunkBytes === 0) throw new SealedBlobError("corrupt", `blob ${name} has chunk size 0`);
  return { chunkBytes, size: Number(fixed.readBigUInt64BE(16)), blobKey, fixed: Buffer.from(fixed) };
}

async function readHeader(handle: FileHandle): Promise<Buffer> {
  const header = Buffer.alloc(HEADER_BYTES);
  const { bytesRead } = await handle.read(header, 0, HEADER_BYTES, 0);
  return header.subarray(0, bytesRead);
}

/** Encrypts the file at `source` into a new file at `target` (which must not exist), chunk by chunk, and fsyncs it. */
export async function sealFile(source: string, target: string, key: AtRestKey, name: string): Promise<void> {
  const input = await open(source, "r");
  try {
    const size = (await input.stat()).size;
    const fixed = fixedPart(CHUNK_BYTES, size);
    const blobKey = randomBytes(32);
    const output = await open(target, "wx", 0o600);
    try {
      await output.write(Buffer.concat([fixed, wrapPart(fixed, blobKey, key, name)]), 0, HEADER_BYTES, 0);
      // Read and written a block of chunks at a time: one system call per MiB rather than per chunk.
      const block = Buffer.alloc(BLOCK_CHUNKS * CHUNK_BYTES);
      let index = 0;
      for (let offset = 0; offset < size; ) {
        const want = Math.min(block.length, size - offset);
        for (let filled = 0; filled < want; ) {
          const { bytesRead } = await input.read(block, filled, want - filled, offset + filled);
          if (bytesRead === 0) throw new Error(`${source} shrank while it was being encrypted`);
          filled += bytesRead;
        }
        const sealed: Buffer[] = [];
        for (let start = 0; start < want; start += CHUNK_BYTES, index++) {
          const cipher = createCipheriv("aes-256-gcm", blobKey, chunkNonce(index));
          cipher.setAAD(fixed);
          sealed.push(cipher.update(block.subarray(start, Math.min(want, start + CHUNK_BYTES))), cipher.final());
          sealed.push(cipher.getAuthTag());
        }
        await output.writev(sealed, HEADER_BYTES + offset + (index - Math.ceil(want / CHUNK_BYTES)) * TAG_BYTES);
        offset += want;
      }
      await output.sync();
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}

/** An encrypted blob opened with the right key: its plaintext size, and any inclusive range of it as a stream. */
export class SealedFile {
  private constructor(
    private readonly handle: FileHandle,
    private readonly header: OpenHeader,
    private readonly name: string,
  ) {}

  /** Throws SealedBlobError when the file is not sealed with `key` under `name`, ENOENT errors when it is missing. */
  static async open(path: string, key: AtRestKey, name: string): Promise<SealedFile> {
    const handle = await open(path, "r");
    try {
      return new SealedFile(handle, parseHeader(await readHeader(handle), key, name), name);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  get size(): number {
    return this.header.size;
  }

  close(): Promise<void> {
    return this.handle.close();
  }

  /** The plaintext bytes `start`–`end` (inclusive; the whole blob by default). The stream closes the file, read or not. */
  stream(range?: { start: number; end: number }): Readable {
    const { size, chunkBytes } = this.header;
    const start = range?.start ?? 0;
    const end = Math.min(range?.end ?? size - 1, size - 1);
    const last = Math.floor(end / chunkBytes);
    let index = Math.floor(start / chunkBytes);
    const stream = new Readable({
      read: () => {
        if (start > end || index > last) {
          stream.push(null);
          return;
        }
        const first = index * chunkBytes;
        this.chunk(index++).then(
          (plain) => stream.push(plain.subarray(Math.max(0, start - first), Math.min(plain.length, end - first + 1))),
          (error: unknown) => stream.destroy(error as Error),
        );
      },
      // Runs after the end, on an error and when the consumer gives up early alike.
      destroy: (error, callback) => {
        this.handle.close().then(
          () => callback(error),
          (closeError: unknown) => callback(error ?? (closeError as Error)),
        );
      },
    });
    return stream;
  }

  private async chunk(index: number): Promise<Buffer> {
    const { size, chunkBytes, blobKey, fixed } = this.header;
    const plainLength = Math.min(chunkBytes, size - index * chunkBytes);
    const stored = Buffer.alloc(plainLength + TAG_BYTES);
    const at = HEADER_BYTES + index * (chunkBytes + TAG_BYTES);
    const { bytesRead } = await this.handle.read(stored, 0, stored.length, at);
    if (bytesRead !== stored.length) throw new SealedBlobError("corrupt", `blob ${this.name} is truncated`);
    const decipher = createDecipheriv("aes-256-gcm", blobKey, chunkNonce(index));
    decipher.setAAD(fixed);
    decipher.setAuthTag(stored.subarray(plainLength));
    try {
      return Buffer.concat([decipher.update(stored.subarray(0, plainLength)), decipher.final()]);
    } catch {
      throw new SealedBlobError("corrupt", `blob ${this.name}: chunk ${index} fails authentication (altered on disk)`);
    }
  }
}

/** Whether the file at `path` opens with `key` under `name` ("this_key"), has no header ("plain"), or neither. */
export async function sealState(path: string, key: AtRestKey, name: string): Promise<SealState> {
  const handle = await open(path, "r");
  try {
    parseHeader(await readHeader(handle), key, name);
    return "this_key";
  } catch (error) {
    if (!(error instanceof SealedBlobError)) throw error;
    return error.reason === "not_sealed" ? "plain" : "other";
  } finally {
    await handle.close();
  }
}

/**
 * Copies the sealed file at `source` to a new file at `target` with its blob key wrapped under `to` instead of
 * `from` (header bytes 24–91); the chunks are copied unchanged. Fsyncs `target`.
 */
export async function rewrapFile(source: string, target: string, from: AtRestKey, to: AtRestKey, name: string): Promise<void> {
  const input = await open(source, "r");
  try {
    const header = parseHeader(await readHeader(input), from, name);
    const output = await open(target, "wx", 0o600);
    try {
      await output.write(Buffer.concat([header.fixed, wrapPart(header.fixed, header.blobKey, to, name)]), 0, HEADER_BYTES, 0);
      const buffer = Buffer.alloc(1024 * 1024);
      for (let position = HEADER_BYTES; ; ) {
        const { bytesRead } = await input.read(buffer, 0, buffer.length, position);
        if (bytesRead === 0) break;
        await output.write(buffer, 0, bytesRead, position);
        position += bytesRead;
      }
      await output.sync();
    } finally {
      await output.close();
    }
  } finally {
    await input.close();
  }
}
