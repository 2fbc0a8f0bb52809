// The embedded uploads role (UploadStore): upload metadata, message links and blob references in the store's database.

import type { BlobClaim, UploadRecord, UploadStore } from "../../ports/upload-store.js";
import type { SqliteHandle } from "./sqlite-handle.js";

const UPLOAD_COLUMNS =
  "id, uploader_id AS uploaderId, sha256, size, mime_type AS mimeType, name, width, height, " +
  "thumb_sha256 AS thumbSha256, created_at AS createdAt, scan_status AS scanStatus";

const UNREFERENCED = `NOT EXISTS (SELECT 1 FROM uploads AS u WHERE u.sha256 = b.sha256)
  AND NOT EXISTS (SELECT 1 FROM uploads AS u WHERE u.thumb_sha256 = b.sha256)`;

/** A role over the SqliteStore's handle (`SqliteStore.handle`), which has already migrated the schema. */
export class SqliteUploadStore implements UploadStore {
  private readonly q;
  private readonly createTx: (upload: UploadRecord, blobs: readonly BlobClaim[], at: number) => boolean;
  private readonly markTx: (touchedBefore: number, staleBefore: number, at: number, limit: number) => string[];

  constructor(handle: SqliteHandle) {
    this.q = {
      claim: handle.prepare<{ sha256: string; size: number; at: number }>(
        `INSERT INTO blobs (sha256, size, touched_at) VALUES (@sha256, @size, @at)
         ON CONFLICT (sha256) DO UPDATE SET touched_at = excluded.touched_at WHERE blobs.deleting_at IS NULL`,
      ),
      insert: handle.prepare<UploadRecord>(
        `INSERT INTO uploads (id, uploader_id, sha256, size, mime_type, name, width, height, thumb_sha256, created_at,
           scan_status)
         VALUES (@id, @uploaderId, @sha256, @size, @mimeType, @name, @width, @height, @thumbSha256, @createdAt,
           @scanStatus)`,
      ),
      byUploader: handle.prepare<[string, string, number], UploadRecord>(
        `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE uploader_id = ? AND id > ? ORDER BY id LIMIT ?`,
      ),
      byId: handle.prepare<[string], UploadRecord>(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = ?`),
      avatar: handle.prepare<[string], UploadRecord>(
        `SELECT ${UPLOAD_COLUMNS} FROM uploads AS u WHERE id = ? AND EXISTS (SELECT 1 FROM users WHERE avatar_id = u.id)`,
      ),
      byIds: handle.prepare<[string], UploadRecord>(
        `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id IN (SELECT value FROM json_each(?))`,
      ),
      access: handle.pluck<{ uploadId: string; userId: string }, number>(
        `SELECT 1 FROM uploads WHERE id = @uploadId AND uploader_id = @userId
           UNION ALL
           SELECT 1 FROM message_attachments AS a
             JOIN members AS m ON m.conversation_id = a.conversation_id AND m.user_id = @userId
           WHERE a.upload_id = @uploadId AND a.seq >= m.joined_seq AND (m.left_seq IS NULL OR a.seq <= m.left_seq)
           LIMIT 1`,
      ),
      deleteExpired: handle.prepare<[number, number]>(
        `DELETE FROM uploads WHERE id IN (
           SELECT id FROM uploads AS u WHERE u.created_at < ?
             AND NOT EXISTS (SELECT 1 FROM message_attachments AS a WHERE a.upload_id = u.id)
             AND NOT EXISTS (SELECT 1 FROM users WHERE avatar_id = u.id)
           LIMIT ?)`,
      ),
      deleteUnreferenced: handle.prepare<[string]>(
        `DELETE FROM uploads WHERE id IN (SELECT value FROM json_each(?)) AND NOT EXISTS
           (SELECT 1 FROM message_attachments AS a WHERE a.upload_id = uploads.id)`,
      ),
      mark: handle.pluck<{ touchedBefore: number; staleBefore: number; at: number; limit: number }, string>(
        `UPDATE blobs SET deleting_at = @at WHERE sha256 IN (
             SELECT sha256 FROM blobs AS b
             WHERE (b.deleting_at IS NULL AND b.touched_at < @touchedBefore AND ${UNREFERENCED})
                OR b.deleting_at < @staleBefore
             LIMIT @limit)
           RETURNING sha256`,
      ),
      forget: handle.prepare<[string]>("DELETE FROM blobs WHERE sha256 = ? AND deleting_at IS NOT NULL"),
    };
    this.createTx = handle.transaction((upload, blobs, at) => {
      for (const blob of blobs) {
        // A row being deleted does not take the claim: the caller retries once the sweeper is done with it.
        if (this.q.claim.run({ sha256: blob.sha256, size: blob.size, at }).changes === 0) throw new BlobBusy();
      }
      this.q.insert.run(upload);
      return true;
    });
    this.markTx = handle.transaction((touchedBefore, staleBefore, at, limit) =>
      this.q.mark.all({ touchedBefore, staleBefore, at, limit }),
    );
  }

  async createUpload(upload: UploadRecord, blobs: readonly BlobClaim[], at: number): Promise<boolean> {
    try {
      return this.createTx(upload, blobs, at);
    } catch (error) {
      if (error instanceof BlobBusy) return false;
      throw error;
    }
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    return this.q.byId.get(id);
  }

  async getUploads(ids: readonly string[]): Promise<UploadRecord[]> {
    if (ids.length === 0) return [];
    return this.q.byIds.all(JSON.stringify(ids));
  }

  async listUploadsBy(uploaderId: string, afterId: string | null, limit: number): Promise<UploadRecord[]> {
    return this.q.byUploader.all(uploaderId, afterId ?? "", limit);
  }

  async canAccess(uploadId: string, userId: string): Promise<boolean> {
    return this.q.access.get({ uploadId, userId }) !== undefined;
  }

  async getAvatarUpload(id: string): Promise<UploadRecord | undefined> {
    return this.q.avatar.get(id);
  }

  async deleteExpiredUploads(createdBefore: number, limit: number): Promise<number> {
    return this.q.deleteExpired.run(createdBefore, limit).changes;
  }

  async deleteUnreferencedUploads(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    return this.q.deleteUnreferenced.run(JSON.stringify(ids)).changes;
  }

  async markUnusedBlobs(touchedBefore: number, staleBefore: number, at: number, limit: number): Promise<string[]> {
    return this.markTx(touchedBefore, staleBefore, at, limit);
  }

  async forgetBlob(sha256: string): Promise<void> {
    this.q.forget.run(sha256);
  }
}

class BlobBusy extends Error {}
