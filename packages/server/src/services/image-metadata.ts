// Removes the metadata of uploaded images (EXIF with its GPS position and camera serials, XMP, IPTC, comments) without
// re-encoding a pixel; the EXIF orientation survives as a minimal EXIF block so that photos stay upright.

/**
 * The image's bytes without metadata; `undefined` when there is nothing to remove (GIF carries no EXIF), `null` when
 * the container could not be walked (truncated, malformed) and the caller must remove metadata another way.
 * `orientation` is the EXIF orientation read from the header (1–8).
 */
export function stripImageMetadata(bytes: Buffer, mimeType: string, orientation: number): Buffer | undefined | null {
  const keep = orientation >= 2 && orientation <= 8 ? orientation : 1;
  if (mimeType === "image/jpeg") return stripJpeg(bytes, keep);
  if (mimeType === "image/png") return stripPng(bytes, keep);
  if (mimeType === "image/webp") return stripWebp(bytes, keep);
  return undefined;
}

/** A big-endian TIFF structure with one IFD holding only Orientation (0x0112, SHORT). */
function orientationTiff(orientation: number): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write("MM", 0, "latin1");
  tiff.writeUInt16BE(42, 2);
  tiff.writeUInt32BE(8, 4);
  tiff.writeUInt16BE(1, 8);
  tiff.writeUInt16BE(0x0112, 10);
  tiff.writeUInt16BE(3, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt16BE(orientation, 18);
  tiff.writeUInt32BE(0, 22);
  return tiff;
}

const EXIF_HEADER = Buffer.from("Exif\0\0", "latin1");
const ICC_HEADER = Buffer.from("ICC_PROFILE\0", "latin1");

/**
 * JPEG: every APPn segment goes except APP0 (JFIF), APP2 ICC profiles and APP14 (Adobe colour transform), which
 * decoding needs; comments go too, and whatever follows the end of the image (the extra images of MPF files, with
 * their own EXIF).
 */
function stripJpeg(b: Buffer, orientation: number): Buffer | undefined | null {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return null;
  const parts: Buffer[] = [b.subarray(0, 2)];
  let changed = false;
  let i = 2;
  let ended = false;
  while (i + 1 < b.length && !ended) {
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    if (marker === 0xd9) {
      parts.push(b.subarray(i, i + 2));
      i += 2;
      ended = true;
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      parts.push(b.subarray(i, i + 2));
      i += 2;
      continue;
    }
    if (i + 4 > b.length) return null;
    const end = i + 2 + b.readUInt16BE(i + 2);
    if (end > b.length) return null;
    const payload = b.subarray(i + 4, end);
    const app = marker >= 0xe0 && marker <= 0xef;
    const kept =
      !(app || marker === 0xfe) ||
      marker === 0xe0 ||
      marker === 0xee ||
      (marker === 0xe2 && payload.subarray(0, ICC_HEADER.length).equals(ICC_HEADER));
    if (kept) parts.push(b.subarray(i, end));
    else changed = true;
    i = end;
    if (marker === 0xda) {
      // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor a restart marker.
      let j = i;
      while (j + 1 < b.length && !(b[j] === 0xff && b[j + 1] !== 0 && !(b[j + 1]! >= 0xd0 && b[j + 1]! <= 0xd7))) j++;
      parts.push(b.subarray(i, j));
      i = j;
    }
  }
  if (!ended) return null;
  if (i < b.length) changed = true;
  if (!changed) return undefined;
  if (orientation !== 1) {
    const exif = Buffer.concat([EXIF_HEADER, orientationTiff(orientation)]);
    const segment = Buffer.alloc(4);
    segment.writeUInt16BE(0xffe1, 0);
    segment.writeUInt16BE(exif.length + 2, 2);
    // After SOI and JFIF, which must come first.
    const at = parts[1]?.[1] === 0xe0 ? 2 : 1;
    parts.splice(at, 0, segment, exif);
  }
  return Buffer.concat(parts);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Text, time and EXIF chunks; colour chunks (iCCP, sRGB, gAMA…) stay. */
const PNG_METADATA = new Set(["eXIf", "tEXt", "zTXt", "iTXt", "tIME"]);

function stripPng(b: Buffer, orientation: number): Buffer | undefined | null {
  if (b.length < 8 || !b.subarray(0, 8).equals(PNG_SIGNATURE)) return null;
  const parts: Buffer[] = [b.subarray(0, 8)];
  let changed = false;
  let orientationWritten = orientation === 1;
  for (let i = 8; i < b.length; ) {
    if (i + 12 > b.length) return null;
    const end = i + 12 + b.readUInt32BE(i);
    if (end > b.length) return null;
    const type = b.toString("latin1", i + 4, i + 8);
    if (!orientationWritten && (type === "IDAT" || type === "IEND")) {
      parts.push(pngChunk("eXIf", orientationTiff(orientation)));
      orientationWritten = true;
    }
    if (PNG_METADATA.has(type)) changed = true;
    else parts.push(b.subarray(i, end));
    i = end;
  }
  return changed ? Buffer.concat(parts) : undefined;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write(type, 4, "latin1");
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return chunk;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** WebP: the EXIF and XMP chunks go and the extended header's flags for them are cleared. */
function stripWebp(b: Buffer, orientation: number): Buffer | undefined | null {
  if (b.length < 12 || b.toString("latin1", 0, 4) !== "RIFF" || b.toString("latin1", 8, 12) !== "WEBP") return null;
  const chunks: Buffer[] = [];
  let changed = false;
  let extended: Buffer | undefined;
  for (let i = 12; i < b.length; ) {
    if (i + 8 > b.length) return null;
    const size = b.readUInt32LE(i + 4);
    const end = i + 8 + size + (size % 2);
    if (end > b.length) return null;
    const type = b.toString("latin1", i, i + 4);
    if (type === "EXIF" || type === "XMP ") {
      changed = true;
    } else if (type === "VP8X") {
      extended = Buffer.from(b.subarray(i, end));
      chunks.push(extended);
    } else {
      chunks.push(b.subarray(i, end));
    }
    i = end;
  }
  if (!changed) return undefined;
  if (extended) {
    // Flags byte: 0x08 EXIF, 0x04 XMP.
    extended[8] = extended[8]! & ~0x0c;
    if (orientation !== 1) {
      extended[8] = extended[8]! | 0x08;
      const tiff = orientationTiff(orientation);
      const head = Buffer.alloc(8);
      head.write("EXIF", 0, "latin1");
      head.writeUInt32LE(tiff.length, 4);
      chunks.push(head, tiff);
    }
  }
  const body = Buffer.concat(chunks);
  const header = Buffer.alloc(12);
  header.write("RIFF", 0, "latin1");
  header.writeUInt32LE(body.length + 4, 4);
  header.write("WEBP", 8, "latin1");
  return Buffer.concat([header, body]);
}
