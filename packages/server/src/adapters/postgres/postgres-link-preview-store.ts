// The LinkPreviewStore in PostgreSQL (the tables of migration 17).

import type { Pool } from "pg";
import type { LinkPreviewImage, LinkPreviewRecord, LinkPreviewStore } from "../../ports/link-preview-store.js";
import { linkPreviewFromRow } from "../sqlite/sqlite-link-preview-store.js";
import type { PostgresHandle } from "./postgres-handle.js";

/** A role over the store's shared handle (`PostgresStore.handle`: its pool, bigint parsing, timeouts and schema). */
export class PostgresLinkPreviewStore implements LinkPreviewStore {
  private readonly pool: Pool;

  constructor(private readonly handle: PostgresHandle) {
    this.pool = handle.pool;
  }

  async getLinkPreview(url: string): Promise<LinkPreviewRecord | undefined> {
    const result = await this.pool.query("SELECT * FROM link_previews WHERE url = $1", [url]);
    return result.rows[0] ? linkPreviewFromRow(result.rows[0]) : undefined;
  }

  async putLinkPreview(record: LinkPreviewRecord, image: LinkPreviewImage | undefined, now: number): Promise<void> {
    await this.handle.transaction(async (client) => {
      await client.query("DELETE FROM link_preview_images WHERE url IN (SELECT url FROM link_previews WHERE expires_at < $1)", [
        now,
      ]);
      await client.query("DELETE FROM link_previews WHERE expires_at < $1", [now]);
      const p = record.preview;
      await client.query(
        `INSERT INTO link_previews (url, title, description, site_name, image_id, failure, fetched_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (url) DO UPDATE SET title = excluded.title, description = excluded.description,
           site_name = excluded.site_name, image_id = excluded.image_id, failure = excluded.failure,
           fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`,
        [
          record.url,
          p?.title ?? null,
          p?.description ?? null,
          p?.siteName ?? null,
          p?.imageId ?? null,
          record.failure,
          record.fetchedAt,
          record.expiresAt,
        ],
      );
      await client.query("DELETE FROM link_preview_images WHERE url = $1", [record.url]);
      if (image) {
        await client.query("INSERT INTO link_preview_images (id, url, mime_type, bytes) VALUES ($1, $2, $3, $4)", [
          image.id,
          record.url,
          image.mimeType,
          image.bytes,
        ]);
      }
    });
  }

  async getLinkPreviewImage(id: string): Promise<LinkPreviewImage | undefined> {
    const result = await this.pool.query<{ id: string; mime_type: string; bytes: Buffer }>(
      "SELECT id, mime_type, bytes FROM link_preview_images WHERE id = $1",
      [id],
    );
    const row = result.rows[0];
    return row ? { id: row.id, mimeType: row.mime_type, bytes: row.bytes } : undefined;
  }
}
