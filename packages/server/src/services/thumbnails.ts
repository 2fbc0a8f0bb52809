// Image decoding with sharp: displayed dimensions, the pixel limit against decompression bombs, and WebP thumbnails.

import { randomBytes } from "node:crypto";
import { join } from "node:path";
import sharp, { type Metadata } from "sharp";
import { AppError } from "../domain/app-error.js";

/** Longer side of a thumbnail in pixels. */
export const THUMBNAIL_SIZE = 320;

export interface ImageInfo {
  width: number;
  height: number;
  /** The WebP thumbnail written next to the upload's temporary file. */
  thumbnailPath: string;
}

/**
 * Reads the header first (cheap) and refuses images over `maxPixels` before decoding a single pixel; sharp's own
 * `limitInputPixels` guards the decode too. Width and height are as displayed: EXIF orientations 5–8 swap them.
 */
export async function describeImage(path: string, dir: string, maxPixels: number): Promise<ImageInfo> {
  let meta: Metadata;
  try {
    meta = await sharp(path, { limitInputPixels: false }).metadata();
  } catch {
    throw new AppError("unsupported_media_type", "The image could not be decoded");
  }
  const rawWidth = meta.width ?? 0;
  const rawHeight = meta.pageHeight ?? meta.height ?? 0;
  if (rawWidth <= 0 || rawHeight <= 0) throw new AppError("unsupported_media_type", "The image has no dimensions");
  if (rawWidth * rawHeight > maxPixels) {
    throw new AppError("upload_too_large", `The image has more than ${maxPixels} pixels`, {
      limit: maxPixels,
      width: rawWidth,
      height: rawHeight,
    });
  }
  const rotated = (meta.orientation ?? 1) >= 5;
  const thumbnailPath = join(dir, `thumb-${randomBytes(8).toString("hex")}.webp`);
  try {
    await sharp(path, { limitInputPixels: maxPixels })
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: 70 })
      .toFile(thumbnailPath);
  } catch {
    throw new AppError("unsupported_media_type", "The image could not be decoded");
  }
  return { width: rotated ? rawHeight : rawWidth, height: rotated ? rawWidth : rawHeight, thumbnailPath };
}
