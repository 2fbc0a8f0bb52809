// Uploads (spool, sniff, thumbnail, deduplicated store), attachment checks, signed URLs, downloads and the sweeper.

import { createHash } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import type { Attachment, PresignedUpload, SignedFile } from "@parley/protocol";
import { fileTypeFromBuffer } from "file-type";
import { AppError } from "../domain/app-error.js";
import { newId } from "../domain/ids.js";
import type { BestEffort } from "../observability/best-effort.js";
import type { Metrics } from "../observability/metrics.js";
import type { BlobStore, ByteRange } from "../ports/blob-store.js";
import { type BlobClaim, toAttachment, type UploadRecord, type UploadStore } from "../ports/upload-store.js";
import type { FileUrlSigner, FileVariant } from "./file-urls.js";
import { checkDeclaredType, checkFileName, classify, contentDisposition, IMAGE_TYPES } from "./media-types.js";
import { AVATAR_SIZES, type ImageLimits, ImageProcessor } from "./thumbnails.js";
import type { UploadScanning } from "./upload-scan.js";
import { spool } from "./upload-spool.js";

export interface MediaLimits extends ImageLimits {
  maxUploadBytes: number;
  fileUrlTtlSeconds: number;
  uploadTtlMs: number;
}

/**
 * A send may reference an upload only while it is this far from expiring, so the sweeper (which deletes unreferenced
 * uploads older than the TTL) never races a send that is linking it.
 */
export const ATTACH_MARGIN_MS = 60_000;
/** A blob nobody claimed for this long and no upload references may be deleted (covers uploads still being put). */
export const BLOB_GRACE_MS = 10 * 60_000;
/** A sweeper that marked a blob and did not finish within this long is presumed dead; another one finishes the job. */
const STALE_DELETE_MS = 5 * 60_000;
const SWEEP_BATCH = 500;
/** Lifetime of a presigned direct-upload PUT. */
const DIRECT_UPLOAD_TTL_S = 900;
/** How long an upload waits for a sweeper that is deleting the very blob it needs. */
const CLAIM_RETRIES = 50;
const CLAIM_RETRY_MS = 100;
/** Largest profile picture accepted (before it is cropped and resized), unless uploads are limited further. */
export const MAX_AVATAR_BYTES = 5 * 1024 * 1024;

export interface UploadInput {
  body: Readable;
  name: string | undefined;
  declaredType: string | undefined;
  /** Direct uploads: the size announced when the upload was presigned; other sizes are refused. */
  expectedSize?: number;
}

export type Download =
  | { kind: "redirect"; location: string }
  | {
      kind: "stream";
      body: Readable;
      size: number;
      range: ByteRange | undefined;
      contentType: string;
      disposition: string;
      etag: string;
    };

export class MediaService {
  /** Shared with link previews, so that every decode on this node waits for the same slots. */
  readonly images: ImageProcessor;

  constructor(
    private readonly uploads: UploadStore,
    private readonly blobs: BlobStore,
    private readonly signer: FileUrlSigner,
    private readonly tmpDir: string,
    private readonly limits: MediaLimits,
    private readonly scanning: UploadScanning,
    private readonly failures: BestEffort,
    private readonly metrics?: Metrics,
    // Read through Date.now on every call, so tests can move the clock.
    private readonly now: () => number = () => Date.now(),
  ) {
    this.images = new ImageProcessor(limits);
  }

  get maxUploadBytes(): number {
    return this.limits.maxUploadBytes;
  }

  /**
   * A profile picture (protocol §6.4): any image Parley decodes, at most MAX_AVATAR_BYTES, stored as an upload of the
   * user whose original is the large square and whose thumbnail is the small one (services/thumbnails.ts `avatar`).
   * Whatever the client sent, only pixels re-encoded by the server are stored. Returns the upload's id.
   */
  async storeAvatar(userId: string, body: Readable, declaredType: string | undefined): Promise<string> {
    try {
      return await this.storeAvatarFile(userId, body, declaredType);
    } catch (error) {
      if (error instanceof AppError) this.metrics?.uploadsRejected.inc({ code: error.code });
      throw error;
    }
  }

  get maxAvatarBytes(): number {
    return Math.min(MAX_AVATAR_BYTES, this.limits.maxUploadBytes);
  }

  private async storeAvatarFile(userId: string, body: Readable, declaredType: string | undefined): Promise<string> {
    const file = await spool(body, this.tmpDir, this.maxAvatarBytes);
    let variants: string[] = [];
    try {
      if (file.size === 0) throw new AppError("empty_upload", "The upload has no bytes");
      const scanStatus = await this.scanning.check(file.path);
      const mimeType = classify((await fileTypeFromBuffer(file.head))?.mime, file.text, file.head);
      checkDeclaredType(declaredType, mimeType);
      if (!IMAGE_TYPES.has(mimeType)) {
        throw new AppError("unsupported_media_type", "A profile picture must be a JPEG, PNG, WebP or GIF image", {
          mimeType,
          accepted: [...IMAGE_TYPES],
        });
      }
      variants = await this.images.avatar(file.path, file.size, this.tmpDir);
      const [large, small] = (await Promise.all(variants.map(digestFile))) as [FileDigest, FileDigest];
      const claims: BlobClaim[] = [{ sha256: large.sha256, size: large.size }];
      if (small.sha256 !== large.sha256) claims.push({ sha256: small.sha256, size: small.size });
      const record: UploadRecord = {
        id: newId(),
        uploaderId: userId,
        sha256: large.sha256,
        size: large.size,
        mimeType: "image/webp",
        name: "avatar.webp",
        width: AVATAR_SIZES[0],
        height: AVATAR_SIZES[0],
        thumbSha256: small.sha256,
        createdAt: this.now(),
        scanStatus,
      };
      await this.claim(record, claims);
      await this.blobs.putFile(large.sha256, variants[0] as string, "image/webp");
      await this.blobs.putFile(small.sha256, variants[1] as string, "image/webp");
      this.metrics?.uploadsStored.inc({ kind: "avatar" });
      return record.id;
    } finally {
      await rm(file.path, { force: true });
      await Promise.all(variants.map((path) => rm(path, { force: true })));
    }
  }

  /**
   * A profile picture by its id (`User.avatarId`), for anyone: only an upload that is some user's current avatar is
   * served, so other uploads cannot be fetched this way. `small` picks the small size.
   */
  async avatarDownload(id: string, small: boolean): Promise<Download> {
    const upload = await this.uploads.getAvatarUpload(id);
    const key = small ? upload?.thumbSha256 : upload?.sha256;
    if (!upload || !key) throw new AppError("not_found", "No such profile picture");
    const disposition = contentDisposition("inline", "avatar.webp");
    if (this.blobs.presignGet) {
      const location = await this.blobs.presignGet(key, { ttlSeconds: 300, contentType: "image/webp", disposition });
      return { kind: "redirect", location };
    }
    const stats = await this.blobs.stat(key);
    const body = stats && (await this.blobs.get(key));
    if (!stats || !body) throw new AppError("not_found", "No such profile picture");
    return { kind: "stream", body, size: stats.size, range: undefined, contentType: "image/webp", disposition, etag: `"${key}"` };
  }

  /** Leftovers of uploads interrupted by a crash. */
  async clearTemporaryFiles(): Promise<void> {
    for (const name of await readdir(this.tmpDir).catch(() => [] as string[])) {
      await rm(join(this.tmpDir, name), { force: true, recursive: true });
    }
  }

  async upload(userId: string, input: UploadInput, maxBytes = this.limits.maxUploadBytes) {
    try {
      return await this.store(userId, input, Math.min(maxBytes, this.limits.maxUploadBytes));
    } catch (error) {
      if (error instanceof AppError) this.metrics?.uploadsRejected.inc({ code: error.code });
      throw error;
    }
  }

  private async store(userId: string, input: UploadInput, maxBytes: number): Promise<Attachment> {
    const name = checkFileName(input.name);
    if (input.declaredType?.toLowerCase().startsWith("multipart/")) {
      // A browser form post would store the form's framing as the file.
      throw new AppError("unsupported_media_type", "Send the file's bytes as the request body, not a multipart form", {
        declared: "multipart",
      });
    }
    const file = await spool(input.body, this.tmpDir, maxBytes);
    let thumbnailPath: string | undefined;
    try {
      if (file.size === 0) throw new AppError("empty_upload", "The upload has no bytes");
      if (input.expectedSize !== undefined && file.size !== input.expectedSize) {
        throw new AppError("validation_failed", "The uploaded size differs from the announced one", { field: "size" });
      }
      // The bytes as received, before any decoder (sniffing, thumbnails) reads them; an infected file is never stored.
      const scanStatus = await this.scanning.check(file.path);
      const mimeType = classify((await fileTypeFromBuffer(file.head))?.mime, file.text, file.head);
      checkDeclaredType(input.declaredType, mimeType);
      const image = IMAGE_TYPES.has(mimeType)
        ? await this.images.process(file.path, file.size, mimeType, this.tmpDir)
        : undefined;
      // An original whose metadata was removed is stored (and deduplicated) as the bytes it now has.
      const { sha256, size } = image?.rewritten ? await digestFile(file.path) : file;
      const claims: BlobClaim[] = [{ sha256, size }];
      let thumbSha256: string | null = null;
      if (image) {
        thumbnailPath = image.thumbnailPath;
        const thumb = await readFile(thumbnailPath);
        thumbSha256 = createHash("sha256").update(thumb).digest("hex");
        if (thumbSha256 !== sha256) claims.push({ sha256: thumbSha256, size: thumb.length });
      }
      const record: UploadRecord = {
        id: newId(),
        uploaderId: userId,
        sha256,
        size,
        mimeType,
        name,
        width: image?.width ?? null,
        height: image?.height ?? null,
        thumbSha256,
        createdAt: this.now(),
        scanStatus,
      };
      await this.claim(record, claims);
      // The rows come first: from now on the blobs are referenced, so no sweeper deletes them while they are put.
      await this.blobs.putFile(sha256, file.path, mimeType);
      if (image && thumbSha256) await this.blobs.putFile(thumbSha256, image.thumbnailPath, "image/webp");
      this.metrics?.uploadsStored.inc({ kind: image ? "image" : "file" });
      this.metrics?.uploadBytes.inc(size);
      return toAttachment(record);
    } finally {
      await rm(file.path, { force: true });
      if (thumbnailPath) await rm(thumbnailPath, { force: true });
    }
  }

  private async claim(record: UploadRecord, claims: BlobClaim[]): Promise<void> {
    for (let attempt = 0; attempt < CLAIM_RETRIES; attempt++) {
      if (await this.uploads.createUpload(record, claims, this.now())) return;
      await new Promise((resolve) => setTimeout(resolve, CLAIM_RETRY_MS));
    }
    throw new AppError("unavailable", "The file is being cleaned up right now; try again in a moment");
  }

  /**
   * Direct upload, step 1 (S3 only): a presigned PUT for exactly `size` bytes under a staging name, and a sealed token
   * that carries who may complete it, with which name and size, until when. Nothing is recorded yet.
   */
  async presignUpload(userId: string, input: { name: string; size: number; mimeType?: string }): Promise<PresignedUpload> {
    if (!this.blobs.presignPut) {
      throw new AppError("not_supported", "Direct uploads need an S3 store: send the file to POST /v1/uploads instead");
    }
    const name = checkFileName(input.name);
    if (input.size === 0) throw new AppError("empty_upload", "The upload has no bytes");
    if (input.size > this.limits.maxUploadBytes) {
      throw new AppError("upload_too_large", `The upload exceeds ${this.limits.maxUploadBytes} bytes`, {
        limit: this.limits.maxUploadBytes,
      });
    }
    const id = newId();
    const expiresAt = this.now() + DIRECT_UPLOAD_TTL_S * 1000;
    const url = await this.blobs.presignPut(id, { ttlSeconds: DIRECT_UPLOAD_TTL_S, size: input.size });
    const uploadToken = this.signer.seal({ id, userId, name, size: input.size, type: input.mimeType, exp: expiresAt });
    return { url, method: "PUT", headers: { "content-length": String(input.size) }, uploadToken, expiresAt };
  }

  /**
   * Direct upload, step 2: reads the staged object back through the same checks as `POST /v1/uploads` (limit, hash,
   * sniffing, images), stores it content-addressed and removes the staged copy, whatever the outcome.
   */
  async completeUpload(userId: string, uploadToken: string): Promise<Attachment> {
    if (!this.blobs.getStaged || !this.blobs.deleteStaged) {
      throw new AppError("not_supported", "Direct uploads need an S3 store");
    }
    const claim = this.signer.unseal(uploadToken) as {
      id: string;
      userId: string;
      name: string;
      size: number;
      type?: string;
      exp: number;
    };
    if (claim.userId !== userId) throw new AppError("invalid_signature", "The upload token was issued to another user");
    // A little longer than the PUT may take: the PUT must have started before its own expiry.
    if (claim.exp + DIRECT_UPLOAD_TTL_S * 1000 < this.now())
      throw new AppError("signature_expired", "The upload token has expired");
    const staged = await this.blobs.getStaged(claim.id);
    if (!staged) throw new AppError("not_found", "Nothing was uploaded for this token (or it was completed already)");
    try {
      return await this.upload(
        userId,
        { body: staged, name: claim.name, declaredType: claim.type, expectedSize: claim.size },
        claim.size,
      );
    } finally {
      staged.destroy();
      await this.failures.attempt("media.staged", this.blobs.deleteStaged(claim.id));
    }
  }

  /**
   * The attachments of a message being sent: the caller's own uploads, in the given order, not about to expire.
   * Another user's upload gets the same answer as an unknown one, so ids reveal nothing.
   */
  async attachmentsFor(userId: string, ids: readonly string[]): Promise<Attachment[]> {
    if (ids.length === 0) return [];
    const found = new Map((await this.uploads.getUploads(ids)).map((u) => [u.id, u]));
    const oldest = this.now() - this.limits.uploadTtlMs + Math.min(ATTACH_MARGIN_MS, this.limits.uploadTtlMs / 4);
    return ids.map((id) => {
      const upload = found.get(id);
      if (!upload || upload.uploaderId !== userId || upload.createdAt < oldest) {
        throw new AppError("not_found", "Upload not found (or expired): upload the file again", {
          field: "attachments",
          uploadId: id,
        });
      }
      return toAttachment(upload);
    });
  }

  /** Signed URLs for uploads the caller may see; `not_found` names the first one they may not. */
  async sign(userId: string, ids: readonly string[]): Promise<SignedFile[]> {
    const found = new Map((await this.uploads.getUploads(ids)).map((u) => [u.id, u]));
    const files: SignedFile[] = [];
    for (const id of ids) {
      const upload = found.get(id);
      if (!upload || !(await this.uploads.canAccess(id, userId))) {
        throw new AppError("not_found", "File not found", { uploadId: id });
      }
      const original = this.signer.sign(id, "original", this.now());
      files.push({
        id,
        url: original.url,
        thumbnailUrl: upload.thumbSha256 ? this.signer.sign(id, "thumb", this.now()).url : null,
        expiresAt: original.expiresAt,
      });
    }
    return files;
  }

  /**
   * A download through a signed URL: the signature is checked first (403), then the file (404). With a backend that
   * presigns (S3) the answer is a redirect to it; otherwise the bytes, or the satisfiable `range` of them.
   */
  async download(id: string, query: Record<string, unknown>, rangeHeader: string | undefined): Promise<Download> {
    const variant: FileVariant = this.signer.verify(id, query, this.now());
    const upload = await this.uploads.getUpload(id);
    const key = variant === "thumb" ? upload?.thumbSha256 : upload?.sha256;
    if (!upload || !key) throw new AppError("not_found", "File not found");
    const contentType = variant === "thumb" ? "image/webp" : upload.mimeType;
    const inline = variant === "thumb" || IMAGE_TYPES.has(upload.mimeType);
    const disposition = contentDisposition(
      inline ? "inline" : "attachment",
      variant === "thumb" ? `${upload.name}.webp` : upload.name,
    );
    if (this.blobs.presignGet) {
      const location = await this.blobs.presignGet(key, { ttlSeconds: 300, contentType, disposition });
      return { kind: "redirect", location };
    }
    const stats = await this.blobs.stat(key);
    if (!stats) throw new AppError("not_found", "File not found");
    const range = parseRange(rangeHeader, stats.size);
    const body = await this.blobs.get(key, range);
    if (!body) throw new AppError("not_found", "File not found");
    return { kind: "stream", body, size: stats.size, range, contentType, disposition, etag: `"${key}"` };
  }

  /** One sweep: expired unreferenced uploads, then blobs no upload references. Safe to run on every node at once. */
  async sweep(): Promise<{ uploads: number; blobs: number }> {
    const now = this.now();
    let uploads = 0;
    for (;;) {
      const n = await this.uploads.deleteExpiredUploads(now - this.limits.uploadTtlMs, SWEEP_BATCH);
      uploads += n;
      if (n < SWEEP_BATCH) break;
    }
    if (uploads) this.metrics?.mediaSwept.inc({ kind: "upload" }, uploads);
    return { uploads, blobs: await this.sweepBlobs(now) };
  }

  /**
   * Deletes the uploads among `ids` that no message references any more (the files of messages retention deleted),
   * then the blobs nothing references, as of `now` (the caller's clock). Safe on every node at once, as `sweep`.
   */
  async forgetUploads(ids: readonly string[], now: number): Promise<{ uploads: number; blobs: number }> {
    const uploads = await this.uploads.deleteUnreferencedUploads(ids);
    if (uploads) this.metrics?.mediaSwept.inc({ kind: "upload" }, uploads);
    return { uploads, blobs: uploads === 0 ? 0 : await this.sweepBlobs(now) };
  }

  /** Blobs no upload references and nobody claimed for BLOB_GRACE_MS: marked, their bytes deleted, then forgotten. */
  private async sweepBlobs(now: number): Promise<number> {
    let blobs = 0;
    for (;;) {
      const keys = await this.uploads.markUnusedBlobs(now - BLOB_GRACE_MS, now - STALE_DELETE_MS, now, SWEEP_BATCH);
      for (const key of keys) {
        await this.blobs.delete(key);
        await this.uploads.forgetBlob(key);
      }
      blobs += keys.length;
      if (keys.length < SWEEP_BATCH) break;
    }
    if (blobs) this.metrics?.mediaSwept.inc({ kind: "blob" }, blobs);
    return blobs;
  }

  /** Runs `sweep` every `intervalMs` (first run after one interval); returns the stop function. */
  startSweeper(intervalMs: number): () => void {
    if (intervalMs <= 0) return () => {};
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      this.failures.attempt("media.sweep", this.sweep()).finally(() => {
        running = false;
      });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** The temporary files of uploads in progress (tests check that failed uploads leave none). */
  async temporaryFiles(): Promise<string[]> {
    return readdir(this.tmpDir).catch(() => []);
  }
}

interface FileDigest {
  sha256: string;
  size: number;
}

async function digestFile(path: string): Promise<FileDigest> {
  const bytes = await readFile(path);
  return { sha256: createHash("sha256").update(bytes).digest("hex"), size: bytes.length };
}

/**
 * One `bytes=` range (the only form browsers and players send); several ranges or another unit are ignored and the
 * whole file is served, as HTTP allows. An unsatisfiable range throws `range_not_satisfiable`.
 */
export function parseRange(header: string | undefined, size: number): ByteRange | undefined {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return undefined;
  const [, from, to] = match as unknown as [string, string, string];
  if (from === "" && to === "") return undefined;
  let start: number;
  let end: number;
  if (from === "") {
    const suffix = Number(to);
    if (suffix === 0) throw unsatisfiable(size);
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(from);
    end = to === "" ? size - 1 : Math.min(Number(to), size - 1);
    if (to !== "" && Number(to) < start) return undefined;
  }
  if (start >= size) throw unsatisfiable(size);
  return { start, end };
}

function unsatisfiable(size: number): AppError {
  return new AppError("range_not_satisfiable", `The range lies outside the file (${size} bytes)`, { size });
}
