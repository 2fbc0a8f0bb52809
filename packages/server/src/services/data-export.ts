// A user's own data as one archive (`GET /v1/me/export`, docs/protocol.md §6.12): their profile, every text message
// they sent and every file they uploaded that is still stored, as a gzip-compressed tar streamed as it is read: memory
// stays bounded by one page of messages and one file's stream, whatever the size of the account.

import { PassThrough, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import type { Message } from "@parley/protocol";
import { type Pack, pack } from "tar-stream";
import { AppError } from "../domain/app-error.js";
import type { BestEffort } from "../observability/best-effort.js";
import type { BlobStore } from "../ports/blob-store.js";
import type { Store } from "../ports/store.js";
import type { UploadRecord, UploadStore } from "../ports/upload-store.js";
import { toUser } from "./auth-service.js";

/** Messages per `messages/NNNNN.jsonl` part (one store page). */
export const EXPORT_PAGE = 1000;
/** Every path in the archive starts with this folder. */
export const EXPORT_ROOT = "parley-export";

/** An entry of `files.json`: the upload's metadata and where its bytes are in the archive (null: no longer stored). */
export interface ExportedFile {
  id: string;
  name: string;
  mimeType: string;
  size: number;
  createdAt: number;
  path: string | null;
}

/** The file name inside the archive: no folders, no control characters, not empty. */
export function archiveName(name: string): string {
  const safe = name.replace(/[/\\\p{Cc}]/gu, "_").replace(/^\.+/, "_");
  return safe.length === 0 ? "file" : safe.slice(0, 200);
}

export class DataExportService {
  constructor(
    private readonly store: Pick<Store, "getUserById" | "listSentMessages">,
    private readonly uploads: Pick<UploadStore, "listUploadsBy">,
    private readonly blobs: Pick<BlobStore, "get">,
    private readonly failures: BestEffort,
  ) {}

  /** The archive's bytes (tar.gz); the user is checked before anything is streamed. */
  async export(userId: string, at = Date.now()): Promise<Readable> {
    const user = await this.store.getUserById(userId);
    if (!user) throw new AppError("not_found", "User not found");
    const archive = pack();
    const out = new PassThrough();
    // Once the first bytes are sent the status is 200; a failure later ends the download early (the archive is then
    // incomplete, which any unpacker reports) and is logged.
    this.failures.detach("me.export", this.fill(archive, userId, { user: toUser(user), exportedAt: at }, at), { userId });
    this.failures.detach("me.export", pipeline(archive, createGzip(), out), { userId });
    return out;
  }

  private async fill(archive: Pack, userId: string, profile: object, at: number): Promise<void> {
    const mtime = new Date(at);
    try {
      await addBuffer(archive, "profile.json", Buffer.from(`${JSON.stringify(profile, null, 2)}\n`), mtime);
      let after: Message | undefined;
      for (let part = 1; ; part++) {
        const page = await this.store.listSentMessages(userId, after ?? null, EXPORT_PAGE);
        if (page.length === 0 && part > 1) break;
        const lines = page.map((m) => `${JSON.stringify(m)}\n`).join("");
        await addBuffer(archive, `messages/${String(part).padStart(5, "0")}.jsonl`, Buffer.from(lines), mtime);
        after = page.at(-1);
        if (page.length < EXPORT_PAGE) break;
      }
      const files: ExportedFile[] = [];
      for (let afterId: string | null = null; ; ) {
        const page: UploadRecord[] = await this.uploads.listUploadsBy(userId, afterId, EXPORT_PAGE);
        for (const upload of page) files.push(await this.addFile(archive, upload, mtime));
        if (page.length < EXPORT_PAGE) break;
        afterId = page.at(-1)?.id ?? null;
      }
      await addBuffer(archive, "files.json", Buffer.from(`${JSON.stringify(files, null, 2)}\n`), mtime);
      archive.finalize();
    } catch (error) {
      archive.destroy(error as Error);
      throw error;
    }
  }

  private async addFile(archive: Pack, upload: UploadRecord, mtime: Date): Promise<ExportedFile> {
    const meta = { id: upload.id, name: upload.name, mimeType: upload.mimeType, size: upload.size, createdAt: upload.createdAt };
    const bytes = await this.blobs.get(upload.sha256);
    // A blob lost from the bucket: listed with no path rather than failing the whole export.
    if (!bytes) return { ...meta, path: null };
    const path = `files/${upload.id}-${archiveName(upload.name)}`;
    await new Promise<void>((resolve, reject) => {
      const entry = archive.entry({ name: `${EXPORT_ROOT}/${path}`, size: upload.size, mtime, mode: 0o644 }, (error) =>
        error ? reject(error) : resolve(),
      );
      bytes.once("error", reject);
      bytes.pipe(entry);
    });
    return { ...meta, path };
  }
}

function addBuffer(archive: Pack, name: string, content: Buffer, mtime: Date): Promise<void> {
  return new Promise((resolve, reject) => {
    archive.entry({ name: `${EXPORT_ROOT}/${name}`, size: content.length, mtime, mode: 0o644 }, content, (error) =>
      error ? reject(error) : resolve(),
    );
  });
}
