// Security review #5: small files that declare huge images are refused before any pixel is decoded (a lower pixel
// limit, and a floor on bytes per pixel), uploads have a rate limit of their own, and decodes run a few at a time;
// real photos and screenshots still pass.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import sharp from "sharp";
import { loadConfig } from "../../config/index.js";
import { ImageProcessor } from "../../services/thumbnails.js";
import { register, startTestServer, type TestServer, uploadFile, uploadRaw } from "../harness.js";

const flat = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 120, b: 40 } } });

describe("security review #5: image decode limits", () => {
  let server: TestServer;
  let alice: AuthResult;

  before(async () => {
    // The production defaults for images (the harness only turns rate limits off).
    server = await startTestServer();
    alice = await register(server);
  });
  after(() => server.close());

  it("refuses the reviewer's 27 KB 6300×6300 GIF by the default pixel limit", async () => {
    const gif = await flat(6300, 6300).gif().toBuffer();
    assert.ok(gif.length < 40_000, `${gif.length} bytes`);
    const res = await uploadRaw(server, alice.accessToken, "bomb.gif", gif, "image/gif");
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, "upload_too_large");
  });

  it("refuses an image under the pixel limit that is implausibly small for its pixel count", async () => {
    const gif = await flat(4800, 4800).gif().toBuffer();
    const res = await uploadRaw(server, alice.accessToken, "sparse.gif", gif, "image/gif");
    assert.equal(res.status, 422, JSON.stringify(res.body));
    assert.equal(res.body.error.code, "suspicious_image");
    assert.deepEqual([res.body.error.details.width, res.body.error.details.height], [4800, 4800]);
  });

  it("accepts a 12-MP photo, a 12-MP single-colour JPEG and PNG, and a 4K screenshot", async () => {
    const photo = await sharp({
      create: { width: 4000, height: 3000, channels: 3, background: "#888", noise: { type: "gaussian", mean: 128, sigma: 40 } },
    })
      .jpeg({ quality: 85 })
      .toBuffer();
    const cases: [string, Buffer, string][] = [
      ["photo.jpg", photo, "image/jpeg"],
      ["flat.jpg", await flat(4000, 3000).jpeg().toBuffer(), "image/jpeg"],
      ["flat.png", await flat(4000, 3000).png().toBuffer(), "image/png"],
      ["screen.png", await flat(3840, 2160).png().toBuffer(), "image/png"],
    ];
    for (const [name, bytes, type] of cases) {
      const a = await uploadFile(server, alice.accessToken, name, bytes, type);
      assert.ok(a.hasThumbnail, name);
    }
  });

  it("lowers the default pixel limit below the 40 M the review measured", () => {
    assert.ok(loadConfig({}).maxImagePixels <= 25_000_000);
  });

  it("gives uploads a rate limit of their own (429 rate_limited, limit uploads)", async () => {
    const limited = await startTestServer({ rateUploads: { capacity: 3, windowMs: 60_000 } });
    try {
      const bob = await register(limited);
      const png = await flat(64, 64).png().toBuffer();
      for (let i = 0; i < 3; i++) await uploadFile(limited, bob.accessToken, `p${i}.png`, png, "image/png");
      const res = await uploadRaw(limited, bob.accessToken, "p3.png", png, "image/png");
      assert.equal(res.status, 429);
      assert.equal(res.body.error.code, "rate_limited");
      assert.equal(res.body.error.details.limit, "uploads");
    } finally {
      await limited.close();
    }
  });

  it("runs at most imageDecodeConcurrency decodes at once", async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(join(tmpdir(), "parley-decodes-"));
    try {
      const bytes = await flat(1500, 1500).png().toBuffer();
      const paths = Array.from({ length: 6 }, (_, i) => {
        const path = join(dir, `i${i}.png`);
        writeFileSync(path, bytes);
        return path;
      });
      // sharp.counters().process: sharp operations running in the thread pool right now.
      const processor = new ImageProcessor({ maxImagePixels: 25_000_000, imageDecodeConcurrency: 1, keepImageMetadata: false });
      let peak = 0;
      const timer = setInterval(() => {
        peak = Math.max(peak, sharp.counters().process);
      }, 1);
      await Promise.all(paths.map((p) => processor.process(p, bytes.length, "image/png", dir)));
      clearInterval(timer);
      assert.ok(peak <= 1, `peak of ${peak} decodes at once`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
