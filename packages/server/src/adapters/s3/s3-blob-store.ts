// The cluster BlobStore: blobs as objects in an S3 (or S3-compatible) bucket, with presigned download URLs.

import { createReadStream } from "node:fs";
import { stat as statFile } from "node:fs/promises";
import type { Readable } from "node:stream";
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { BLOB_KEY, type BlobKey, type BlobStat, type BlobStore, type ByteRange, STAGING_ID } from "../../ports/blob-store.js";

export interface S3BlobStoreOptions {
  bucket: string;
  /** S3-compatible endpoint (MinIO, Ceph, R2, s3rver); undefined: AWS. */
  endpoint?: string;
  region: string;
  /** `<endpoint>/<bucket>/<key>` addressing, which most S3-compatible servers need. */
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Object keys are `<prefix><sha256>`. */
  prefix?: string;
  /** Create the bucket when it does not exist (tests, first start against a fresh MinIO). */
  createBucket?: boolean;
}

/** Objects are immutable and named by their hash, so a put of an existing key can be skipped after a HEAD. */
export class S3BlobStore implements BlobStore {
  private constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  static async connect(options: S3BlobStoreOptions): Promise<S3BlobStore> {
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? false,
      // The SDK's default (since 3.729) streams uploads as aws-chunked with trailing CRC checksums, which many
      // S3-compatible servers store verbatim (s3rver does: the object grows by the chunk framing). Checksums only
      // where the API requires them.
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
    };
    const client = new S3Client(config);
    const store = new S3BlobStore(client, options.bucket, options.prefix ?? "blobs/");
    try {
      await client.send(new HeadBucketCommand({ Bucket: options.bucket }));
    } catch (error) {
      if (!options.createBucket) {
        client.destroy();
        throw error;
      }
      await client.send(new CreateBucketCommand({ Bucket: options.bucket }));
    }
    return store;
  }

  private key(key: BlobKey): string {
    if (!BLOB_KEY.test(key)) throw new Error(`invalid blob key ${JSON.stringify(key).slice(0, 80)}`);
    return this.prefix + key;
  }

  async putFile(key: BlobKey, path: string, contentType: string): Promise<void> {
    if (await this.stat(key)) return;
    const { size } = await statFile(path);
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: this.key(key),
        Body: createReadStream(path),
        ContentLength: size,
        ContentType: contentType,
      }),
    );
  }

  async get(key: BlobKey, range?: ByteRange): Promise<Readable | undefined> {
    try {
      const result = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key(key),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      return result.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async stat(key: BlobKey): Promise<BlobStat | undefined> {
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
      return { size: head.ContentLength ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async delete(key: BlobKey): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  presignGet(key: BlobKey, options: { ttlSeconds: number; contentType: string; disposition: string }): Promise<string> {
    return getSignedUrl(
      this.client,
      new GetObjectCommand({
        Bucket: this.bucket,
        Key: this.key(key),
        ResponseContentType: options.contentType,
        ResponseContentDisposition: options.disposition,
      }),
      { expiresIn: options.ttlSeconds },
    );
  }

  presignPut(stagingId: string, options: { ttlSeconds: number; size: number }): Promise<string> {
    return getSignedUrl(
      this.client,
      new PutObjectCommand({ Bucket: this.bucket, Key: this.staging(stagingId), ContentLength: options.size }),
      { expiresIn: options.ttlSeconds, signableHeaders: new Set(["content-length"]) },
    );
  }

  async getStaged(stagingId: string): Promise<Readable | undefined> {
    try {
      const result = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.staging(stagingId) }));
      return result.Body as Readable;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  async deleteStaged(stagingId: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.staging(stagingId) }));
  }

  /** Direct uploads wait under `incoming/` (give it a lifecycle rule: abandoned ones are never completed). */
  private staging(stagingId: string): string {
    if (!STAGING_ID.test(stagingId)) throw new Error(`invalid staging id ${JSON.stringify(stagingId).slice(0, 80)}`);
    return `incoming/${stagingId}`;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

function isNotFound(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === "NoSuchKey" || e.name === "NotFound" || e.$metadata?.httpStatusCode === 404;
}
