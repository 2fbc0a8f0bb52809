// The cluster uploads role (UploadStore): upload metadata, message links and blob references in the store's database.

import type { Pool } from "pg";
import type { BlobClaim, UploadRecord, UploadStore } from "../../ports/upload-store.js";
import { type PostgresHandle, Rollback } from "./postgres-handle.js";

const UPLOAD_COLUMNS =
  'id, uploader_id AS "uploaderId", sha256, size, mime_type AS "mimeType", name, width, height, ' +
  'thumb_sha256 AS "thumbSha256", created_at AS "createdAt", scan_status AS "scanStatus"';

/**
 * A role over the PostgresStore's handle (`PostgresStore.handle`). Races between nodes are settled by row locks on
 * `blobs`: a claim (upsert) and a sweeper's mark (UPDATE … WHERE touched_at < cutoff) serialize on the row, and
 * whichever comes second sees the other's effect (a fresh touched_at stops the mark; a set deleting_at stops the claim).
 */
export class PostgresUploadStore implements UploadStore {
  private readonly pool: Pool;

  constructor(private readonly db: PostgresHandle) {
    this.pool = db.pool;
  }

  async createUpload(upload: UploadRecord, blobs: readonly BlobClaim[], at: number): Promise<boolean> {
    return this.db.transaction(async (client) => {
      // Sorted, so two uploads claiming the same pair of blobs cannot deadlock.
      for (const blob of [...blobs].sort((a, b) => (a.sha256 < b.sha256 ? -1 : 1))) {
        const claimed = await client.query(
          `INSERT INTO blobs (sha256, size, touched_at) VALUES ($1, $2, $3)
           ON CONFLICT (sha256) DO UPDATE SET touched_at = excluded.touched_at WHERE blobs.deleting_at IS NULL`,
          [blob.sha256, blob.size, at],
        );
        // A row being deleted does not take the claim: the caller retries once the sweeper is done with it.
        if (claimed.rowCount === 0) throw new Rollback(false);
      }
      await client.query(
        `INSERT INTO uploads (id, uploader_id, sha256, size, mime_type, name, width, height, thumb_sha256, created_at,
           scan_status)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          upload.id,
          upload.uploaderId,
          upload.sha256,
          upload.size,
          upload.mimeType,
          upload.name,
          upload.width,
          upload.height,
          upload.thumbSha256,
          upload.createdAt,
          upload.scanStatus,
        ],
      );
      return true;
    });
  }

  async getUpload(id: string): Promise<UploadRecord | undefined> {
    const { rows } = await this.pool.query<UploadRecord>(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = $1`, [id]);
    return rows[0];
  }

  async getUploads(ids: readonly string[]): Promise<UploadRecord[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pool.query<UploadRecord>(`SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE id = ANY($1::text[])`, [
      ids,
    ]);
    return rows;
  }

  async listUploadsBy(uploaderId: string, afterId: string | null, limit: number): Promise<UploadRecord[]> {
    const { rows } = await this.pool.query<UploadRecord>(
      `SELECT ${UPLOAD_COLUMNS} FROM uploads WHERE uploader_id = $1 AND id > $2 ORDER BY id LIMIT $3`,
      [uploaderId, afterId ?? "", limit],
    );
    return rows;
  }

  async canAccess(uploadId: string, userId: string): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `SELECT 1 FROM uploads WHERE id = $1 AND uploader_id = $2
       UNION ALL
       (SELECT 1 FROM message_attachments AS a
          JOIN members AS m ON m.conversation_id = a.conversation_id AND m.user_id = $2
        WHERE a.upload_id = $1 AND a.seq >= m.joined_seq AND (m.left_seq IS NULL OR a.seq <= m.left_seq)
        LIMIT 1)`,
      [uploadId, userId],
    );
    return (rowCount ?? 0) > 0;
  }

  async getAvatarUpload(id: string): Promise<UploadRecord | undefined> {
    const { rows } = await this.pool.query<UploadRecord>(
      `SELECT ${UPLOAD_COLUMNS} FROM uploads AS u WHERE id = $1 AND EXISTS (SELECT 1 FROM users WHERE avatar_id = u.id)`,
      [id],
    );
    return rows[0];
  }

  async deleteExpiredUploads(createdBefore: number, limit: number): Promise<number> {
    // SKIP LOCKED: two sweeping nodes split the work instead of waiting on each other; a row a send is linking (its
    // foreign key check holds a KEY SHARE lock) is skipped too.
    const { rowCount } = await this.pool.query(
      `DELETE FROM uploads WHERE id IN (
         SELECT id FROM uploads AS u WHERE u.created_at < $1
           AND NOT EXISTS (SELECT 1 FROM message_attachments AS a WHERE a.upload_id = u.id)
           AND NOT EXISTS (SELECT 1 FROM users WHERE avatar_id = u.id)
         LIMIT $2 FOR UPDATE SKIP LOCKED)`,
      [createdBefore, limit],
    );
    return rowCount ?? 0;
  }

  async deleteUnreferencedUploads(ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    // As deleteExpiredUploads: a row a send is linking right now is skipped (it is referenced then).
    const { rowCount } = await this.pool.query(
      `DELETE FROM uploads WHERE id IN (
         SELECT id FROM uploads AS u WHERE u.id = ANY($1::text[])
           AND NOT EXISTS (SELECT 1 FROM message_attachments AS a WHERE a.upload_id = u.id)
         FOR UPDATE SKIP LOCKED)`,
      [ids],
    );
    return rowCount ?? 0;
  }

  async markUnusedBlobs(touchedBefore: number, staleBefore: number, at: number, limit: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ sha256: string }>(
      `UPDATE blobs AS b SET deleting_at = $3 WHERE b.sha256 IN (
         SELECT c.sha256 FROM blobs AS c
         WHERE (c.deleting_at IS NULL AND c.touched_at < $1
                AND NOT EXISTS (SELECT 1 FROM uploads AS u WHERE u.sha256 = c.sha256)
                AND NOT EXISTS (SELECT 1 FROM uploads AS u WHERE u.thumb_sha256 = c.sha256))
            OR c.deleting_at < $2
         LIMIT $4 FOR UPDATE SKIP LOCKED)
       AND (b.deleting_at IS NOT NULL OR b.touched_at < $1)
       RETURNING b.sha256`,
      [touchedBefore, staleBefore, at, limit],
    );
    return rows.map((r) => r.sha256);
  }

  async forgetBlob(sha256: string): Promise<void> {
    await this.pool.query("DELETE FROM blobs WHERE sha256 = $1 AND deleting_at IS NOT NULL", [sha256]);
  }
}
