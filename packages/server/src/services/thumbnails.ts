// Image decoding with sharp: displayed dimensions, the limits against decompression bombs (pixel count, pixels per
// byte, decodes at once), metadata removal from originals, WebP thumbnails and square avatars.

import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import sharp, { type Metadata } from "sharp";
import { AppError } from "../domain/app-error.js";
import { Semaphore } from "../domain/semaphore.js";
import { stripImageMetadata } from "./image-metadata.js";

/** Longer side of a thumbnail in pixels. */
export const THUMBNAIL_SIZE = 320;
/** Sides of the square avatar pictures (protocol §6.4), largest first: the picture and its small variant for lists. */
export const AVATAR_SIZES = [256, 96] as const;
/** Images up to this many pixels are decoded whatever their byte size (a decode costs a few tens of ms). */
export const DENSITY_FREE_PIXELS = 4_000_000;
/**
 * Larger images must bring at least one byte per this many pixels. Photos bring about one per 3–10, screenshots one
 * per 10–100, even a single-colour 12-MP JPEG one per 170; a bomb (a 27 KB 6300×6300 GIF) one per 1,400.
 */
export const MAX_PIXELS_PER_BYTE = 400;

export interface ImageLimits {
  maxImagePixels: number;
  /** Decodes (thumbnail, metadata removal) running at once on this node; the rest wait their turn. */
  imageDecodeConcurrency: number;
  /** Keep EXIF/XMP/IPTC (GPS position included) in stored originals. */
  keepImageMetadata: boolean;
}

export interface ImageInfo {
  width: number;
  height: number;
  /** The WebP thumbnail written next to the upload's temporary file. */
  thumbnailPath: string;
  /** True when the file at the given path was rewritten (its metadata removed): its hash and size changed. */
  rewritten: boolean;
}

async function reencode(path: string, mimeType: string, maxPixels: number): Promise<Buffer> {
  const image = sharp(path, { limitInputPixels: maxPixels }).rotate();
  try {
    if (mimeType === "image/png") return await image.png().toBuffer();
    if (mimeType === "image/webp") return await image.webp({ quality: 90 }).toBuffer();
    return await image.jpeg({ quality: 92 }).toBuffer();
  } catch {
    throw new AppError("unsupported_media_type", "The image could not be decoded");
  }
}

export class ImageProcessor {
  private readonly decodes: Semaphore;

  constructor(private readonly limits: ImageLimits) {
    this.decodes = new Semaphore(Math.max(1, limits.imageDecodeConcurrency));
  }

  /**
   * Reads the header first (cheap) and refuses images over the pixel limit, or implausibly small for their pixel
   * count, before decoding a single pixel; sharp's own `limitInputPixels` guards the decode too. Width and height are
   * as displayed: EXIF orientations 5–8 swap them. Unless metadata is kept, the file at `path` is rewritten without it.
   */
  async process(path: string, size: number, mimeType: string, dir: string): Promise<ImageInfo> {
    const maxPixels = this.limits.maxImagePixels;
    const { meta, rawWidth, rawHeight } = await this.checkHeader(path, size);
    const orientation = meta.orientation ?? 1;
    const rotated = orientation >= 5;
    const thumbnailPath = join(dir, `thumb-${randomBytes(8).toString("hex")}.webp`);
    const rewritten = await this.decodes.run(async () => {
      try {
        await sharp(path, { limitInputPixels: maxPixels })
          .rotate()
          .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: "inside", withoutEnlargement: true })
          .webp({ quality: 70 })
          .toFile(thumbnailPath);
      } catch {
        throw new AppError("unsupported_media_type", "The image could not be decoded");
      }
      if (this.limits.keepImageMetadata) return false;
      const stripped = stripImageMetadata(await readFile(path), mimeType, orientation);
      if (stripped === undefined) return false;
      // A container too damaged to walk (yet decodable) is re-encoded instead: sharp writes no metadata, and the
      // orientation is applied to the pixels, so the image stays upright without it.
      await writeFile(path, stripped ?? (await reencode(path, mimeType, maxPixels)));
      return true;
    });
    return { width: rotated ? rawHeight : rawWidth, height: rotated ? rawWidth : rawHeight, thumbnailPath, rewritten };
  }

  /**
   * Square avatar pictures of every size in AVATAR_SIZES (largest first): upright, centre-cropped, WebP. sharp writes
   * no metadata unless asked, so nothing of the original's EXIF/XMP/ICC (GPS position included) survives.
   */
  async avatar(path: string, size: number, dir: string): Promise<string[]> {
    await this.checkHeader(path, size);
    const maxPixels = this.limits.maxImagePixels;
    return this.decodes.run(async () => {
      const paths: string[] = [];
      try {
        // One decode, one cover-crop to the largest size; the smaller ones are scaled from it.
        const square = await sharp(path, { limitInputPixels: maxPixels })
          .rotate()
          .resize(AVATAR_SIZES[0], AVATAR_SIZES[0], { fit: "cover", position: "centre" })
          .png()
          .toBuffer();
        for (const side of AVATAR_SIZES) {
          const out = join(dir, `avatar-${randomBytes(8).toString("hex")}-${side}.webp`);
          paths.push(out);
          await sharp(square).resize(side, side).webp({ quality: 85 }).toFile(out);
        }
        return paths;
      } catch {
        await Promise.all(paths.map((p) => rm(p, { force: true })));
        throw new AppError("unsupported_media_type", "The image could not be decoded");
      }
    });
  }

  /**
   * The thumbnail of a web page's image (link previews): the same header checks as uploads, upright, at most
   * THUMBNAIL_SIZE on its longer side, WebP without metadata. Throws AppError when the bytes are not a usable image.
   */
  async thumbnailOf(bytes: Buffer): Promise<Buffer> {
    await this.checkHeader(bytes, bytes.length);
    return this.decodes.run(async () => {
      try {
        return await sharp(bytes, { limitInputPixels: this.limits.maxImagePixels })
          .rotate()
          .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: "inside", withoutEnlargement: true })
          .webp({ quality: 70 })
          .toBuffer();
      } catch {
        throw new AppError("unsupported_media_type", "The image could not be decoded");
      }
    });
  }

  /**
   * Reads the header only (cheap) and refuses images over the pixel limit, or implausibly small for their pixel count,
   * before a single pixel is decoded.
   */
  private async checkHeader(
    path: string | Buffer,
    size: number,
  ): Promise<{ meta: Metadata; rawWidth: number; rawHeight: number }> {
    const maxPixels = this.limits.maxImagePixels;
    let meta: Metadata;
    try {
      meta = await sharp(path, { limitInputPixels: false }).metadata();
    } catch {
      throw new AppError("unsupported_media_type", "The image could not be decoded");
    }
    const rawWidth = meta.width ?? 0;
    const rawHeight = meta.pageHeight ?? meta.height ?? 0;
    if (rawWidth <= 0 || rawHeight <= 0) throw new AppError("unsupported_media_type", "The image has no dimensions");
    const pixels = rawWidth * rawHeight;
    if (pixels > maxPixels) {
      throw new AppError("upload_too_large", `The image has more than ${maxPixels} pixels`, {
        limit: maxPixels,
        width: rawWidth,
        height: rawHeight,
      });
    }
    if (pixels > DENSITY_FREE_PIXELS && pixels > size * MAX_PIXELS_PER_BYTE) {
      throw new AppError(
        "suspicious_image",
        `An image of ${rawWidth}×${rawHeight} pixels cannot plausibly fit in ${size} bytes (a decompression bomb?)`,
        { width: rawWidth, height: rawHeight, size, maxPixelsPerByte: MAX_PIXELS_PER_BYTE },
      );
    }
    return { meta, rawWidth, rawHeight };
  }
}
