// Media on an S3-compatible store end to end: s3rver (a real S3 HTTP server) on a random port, a Parley server with
// PARLEY_S3_*: uploads land in the bucket, signed URLs redirect to presigned GETs that serve the bytes and ranges.

import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AuthResult, SignedFile } from "@parley/protocol";
import sharp from "sharp";
import { probeClusterServices } from "./cluster-harness.js";
import {
  connectVia,
  http,
  type ProtocolClient,
  register,
  startTestCluster,
  startTestServer,
  type TestCluster,
  type TestServer,
  uploadFile,
} from "./harness.js";
import { TestS3 } from "./s3rver.js";
import { requireService } from "./services.js";

let s3: TestS3 | undefined;
const available = await requireService("s3rver (S3-compatible server)", async () => {
  s3 = await TestS3.start();
});
const port = s3?.port ?? 0;

describe("media on S3 (s3rver)", { skip: available ? false : "s3rver could not start" }, () => {
  let server: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;
  let a: ProtocolClient;

  before(async () => {
    // The bucket is the operator's to create; the test does it like an operator would.
    await s3!.createBucket("parley-media");
    server = await startTestServer(s3!.serverConfig("parley-media"));
    [alice, bob] = await Promise.all([register(server), register(server)]);
    a = await connectVia("ws", server, alice.accessToken);
  });
  after(async () => {
    await a?.close();
    await server?.close();
  });

  it("stores a profile picture in the bucket and redirects GET /v1/avatars/:id to a presigned URL", async () => {
    const photo = await sharp({ create: { width: 300, height: 200, channels: 3, background: "#36c" } })
      .jpeg()
      .toBuffer();
    const res = await fetch(`${server.url}/v1/me/avatar`, {
      method: "POST",
      headers: { authorization: `Bearer ${bob.accessToken}` },
      body: photo,
    });
    assert.equal(res.status, 200);
    const { avatarId } = (await res.json()) as { avatarId: string };
    const answer = await fetch(`${server.url}/v1/avatars/${avatarId}?size=small`, { redirect: "manual" });
    assert.equal(answer.status, 302);
    const picture = await fetch(answer.headers.get("location")!);
    assert.equal(picture.status, 200);
    const meta = await sharp(Buffer.from(await picture.arrayBuffer())).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["webp", 96, 96]);
  });

  it("stores uploads in the bucket and redirects signed downloads to presigned URLs", async () => {
    const png = await sharp({ create: { width: 200, height: 100, channels: 3, background: "#a33" } })
      .png()
      .toBuffer();
    const image = await uploadFile(server, alice.accessToken, "red.png", png, "image/png");
    assert.deepEqual([image.width, image.height, image.hasThumbnail], [200, 100, true]);
    const pdf = Buffer.from("%PDF-1.4\n% stored in s3\n%%EOF\n");
    const doc = await uploadFile(server, alice.accessToken, "s3.pdf", pdf);
    await uploadFile(server, alice.accessToken, "s3-again.pdf", pdf);
    assert.deepEqual(
      readdirSync(join(server.dataDir, "media")).filter((n) => n !== "tmp"),
      [],
      "nothing in the local directory",
    );
    assert.deepEqual(readdirSync(join(server.dataDir, "media", "tmp")), [], "temporary files removed");

    const direct = (await a.request("conversations.openDirect", { userId: bob.user.id })).id;
    await a.request("messages.send", { conversationId: direct, clientId: "s3", body: "", attachments: [image.id, doc.id] });
    const signed = await http(server, "POST", "/v1/files/sign", { uploadIds: [image.id, doc.id] }, bob.accessToken);
    assert.equal(signed.status, 200);
    const [img, file] = signed.body.files as SignedFile[];

    const redirect = await fetch(server.url + file!.url, { redirect: "manual" });
    assert.equal(redirect.status, 302);
    const location = redirect.headers.get("location")!;
    assert.ok(location.startsWith(`http://127.0.0.1:${port}/parley-media/`), location);
    assert.ok(location.includes("X-Amz-Expires=300"), "a short-lived presigned URL");
    const res = await fetch(location);
    assert.equal(res.headers.get("content-type"), "application/pdf");
    assert.match(res.headers.get("content-disposition")!, /^attachment; filename="s3.pdf"/);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), pdf);
    const ranged = await fetch(location, { headers: { range: "bytes=0-4" } });
    assert.equal(await ranged.text(), "%PDF-");

    const thumb = await fetch(server.url + img!.thumbnailUrl!);
    assert.equal(thumb.status, 200, "fetch follows the redirect");
    assert.equal(thumb.headers.get("content-type"), "image/webp");
    assert.equal((await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).width, 200);

    const tampered = await fetch(`${server.url}${file!.url.replace(/sig=[^&]+/, "sig=x")}`, { redirect: "manual" });
    assert.equal(tampered.status, 403, "Parley's own signature is checked before redirecting");
  });

  it("takes direct uploads: a presigned PUT to the bucket, then uploads.complete checks and stores the bytes", async () => {
    const bytes = Buffer.from(`%PDF-1.4\n% sent straight to the bucket ${Date.now()}\n%%EOF\n`);
    const presigned = await a.request("uploads.presign", { name: "direct.pdf", size: bytes.length, mimeType: "application/pdf" });
    assert.equal(presigned.method, "PUT");
    assert.ok(presigned.url.startsWith(`http://127.0.0.1:${port}/parley-media/incoming/`), presigned.url);
    const put = await fetch(presigned.url, { method: "PUT", headers: presigned.headers, body: bytes });
    assert.equal(put.status, 200, await put.text());
    // Someone else cannot complete it, and a forged token is refused.
    const bobs = await http(server, "POST", "/v1/uploads/complete", { uploadToken: presigned.uploadToken }, bob.accessToken);
    assert.equal(bobs.body.error.code, "invalid_signature");
    const forged = `${presigned.uploadToken.split(".")[0]}.AAAA`;
    const refused = await http(server, "POST", "/v1/uploads/complete", { uploadToken: forged }, alice.accessToken);
    assert.equal(refused.body.error.code, "invalid_signature");

    const attachment = await a.request("uploads.complete", { uploadToken: presigned.uploadToken });
    assert.deepEqual([attachment.name, attachment.size, attachment.mimeType], ["direct.pdf", bytes.length, "application/pdf"]);
    const again = await http(server, "POST", "/v1/uploads/complete", { uploadToken: presigned.uploadToken }, alice.accessToken);
    assert.equal(again.body.error.code, "not_found", "the staged copy is gone once completed");
    const { body } = await http(server, "POST", "/v1/files/sign", { uploadIds: [attachment.id] }, alice.accessToken);
    const res = await fetch(server.url + (body.files as SignedFile[])[0]!.url);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);

    // The bytes get the same checks as any upload: a lying declared type is refused and nothing is kept.
    const lie = await a.request("uploads.presign", { name: "cat.png", size: bytes.length, mimeType: "image/png" });
    await fetch(lie.url, { method: "PUT", headers: lie.headers, body: bytes });
    const lying = await http(server, "POST", "/v1/uploads/complete", { uploadToken: lie.uploadToken }, alice.accessToken);
    assert.equal(lying.body.error.code, "content_type_mismatch");
    const tooBig = await http(server, "POST", "/v1/uploads/presign", { name: "x.bin", size: 1e12 }, alice.accessToken);
    assert.equal(tooBig.body.error.code, "upload_too_large");
  });
});

const clusterReady =
  available && (await requireService("media cluster test (PostgreSQL, Redis)", () => probeClusterServices({ haproxy: false })));

describe("media in a cluster: two nodes on PostgreSQL, Redis and one bucket", {
  skip: clusterReady ? false : "services unavailable",
}, () => {
  let cluster: TestCluster;
  let n1: TestServer;
  let n2: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;
  const clients: ProtocolClient[] = [];

  before(async () => {
    await s3!.createBucket("parley-cluster");
    cluster = await startTestCluster({
      label: "media",
      nodeIds: ["n1", "n2"],
      config: {
        ...s3!.serverConfig("parley-cluster"),
        uploadTtlMs: 1000,
        uploadSweepIntervalMs: 0,
      },
    });
    [n1, n2] = cluster.nodes as [TestServer, TestServer];
    [alice, bob] = await Promise.all([register(n1), register(n2)]);
  });
  after(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.close();
  });

  it("a file uploaded through one node is delivered, signed and downloaded through the other", async () => {
    const a = await connectVia("ws", n1, alice.accessToken);
    const b = await connectVia("ws", n2, bob.accessToken);
    clients.push(a, b);
    const direct = (await a.request("conversations.openDirect", { userId: bob.user.id })).id;
    const bytes = Buffer.from(`%PDF-1.4\n% across nodes ${Date.now()}\n%%EOF\n`);
    const doc = await uploadFile(n1, alice.accessToken, "across.pdf", bytes);
    const ack = await a.request("messages.send", { conversationId: direct, clientId: "x", body: "", attachments: [doc.id] });
    const event = await b.waitForEvent((e) => e.event === "message" && e.data.id === ack.id);
    assert.deepEqual((event.data as { attachments: unknown }).attachments, [doc]);
    const { files } = await b.request("files.sign", { uploadIds: [doc.id] });
    // A URL signed by node 2 works on node 1: the nodes derive one URL secret from the shared token secret.
    const res = await fetch(n1.url + files[0]!.url);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  });

  it("two nodes sweeping at once delete each expired upload and unused blob exactly once", async () => {
    const shared = Buffer.from(`shared ${Date.now()}`);
    const twins = await Promise.all(
      Array.from({ length: 6 }, (_, i) => uploadFile(i % 2 ? n2 : n1, alice.accessToken, `t${i}.txt`, shared)),
    );
    const distinct = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        uploadFile(i % 2 ? n2 : n1, alice.accessToken, `d${i}.txt`, Buffer.from(`d${i} ${Date.now()}`)),
      ),
    );
    assert.equal(twins.length + distinct.length, 12);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const clock = Date.now;
    Date.now = () => clock() + 11 * 60_000;
    let results: { uploads: number; blobs: number }[];
    try {
      results = await Promise.all([n1.services.media.sweep(), n2.services.media.sweep(), n1.services.media.sweep()]);
    } finally {
      Date.now = clock;
    }
    const total = results.reduce((t, r) => ({ uploads: t.uploads + r.uploads, blobs: t.blobs + r.blobs }), {
      uploads: 0,
      blobs: 0,
    });
    // The first test's upload is shared by a message: it stays. Sweeps of both nodes split the rest between them.
    assert.equal(total.uploads, 12);
    assert.equal(total.blobs, 7, "one blob for the six twins, six for the distinct files");
    const again = await Promise.all([n1.services.media.sweep(), n2.services.media.sweep()]);
    assert.deepEqual(again, [
      { uploads: 0, blobs: 0 },
      { uploads: 0, blobs: 0 },
    ]);
  });
});

after(async () => {
  await s3?.close();
});
