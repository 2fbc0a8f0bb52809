// Security review #11: photo originals lose their EXIF (GPS position, camera make) at upload, keep their orientation,
// and keep everything only when the operator chose PARLEY_KEEP_IMAGE_METADATA.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult, SignedFile } from "@parley/protocol";
import sharp from "sharp";
import { http, register, startTestServer, type TestServer, uploadFile } from "../harness.js";

const EXIF = {
  IFD0: { Make: "SpyCam", Model: "Serial-0042" },
  IFD3: { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 2964/100", GPSLongitudeRef: "E", GPSLongitude: "2/1 17/1 4011/100" },
};

async function photo(format: "jpeg" | "png" | "webp"): Promise<Buffer> {
  return sharp({ create: { width: 300, height: 100, channels: 3, background: "#2a6" } })
    [format]()
    .withExif(EXIF)
    .withMetadata({ orientation: 6 })
    .toBuffer();
}

/** The GPS IFD pointer tag (0x8825) in either byte order. */
const hasGpsPointer = (exif: Buffer | undefined) =>
  exif !== undefined && (exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88])));

async function downloadOriginal(server: TestServer, token: string, id: string): Promise<Buffer> {
  const signed = await http(server, "POST", "/v1/files/sign", { uploadIds: [id] }, token);
  const [file] = signed.body.files as SignedFile[];
  const res = await fetch(server.url + file!.url);
  assert.equal(res.status, 200);
  return Buffer.from(await res.arrayBuffer());
}

describe("security review #11: image metadata", () => {
  let server: TestServer;
  let keeping: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;

  before(async () => {
    server = await startTestServer();
    keeping = await startTestServer({ keepImageMetadata: true });
    alice = await register(server);
    bob = await register(keeping);
  });
  after(async () => {
    await server.close();
    await keeping.close();
  });

  it("the fixtures carry GPS EXIF (so the checks below can fail)", async () => {
    for (const format of ["jpeg", "png", "webp"] as const) {
      const bytes = await photo(format);
      assert.ok(hasGpsPointer((await sharp(bytes).metadata()).exif), format);
      assert.ok(bytes.includes(Buffer.from("SpyCam")), format);
    }
  });

  for (const format of ["jpeg", "png", "webp"] as const) {
    it(`a ${format.toUpperCase()} with GPS EXIF is stored without it, still upright`, async () => {
      const a = await uploadFile(server, alice.accessToken, `holiday.${format}`, await photo(format), `image/${format}`);
      assert.deepEqual([a.width, a.height], [100, 300], "displayed size follows the orientation");
      const original = await downloadOriginal(server, alice.accessToken, a.id);
      assert.equal(a.size, original.length, "the attachment's size is that of the stored bytes");
      const meta = await sharp(original).metadata();
      assert.equal(meta.format, format);
      assert.deepEqual([meta.width, meta.height, meta.orientation], [300, 100, 6], "pixels untouched, orientation kept");
      assert.ok(!hasGpsPointer(meta.exif), "no GPS in the downloaded original");
      assert.ok(!original.includes(Buffer.from("SpyCam")), "no camera make");
      assert.ok(!original.includes(Buffer.from("Serial-0042")), "no camera serial");
      // The original still decodes completely.
      await sharp(original).raw().toBuffer();
    });
  }

  it("keeps the metadata when PARLEY_KEEP_IMAGE_METADATA is on", async () => {
    const bytes = await photo("jpeg");
    const a = await uploadFile(keeping, bob.accessToken, "kept.jpg", bytes, "image/jpeg");
    const original = await downloadOriginal(keeping, bob.accessToken, a.id);
    assert.ok(original.equals(bytes), "stored byte for byte");
  });
});
