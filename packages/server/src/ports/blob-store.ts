// The blob-storage port: immutable byte strings keyed by their SHA-256, stored once however often they are uploaded.

import type { Readable } from "node:stream";

/** A blob's key: the lower-case hex SHA-256 of its bytes. */
export type BlobKey = string;

export const BLOB_KEY = /^[0-9a-f]{64}$/;

/** Staging names of direct uploads: upload ids. */
export const STAGING_ID = /^[A-Za-z0-9_-]{1,64}$/;

export interface BlobStat {
  size: number;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface BlobStore {
  /**
   * Stores the file at `path` (a finished temporary file whose SHA-256 the caller computed) under `key`. Idempotent:
   * when the blob exists, nothing is written. The file at `path` is left for the caller to remove.
   */
  putFile(key: BlobKey, path: string, contentType: string): Promise<void>;
  /** The bytes (or the inclusive `range` of them) as a stream; undefined when there is no such blob. */
  get(key: BlobKey, range?: ByteRange): Promise<Readable | undefined>;
  stat(key: BlobKey): Promise<BlobStat | undefined>;
  /** Idempotent. */
  delete(key: BlobKey): Promise<void>;
  /**
   * A URL the client can fetch the blob from directly for `ttlSeconds`, where the backend has them (S3 presigned
   * GET); undefined when bytes must be streamed through the server (local directory).
   */
  presignGet?(key: BlobKey, options: { ttlSeconds: number; contentType: string; disposition: string }): Promise<string>;
  /**
   * Direct uploads (S3): a URL the client PUTs exactly `size` bytes to, stored under a staging name (an upload id)
   * until the server has checked them. Backends without it take uploads through the server only.
   */
  presignPut?(stagingId: string, options: { ttlSeconds: number; size: number }): Promise<string>;
  /** The staged bytes of a direct upload, or undefined when nothing was put. */
  getStaged?(stagingId: string): Promise<Readable | undefined>;
  /** Idempotent. */
  deleteStaged?(stagingId: string): Promise<void>;
  close(): Promise<void>;
}
