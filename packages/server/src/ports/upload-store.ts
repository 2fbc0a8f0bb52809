// The metadata of uploaded files, the messages that share them, and the reference counts of their blobs.

import type { Attachment } from "@parley/protocol";

export interface UploadRecord {
  id: string;
  uploaderId: string;
  /** Blob key of the bytes. */
  sha256: string;
  size: number;
  mimeType: string;
  name: string;
  width: number | null;
  height: number | null;
  /** Blob key of the WebP thumbnail (images only). */
  thumbSha256: string | null;
  createdAt: number;
  scanStatus: ScanStatus;
}

/**
 * What the malware scan said about an upload: `clean` (scanned, nothing found), `unscanned` (the scanner gave no
 * verdict and the operator's policy accepted the file anyway), `off` (no scanner configured when it was uploaded).
 * Infected files are never recorded.
 */
export type ScanStatus = "clean" | "unscanned" | "off";

export interface BlobClaim {
  sha256: string;
  size: number;
}

export interface UploadStore {
  /**
   * Records the upload and claims its blobs (`touched_at = at`) in one transaction, before the bytes are put: a blob
   * row that an upload references is never deleted. Returns false, storing nothing, when a claimed blob is being
   * deleted by a sweeper right now (the caller waits a moment and retries).
   */
  createUpload(upload: UploadRecord, blobs: readonly BlobClaim[], at: number): Promise<boolean>;
  getUpload(id: string): Promise<UploadRecord | undefined>;
  getUploads(ids: readonly string[]): Promise<UploadRecord[]>;
  /** Uploads by `uploaderId` still stored, ordered by id, after `afterId` (exclusive; null: from the start). */
  listUploadsBy(uploaderId: string, afterId: string | null, limit: number): Promise<UploadRecord[]>;
  /**
   * True when `userId` uploaded it, or can see a message that shares it: a member of its conversation whose
   * membership window (joinedSeq..leftSeq) contains the message's seq, as for history.
   */
  canAccess(uploadId: string, userId: string): Promise<boolean>;
  /** The upload when it is some user's current profile picture (`users.avatar_id`); undefined otherwise. */
  getAvatarUpload(id: string): Promise<UploadRecord | undefined>;
  /**
   * Deletes uploads made before `createdBefore` that no message references and that are nobody's profile picture;
   * returns how many (at most `limit`).
   */
  deleteExpiredUploads(createdBefore: number, limit: number): Promise<number>;
  /**
   * Deletes the uploads among `ids` that no message references (whatever their age): the files of messages that
   * retention deleted (docs/protocol.md §6.14). Unknown ids are ignored; returns how many were deleted.
   */
  deleteUnreferencedUploads(ids: readonly string[]): Promise<number>;
  /**
   * Marks for deletion (at most `limit`) blobs that no upload references and nobody claimed since `touchedBefore`, and
   * returns their keys; also returns blobs marked before `staleBefore` whose deletion never finished. The caller deletes
   * the bytes, then calls `forgetBlob`.
   */
  markUnusedBlobs(touchedBefore: number, staleBefore: number, at: number, limit: number): Promise<string[]>;
  /** Removes a blob's row once its bytes are gone. */
  forgetBlob(sha256: string): Promise<void>;
}

/** The wire form of an upload, as carried in messages. */
export function toAttachment(u: UploadRecord): Attachment {
  return {
    id: u.id,
    name: u.name,
    size: u.size,
    mimeType: u.mimeType,
    width: u.width,
    height: u.height,
    hasThumbnail: u.thumbSha256 !== null,
    ...(u.scanStatus === "unscanned" ? { unscanned: true as const } : {}),
  };
}
