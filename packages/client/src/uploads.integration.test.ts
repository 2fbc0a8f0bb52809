// Integration: sharing files through the SDK against a real server: upload with progress (bytes, a file on disk),
// send with attachments, receive them, and signed URLs that download and are cached until shortly before expiry.

import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Message } from "@parley/protocol";
import { TestS3 } from "@parley/server/testing";
import { type ParleyClient, ParleyError } from "./node.js";
import { SdkTestServer, signUp } from "./testing/real-server.js";

const PNG_1x1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

describe("SDK: files", () => {
  let server: SdkTestServer;
  let alice: ParleyClient;
  let bob: ParleyClient;
  const suffix = `${process.pid % 10_000}f`;

  before(async () => {
    server = await SdkTestServer.start({ label: "files", config: { maxUploadBytes: 300_000 } });
    [alice, bob] = [server.client(), server.client()];
    await signUp([alice, `alice_${suffix}`], [bob, `bob_${suffix}`]);
  });
  after(async () => {
    await server.close();
  });

  it("uploads with progress, sends attachments and the other side receives their metadata and bytes", async () => {
    const bobId = (await bob.me()).id;
    const conversation = await alice.openDirect(bobId);
    const progress: [number, number | undefined][] = [];
    const bytes = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(200_000, 0x20), Buffer.from("\n%%EOF\n")]);
    const doc = await alice.upload(bytes, {
      name: "big.pdf",
      type: "application/pdf",
      onProgress: (s, t) => progress.push([s, t]),
    });
    assert.equal(doc.mimeType, "application/pdf");
    assert.equal(doc.size, bytes.length);
    assert.ok(progress.length > 1, "several progress reports");
    assert.deepEqual(progress.at(-1), [bytes.length, bytes.length]);

    const path = join(server.dataDir, "pixel.png");
    writeFileSync(path, PNG_1x1);
    const image = await alice.uploadFile(path);
    assert.deepEqual(
      [image.name, image.mimeType, image.width, image.height, image.hasThumbnail],
      ["pixel.png", "image/png", 1, 1, true],
    );

    const received = new Promise<Message>((resolve) => {
      bob.on("message", (m) => {
        if (m.attachments.length > 0) resolve(m);
      });
    });
    const acked = new Promise<Message>((resolve) => {
      alice.on("message", (m) => {
        if (m.attachments.length > 0) resolve(m);
      });
    });
    await alice.send(conversation.id, "two files", { attachments: [image, doc] });
    const m = await received;
    assert.deepEqual(m.attachments, [image, doc]);
    assert.deepEqual((await acked).attachments, [image, doc], "the sender's own echo carries them too");

    const urls = await bob.fileUrls([image.id, doc.id]);
    const signedImage = urls.get(image.id)!;
    assert.ok(signedImage.url.startsWith(server.url), "absolute URLs");
    const res = await fetch(signedImage.url);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), PNG_1x1);
    assert.equal((await fetch(signedImage.thumbnailUrl!)).headers.get("content-type"), "image/webp");
    const again = await bob.fileUrls([image.id]);
    assert.equal(again.get(image.id)!.url, signedImage.url, "served from the cache");
  });

  it("falls back from a direct upload to POST /v1/uploads when the server keeps files itself", async () => {
    const a = await alice.upload(Buffer.from("%PDF-1.4\n%%EOF\n"), { name: "fallback.pdf", direct: true });
    assert.equal(a.mimeType, "application/pdf");
    const b = await alice.upload(Buffer.from("%PDF-1.4\n% second\n%%EOF\n"), { name: "fallback2.pdf", direct: true });
    assert.equal(b.name, "fallback2.pdf");
  });

  it("rejects refused uploads with the server's error code", async () => {
    await assert.rejects(alice.upload(Buffer.alloc(300_001, 1), { name: "big.bin" }), (error: unknown) => {
      assert.ok(error instanceof ParleyError);
      assert.equal(error.code, "upload_too_large");
      return true;
    });
    await assert.rejects(alice.upload(Buffer.from("text"), { name: "a/b.txt" }), /plain name/);
    await assert.rejects(bob.fileUrls(["unknown-upload"]), (error: unknown) => (error as ParleyError).code === "not_found");
  });
});

describe("SDK: direct uploads to an S3-compatible store (s3rver)", () => {
  let server: SdkTestServer;
  let s3: TestS3;
  let client: ParleyClient;

  before(async () => {
    s3 = await TestS3.start();
    await s3.createBucket("parley-direct");
    server = await SdkTestServer.start({ label: "direct", config: s3.serverConfig("parley-direct") });
    client = server.client();
    await client.register(`direct_${process.pid % 10_000}`, "correct horse battery");
  });
  after(async () => {
    await server?.close();
    await s3?.close();
  });

  it("puts the bytes straight into the bucket and completes the upload, reporting progress", async () => {
    const bytes = Buffer.concat([Buffer.from("%PDF-1.4\n"), Buffer.alloc(150_000, 0x20), Buffer.from("\n%%EOF\n")]);
    const progress: number[] = [];
    const a = await client.upload(bytes, { name: "direct.pdf", direct: true, onProgress: (sent) => progress.push(sent) });
    assert.deepEqual([a.name, a.size, a.mimeType], ["direct.pdf", bytes.length, "application/pdf"]);
    assert.equal(progress.at(-1), bytes.length);
    const urls = await client.fileUrls([a.id]);
    const res = await fetch(urls.get(a.id)!.url);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  });
});
