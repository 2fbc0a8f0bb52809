// The embedded BlobStore: blobs as files under one directory, fanned out by hash prefix, written atomically, and
// encrypted (sealed-blob.ts) when an at-rest key is given.

import { randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, link, mkdir, open, rename, rm, stat, unlink } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Readable } from "node:stream";
import { BLOB_KEY, type BlobKey, type BlobStat, type BlobStore, type ByteRange } from "../../ports/blob-store.js";
import type { AtRestKey } from "../at-rest/at-rest-key.js";
import { SealedFile, sealFile } from "../at-rest/sealed-blob.js";

/**
 * `<root>/ab/cd/abcd…` for key `abcd…`: two levels of 256 directories keep any one directory small at millions of blobs.
 * A put copies into `<root>/tmp/`, fsyncs, renames into place (atomic: a reader sees all bytes or no file) and fsyncs
 * the directory, so an acknowledged upload survives a power cut. Renaming over an existing blob is harmless: the bytes
 * are the same by construction.
 *
 * With `key`, each blob is stored sealed (its own random key, wrapped with the operator's; AES-256-GCM in 64 KiB
 * chunks): sizes and ranges are those of the plaintext, and a file altered on disk fails to read instead of serving
 * altered bytes.
 */
export class LocalBlobStore implements BlobStore {
  private constructor(
    readonly root: string,
    private readonly atRest: AtRestKey | undefined,
  ) {}

  static async open(root: string, options: { key?: AtRestKey } = {}): Promise<LocalBlobStore> {
    await mkdir(join(root, "tmp"), { recursive: true });
    return new LocalBlobStore(root, options.key);
  }

  /** The directory for temporary files of this store (same file system as the blobs, so renames stay atomic). */
  get tmpDir(): string {
    return join(this.root, "tmp");
  }

  pathOf(key: BlobKey): string {
    // The key becomes a path: only a well-formed hash may, so no caller can reach outside the root.
    if (!BLOB_KEY.test(key)) throw new Error(`invalid blob key ${JSON.stringify(key).slice(0, 80)}`);
    return join(this.root, key.slice(0, 2), key.slice(2, 4), key);
  }

  async putFile(key: BlobKey, path: string, _contentType: string): Promise<void> {
    const target = this.pathOf(key);
    if (await exists(target)) return;
    await mkdir(dirname(target), { recursive: true });
    const temp = join(this.tmpDir, `${key}.${randomBytes(6).toString("hex")}`);
    try {
      if (this.atRest) {
        await sealFile(path, temp, this.atRest, key);
      } else {
        // A hard link is free when the source is on this file system; otherwise copy.
        await link(path, temp).catch(() => copyFile(path, temp));
        const handle = await open(temp, "r+");
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
      await rename(temp, target);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await syncDir(dirname(target));
  }

  async get(key: BlobKey, range?: ByteRange): Promise<Readable | undefined> {
    const path = this.pathOf(key);
    if (this.atRest) return (await this.openSealed(key, this.atRest))?.stream(range);
    if (!(await exists(path))) return undefined;
    return createReadStream(path, range ? { start: range.start, end: range.end } : {});
  }

  async stat(key: BlobKey): Promise<BlobStat | undefined> {
    if (this.atRest) {
      const sealed = await this.openSealed(key, this.atRest);
      if (!sealed) return undefined;
      await sealed.close();
      return { size: sealed.size };
    }
    try {
      const s = await stat(this.pathOf(key));
      return { size: s.size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async delete(key: BlobKey): Promise<void> {
    await unlink(this.pathOf(key)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error;
    });
  }

  async close(): Promise<void> {}

  /** The sealed blob, undefined when there is none; a blob that does not open with the key throws SealedBlobError. */
  private async openSealed(key: BlobKey, atRest: AtRestKey): Promise<SealedFile | undefined> {
    try {
      return await SealedFile.open(this.pathOf(key), atRest, key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

const DIR_SYNC_REFUSED = new Set(["EINVAL", "EPERM", "EISDIR", "ENOTSUP", "EBADF"]);

/** Makes the entries of directory `path` (a rename into it) durable, where the file system lets a directory be synced. */
export async function syncDir(path: string): Promise<void> {
  const handle = await open(path, "r");
  try {
    await handle.sync();
  } catch (error) {
    // Some file systems refuse fsync on directories (EINVAL, EPERM, EISDIR); the rename is still atomic there. Any
    // other failure (EIO) means the new entry may not be durable: the caller hears of it.
    if (!DIR_SYNC_REFUSED.has((error as NodeJS.ErrnoException).code ?? "")) throw error;
  } finally {
    await handle.close();
  }
}
