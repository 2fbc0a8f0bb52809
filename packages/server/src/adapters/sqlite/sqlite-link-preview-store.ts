// The LinkPreviewStore in the embedded SQLite database (the tables of migration 17).

import type { LinkPreviewImage, LinkPreviewRecord, LinkPreviewStore } from "../../ports/link-preview-store.js";
import type { SqliteHandle } from "./sqlite-handle.js";

interface Row {
  url: string;
  title: string | null;
  description: string | null;
  site_name: string | null;
  image_id: string | null;
  failure: string | null;
  fetched_at: number;
  expires_at: number;
}

export function linkPreviewFromRow(row: Row): LinkPreviewRecord {
  return {
    url: row.url,
    preview:
      row.failure === null
        ? { title: row.title, description: row.description, siteName: row.site_name, imageId: row.image_id }
        : null,
    failure: row.failure,
    fetchedAt: Number(row.fetched_at),
    expiresAt: Number(row.expires_at),
  };
}

/** A role over the store's shared handle (`SqliteStore.handle`), which has already migrated the schema. */
export class SqliteLinkPreviewStore implements LinkPreviewStore {
  private readonly q;
  private readonly put: (record: LinkPreviewRecord, image: LinkPreviewImage | undefined, now: number) => void;

  constructor(handle: SqliteHandle) {
    const db = handle.db;
    const q = {
      get: db.prepare<[string], Row>("SELECT * FROM link_previews WHERE url = ?"),
      upsert: db.prepare(
        `INSERT INTO link_previews (url, title, description, site_name, image_id, failure, fetched_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (url) DO UPDATE SET title = excluded.title, description = excluded.description,
           site_name = excluded.site_name, image_id = excluded.image_id, failure = excluded.failure,
           fetched_at = excluded.fetched_at, expires_at = excluded.expires_at`,
      ),
      dropImages: db.prepare<[string]>("DELETE FROM link_preview_images WHERE url = ?"),
      putImage: db.prepare<[string, string, string, Buffer]>(
        "INSERT INTO link_preview_images (id, url, mime_type, bytes) VALUES (?, ?, ?, ?)",
      ),
      sweepImages: db.prepare<[number]>(
        "DELETE FROM link_preview_images WHERE url IN (SELECT url FROM link_previews WHERE expires_at < ?)",
      ),
      sweep: db.prepare<[number]>("DELETE FROM link_previews WHERE expires_at < ?"),
      image: db.prepare<[string], { id: string; mime_type: string; bytes: Buffer }>(
        "SELECT id, mime_type, bytes FROM link_preview_images WHERE id = ?",
      ),
    };
    this.q = q;
    this.put = db.transaction((record: LinkPreviewRecord, image: LinkPreviewImage | undefined, now: number) => {
      q.sweepImages.run(now);
      q.sweep.run(now);
      const p = record.preview;
      q.upsert.run(
        record.url,
        p?.title ?? null,
        p?.description ?? null,
        p?.siteName ?? null,
        p?.imageId ?? null,
        record.failure,
        record.fetchedAt,
        record.expiresAt,
      );
      q.dropImages.run(record.url);
      if (image) q.putImage.run(image.id, record.url, image.mimeType, image.bytes);
    });
  }

  async getLinkPreview(url: string): Promise<LinkPreviewRecord | undefined> {
    const row = this.q.get.get(url);
    return row ? linkPreviewFromRow(row) : undefined;
  }

  async putLinkPreview(record: LinkPreviewRecord, image: LinkPreviewImage | undefined, now: number): Promise<void> {
    this.put(record, image, now);
  }

  async getLinkPreviewImage(id: string): Promise<LinkPreviewImage | undefined> {
    const row = this.q.image.get(id);
    return row ? { id: row.id, mimeType: row.mime_type, bytes: Buffer.from(row.bytes) } : undefined;
  }
}
