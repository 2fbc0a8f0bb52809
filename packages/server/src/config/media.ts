// Media: upload and image bounds, signed download URLs, the sweep of unused uploads, and S3 for the bytes.

import { bool, type ConfigVars, int, nonEmpty, secret } from "./parse.js";

export interface MediaConfig {
  /** Media: largest upload in bytes (streamed; the request is cut off when it passes this). */
  maxUploadBytes: number;
  /** Media: images with more pixels than this are refused (decompression bombs). */
  maxImagePixels: number;
  /** Media: image decodes (thumbnails, metadata removal) running at once on a node; others wait. */
  imageDecodeConcurrency: number;
  /** Media: keep EXIF/XMP/IPTC metadata (GPS position included) in stored image originals. */
  keepImageMetadata: boolean;
  /** Media: lifetime of signed download URLs. */
  fileUrlTtlSeconds: number;
  /** Media: HMAC secret of download URLs; derived from the token secret when unset. */
  fileUrlSecret: string | undefined;
  /** Media: an upload that no message references is deleted after this long. */
  uploadTtlMs: number;
  /** Media: how often a node sweeps unreferenced uploads and blobs (0 = never). */
  uploadSweepIntervalMs: number;
  /** Media: S3 bucket; when set, blobs live in S3 instead of `<dataDir>/media`. */
  s3Bucket: string | undefined;
  s3Endpoint: string | undefined;
  s3Region: string;
  s3ForcePathStyle: boolean;
  s3AccessKeyId: string | undefined;
  s3SecretAccessKey: string | undefined;
}

export const MEDIA_VARS: ConfigVars<MediaConfig> = {
  maxUploadBytes: {
    env: "PARLEY_MAX_UPLOAD_BYTES",
    default: 26_214_400,
    description: "Largest file upload (`POST /v1/uploads`) in bytes; the upload is cut off with 413 as soon as it passes this.",
    parse: int(1, 10_737_418_240),
  },
  maxImagePixels: {
    env: "PARLEY_MAX_IMAGE_PIXELS",
    default: 25_000_000,
    description:
      "Images with more pixels (width × height) than this are refused (decompression bombs); the default takes 24-MP photos and 5K screenshots. Images over 4 MP must also bring at least one byte per 400 pixels (`suspicious_image`).",
    parse: int(1, 1_000_000_000),
  },
  imageDecodeConcurrency: {
    env: "PARLEY_IMAGE_DECODE_CONCURRENCY",
    default: 2,
    description:
      "Image decodes (thumbnail, metadata removal) running at once on a node; further uploads wait their turn, so images never take all of the thread pool that password hashing shares.",
    parse: int(1, 64),
  },
  keepImageMetadata: {
    env: "PARLEY_KEEP_IMAGE_METADATA",
    default: false,
    description:
      "Keep EXIF, XMP and IPTC metadata (GPS position, camera serial numbers) in stored JPEG, PNG and WebP originals. Off: removed at upload, the orientation kept.",
    parse: bool,
  },
  fileUrlTtlSeconds: {
    env: "PARLEY_FILE_URL_TTL_SECONDS",
    default: 900,
    description: "Lifetime of signed download URLs handed out by `files.sign`.",
    parse: int(5, 7 * 24 * 3600),
  },
  fileUrlSecret: {
    env: "PARLEY_FILE_URL_SECRET",
    default: undefined,
    description:
      "HMAC secret of download URLs (≥ 32 characters); derived from the token secret when unset. Cluster nodes must agree (they do when `PARLEY_JWT_SECRET` is shared).",
    parse: secret(32),
  },
  uploadTtlMs: {
    env: "PARLEY_UPLOAD_TTL_MS",
    default: 86_400_000,
    description: "An upload that no message references is deleted this long after it was made (its blob too, once unused).",
    parse: int(1000, 365 * 86_400_000),
  },
  uploadSweepIntervalMs: {
    env: "PARLEY_UPLOAD_SWEEP_INTERVAL_MS",
    default: 600_000,
    description: "How often each node deletes expired unreferenced uploads and unused blobs (`0` = never).",
    parse: int(0, 86_400_000),
  },
  s3Bucket: {
    env: "PARLEY_S3_BUCKET",
    default: undefined,
    description: "When set, media blobs are stored in this S3 bucket instead of `<dataDir>/media` (needed for clusters).",
    parse: nonEmpty,
  },
  s3Endpoint: {
    env: "PARLEY_S3_ENDPOINT",
    default: undefined,
    description: "S3-compatible endpoint URL (MinIO, Ceph, R2…); unset: AWS.",
    parse: nonEmpty,
  },
  s3Region: {
    env: "PARLEY_S3_REGION",
    default: "us-east-1",
    description: "S3 region.",
    parse: nonEmpty,
  },
  s3ForcePathStyle: {
    env: "PARLEY_S3_FORCE_PATH_STYLE",
    default: false,
    description: "Address buckets as `<endpoint>/<bucket>` rather than `<bucket>.<endpoint>` (most S3-compatible servers).",
    parse: bool,
  },
  s3AccessKeyId: {
    env: "PARLEY_S3_ACCESS_KEY_ID",
    default: undefined,
    description: "S3 access key; unset: the AWS SDK's default credential chain (environment, instance role).",
    parse: nonEmpty,
  },
  s3SecretAccessKey: {
    env: "PARLEY_S3_SECRET_ACCESS_KEY",
    default: undefined,
    description: "S3 secret key (with `PARLEY_S3_ACCESS_KEY_ID`).",
    parse: nonEmpty,
  },
};
