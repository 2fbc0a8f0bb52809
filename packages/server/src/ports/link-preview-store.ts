// The storage port of link previews (services/link-previews/): the cache of what a URL's page showed, or why it could
// not be previewed, each until its expiry, and the thumbnails of the pages' images, served by id.

export interface LinkPreviewRecord {
  /** The URL as asked (the cache key). */
  url: string;
  /** What the page shows; null when it could not be previewed (then `failure` says why). */
  preview: { title: string | null; description: string | null; siteName: string | null; imageId: string | null } | null;
  failure: string | null;
  fetchedAt: number;
  expiresAt: number;
}

export interface LinkPreviewImage {
  /** Random, unguessable: the image URL carries it and needs no session. */
  id: string;
  mimeType: string;
  bytes: Buffer;
}

export interface LinkPreviewStore {
  /** The cached answer for the URL, expired or not (the caller compares `expiresAt`). */
  getLinkPreview(url: string): Promise<LinkPreviewRecord | undefined>;
  /**
   * Stores the answer for its URL, replacing an earlier one and its image, with `image` (whose id is the record's
   * `preview.imageId`). Answers that expired before `now` are deleted with their images.
   */
  putLinkPreview(record: LinkPreviewRecord, image: LinkPreviewImage | undefined, now: number): Promise<void>;
  getLinkPreviewImage(id: string): Promise<LinkPreviewImage | undefined>;
}
