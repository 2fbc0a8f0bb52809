// The sender's thumbnail of a picture for an encrypted conversation (docs/e2ee.md, "Encrypted files"): the server cannot
// make one of ciphertext, so the browser draws the picture at most 320 px on its longer side and encodes it as JPEG;
// it is encrypted and uploaded beside the file.

/** Pictures the browser decodes (as use-uploads previews them). */
const PICTURES = new Set(["image/jpeg", "image/png", "image/webp", "image/gif"]);
/** Longest side of a thumbnail, as the server's own thumbnails (320 px). */
const THUMBNAIL_MAX = 320;

export interface PictureThumbnail {
  /** The picture's own size. */
  width: number;
  height: number;
  thumbnail: { data: Uint8Array; type: string; width: number; height: number };
}

/** The thumbnail of `file` when it is a picture the browser can decode; undefined for any other file. */
export async function pictureThumbnail(file: Blob): Promise<PictureThumbnail | undefined> {
  if (!PICTURES.has(file.type)) return undefined;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    // A picture the browser cannot decode is sent as a plain file, without a preview: handled, not lost.
    return undefined;
  }
  try {
    const { width, height } = bitmap;
    const scale = Math.min(1, THUMBNAIL_MAX / Math.max(width, height));
    const w = Math.max(1, Math.round(width * scale));
    const h = Math.max(1, Math.round(height * scale));
    const canvas = new OffscreenCanvas(w, h);
    const context = canvas.getContext("2d");
    if (context === null) return undefined;
    context.drawImage(bitmap, 0, 0, w, h);
    const jpeg = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.8 });
    return {
      width,
      height,
      thumbnail: { data: new Uint8Array(await jpeg.arrayBuffer()), type: "image/jpeg", width: w, height: h },
    };
  } finally {
    bitmap.close();
  }
}
