// Protocol tests for media: uploads (limits, sniffing, names, dedup, thumbnails), attachments on messages over every
// transport, signed downloads (authorization, expiry, tampering, ranges) and the cleanup of unreferenced uploads.

import assert from "node:assert/strict";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Attachment, AuthResult, Message, SignedFile } from "@parley/protocol";
import sharp from "sharp";
import type { BlobStore } from "../ports/blob-store.js";
import type { UploadStore } from "../ports/upload-store.js";
import {
  connectVia,
  http,
  type ProtocolClient,
  ProtocolError,
  register,
  startTestServer,
  type TestServer,
  TRANSPORTS,
  uploadFile,
  uploadRaw,
} from "./harness.js";

const LIMIT = 200_000;

/** Every blob file under the media directory (temporary files excluded). */
function blobFiles(server: TestServer): string[] {
  const root = join(server.dataDir, "media");
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) {
        if (name !== "tmp") walk(path);
      } else found.push(name);
    }
  };
  walk(root);
  return found;
}

const tmpFiles = (server: TestServer) => readdirSync(join(server.dataDir, "media", "tmp"));

async function png(width: number, height: number, color = { r: 200, g: 30, b: 60 }): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: color } })
    .png()
    .toBuffer();
}

/** A minimal valid PDF: file-type recognizes it by its `%PDF-` signature. */
function pdf(text = "hello"): Buffer {
  return Buffer.from(`%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% ${text}\ntrailer<</Root 1 0 R>>\n%%EOF\n`);
}

async function sign(server: TestServer, token: string, ids: string[]) {
  return http(server, "POST", "/v1/files/sign", { uploadIds: ids }, token);
}

async function fetchUrl(server: TestServer, url: string, headers: Record<string, string> = {}) {
  return fetch(server.url + url, { headers, redirect: "manual" });
}

describe("media: uploads", () => {
  let server: TestServer;
  let alice: AuthResult;

  before(async () => {
    server = await startTestServer({ maxUploadBytes: LIMIT, maxImagePixels: 4_000_000 });
    alice = await register(server);
  });
  after(() => server.close());

  it("stores a PDF with its sniffed type, size and name, and no thumbnail", async () => {
    const bytes = pdf("one");
    const a = await uploadFile(server, alice.accessToken, "Report 2026 (final).pdf", bytes, "application/pdf");
    assert.deepEqual(
      { ...a, id: undefined },
      {
        id: undefined,
        name: "Report 2026 (final).pdf",
        size: bytes.length,
        mimeType: "application/pdf",
        width: null,
        height: null,
        hasThumbnail: false,
      },
    );
  });

  it("records an image's dimensions and makes a WebP thumbnail of at most 320 px", async () => {
    const a = await uploadFile(server, alice.accessToken, "wide.png", await png(1000, 400), "image/png");
    assert.equal(a.mimeType, "image/png");
    assert.deepEqual([a.width, a.height, a.hasThumbnail], [1000, 400, true]);
    const [file] = (await sign(server, alice.accessToken, [a.id])).body.files as SignedFile[];
    const res = await fetchUrl(server, file!.thumbnailUrl!);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/webp");
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ["webp", 320, 128]);
  });

  it("reports the displayed size of a JPEG rotated by its EXIF orientation", async () => {
    const jpeg = await sharp({ create: { width: 300, height: 100, channels: 3, background: "#0a0" } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const a = await uploadFile(server, alice.accessToken, "portrait.jpg", jpeg, "image/jpeg");
    assert.deepEqual([a.mimeType, a.width, a.height], ["image/jpeg", 100, 300]);
  });

  it("sniffs the type from the bytes, not from the name or the client: UTF-8 text, unknown binary", async () => {
    const text = await uploadFile(server, alice.accessToken, "notes.exe", Buffer.from("héllo wörld\n"), "application/x-foo");
    assert.equal(text.mimeType, "text/plain; charset=utf-8");
    const binary = await uploadFile(server, alice.accessToken, "data.png.bin", Buffer.from([0xff, 0x00, 0xfe, 0x01, 0x80]));
    assert.equal(binary.mimeType, "application/octet-stream");
  });

  it("accepts an SVG as a file attachment: typed image/svg+xml, never a thumbnail, downloaded, not shown inline", async () => {
    const svg = `<?xml version="1.0"?>\n<!-- drawn by hand -->\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>\n`;
    const a = await uploadFile(server, alice.accessToken, "logo.svg", Buffer.from(svg), "image/svg+xml");
    assert.deepEqual([a.mimeType, a.hasThumbnail, a.width, a.height], ["image/svg+xml", false, null, null]);
    const bare = await uploadFile(server, alice.accessToken, "bare.svg", Buffer.from('<svg viewBox="0 0 1 1"></svg>'));
    assert.equal(bare.mimeType, "image/svg+xml", "sniffed from the bytes without a declared type too");
    const signed = await sign(server, alice.accessToken, [a.id]);
    const res = await fetchUrl(server, signed.body.files[0].url);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get("content-type"), "image/svg+xml");
    assert.match(res.headers.get("content-disposition")!, /^attachment; filename="logo.svg"/);
    assert.equal(res.headers.get("x-content-type-options"), "nosniff");
    assert.equal(await res.text(), svg);
    const notSvg = await uploadRaw(
      server,
      alice.accessToken,
      "fake.svg",
      Buffer.from("<html><svg></svg></html>"),
      "image/svg+xml",
    );
    assert.deepEqual([notSvg.status, notSvg.body.error.code], [415, "content_type_mismatch"], "text that is not an SVG");
  });

  it("stores the same bytes once however often they are uploaded (content addressing)", async () => {
    const before = blobFiles(server).length;
    const bytes = pdf(`dedup-${Date.now()}`);
    const first = await uploadFile(server, alice.accessToken, "a.pdf", bytes);
    const second = await uploadFile(server, alice.accessToken, "b.pdf", bytes);
    assert.notEqual(first.id, second.id, "two uploads, two ids and names");
    assert.equal(blobFiles(server).length, before + 1, "one blob for both");
  });

  it("refuses an upload over the limit with 413 and stores nothing (declared length and streamed)", async () => {
    const before = blobFiles(server).length;
    const tooBig = Buffer.alloc(LIMIT + 1, 7);
    const declared = await uploadRaw(server, alice.accessToken, "big.bin", tooBig);
    assert.equal(declared.status, 413);
    assert.equal(declared.body.error.code, "upload_too_large");
    // Chunked, no Content-Length: cut off while streaming, as soon as the limit is passed.
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent >= LIMIT * 3) return controller.close();
        sent += 16_384;
        controller.enqueue(new Uint8Array(16_384).fill(1));
      },
    });
    const streamed = await uploadRaw(server, alice.accessToken, "big-stream.bin", stream).catch((error: Error) => error);
    if (!(streamed instanceof Error)) {
      assert.equal(streamed.status, 413);
      assert.equal(streamed.body.error.code, "upload_too_large");
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(blobFiles(server).length, before, "no blob stored");
    assert.deepEqual(tmpFiles(server), [], "no temporary file left");
  });

  it("refuses an empty upload, a lying content type, an executable, a bomb-sized image and path tricks", async () => {
    const before = blobFiles(server).length;
    const cases: [string, Awaited<ReturnType<typeof uploadRaw>>, number, string][] = [
      ["empty", await uploadRaw(server, alice.accessToken, "empty.txt", new Uint8Array()), 400, "empty_upload"],
      [
        "PDF declared as PNG",
        await uploadRaw(server, alice.accessToken, "cat.png", pdf("lie"), "image/png"),
        415,
        "content_type_mismatch",
      ],
      [
        "text declared as JPEG",
        await uploadRaw(server, alice.accessToken, "cat.jpg", Buffer.from("just text"), "image/jpeg"),
        415,
        "content_type_mismatch",
      ],
      [
        "ELF executable",
        await uploadRaw(
          server,
          alice.accessToken,
          "tool",
          Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(64)]),
        ),
        415,
        "unsupported_media_type",
      ],
      [
        "truncated PNG",
        await uploadRaw(server, alice.accessToken, "broken.png", (await png(50, 50)).subarray(0, 60), "image/png"),
        415,
        "unsupported_media_type",
      ],
      [
        "5000×1000 image over the pixel limit",
        await uploadRaw(server, alice.accessToken, "huge.png", await png(5000, 1000)),
        413,
        "upload_too_large",
      ],
      ["no name", await uploadRaw(server, alice.accessToken, undefined, pdf()), 400, "invalid_file_name"],
      ["../ in name", await uploadRaw(server, alice.accessToken, "../../etc/passwd", pdf()), 400, "invalid_file_name"],
      ["backslash", await uploadRaw(server, alice.accessToken, "..\\win.ini", pdf()), 400, "invalid_file_name"],
      ["dot-dot", await uploadRaw(server, alice.accessToken, "..", pdf()), 400, "invalid_file_name"],
      ["control char", await uploadRaw(server, alice.accessToken, "a\nb.pdf", pdf()), 400, "invalid_file_name"],
      ["bidi override", await uploadRaw(server, alice.accessToken, "invoice\u202Efdp.exe", pdf()), 400, "invalid_file_name"],
      ["256 bytes", await uploadRaw(server, alice.accessToken, `${"x".repeat(252)}.pdf`, pdf()), 400, "invalid_file_name"],
      ["no token", await uploadRaw(server, undefined, "a.pdf", pdf()), 401, "unauthorized"],
      [
        "multipart form",
        await uploadRaw(server, alice.accessToken, "form.pdf", pdf(), "multipart/form-data; boundary=x"),
        415,
        "unsupported_media_type",
      ],
    ];
    for (const [label, res, status, code] of cases) {
      assert.equal(res.status, status, `${label}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, code, label);
      assert.ok(res.body.error.message.length > 10, `${label}: a message says why`);
    }
    assert.equal(blobFiles(server).length, before, "nothing stored");
    assert.deepEqual(tmpFiles(server), [], "no temporary file left");
    const after = await uploadFile(server, alice.accessToken, "still-works.pdf", pdf("after"));
    assert.equal(after.mimeType, "application/pdf", "the server still accepts uploads");
  });

  it("takes the name from a percent-encoded X-File-Name header too", async () => {
    const res = await fetch(`${server.url}/v1/uploads`, {
      method: "POST",
      headers: { authorization: `Bearer ${alice.accessToken}`, "x-file-name": encodeURIComponent("Résumé 2026.txt") },
      body: "plain words",
    });
    assert.equal(res.status, 201);
    const a = (await res.json()) as Attachment;
    assert.deepEqual([a.name, a.mimeType], ["Résumé 2026.txt", "text/plain; charset=utf-8"]);
  });

  it("answers direct-upload requests with not_supported when files are kept in the local directory", async () => {
    const res = await http(server, "POST", "/v1/uploads/presign", { name: "a.pdf", size: 10 }, alice.accessToken);
    assert.equal(res.status, 501);
    assert.equal(res.body.error.code, "not_supported");
  });

  it("counts uploads in the metrics", async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /parley_uploads_total\{kind="image"\} [1-9]/);
    assert.match(text, /parley_upload_bytes_total [1-9]/);
    assert.match(text, /parley_uploads_rejected_total\{code="invalid_file_name"\} [1-9]/);
  });
});

for (const transport of TRANSPORTS)
  describe(`media: attachments over ${transport}`, () => {
    let server: TestServer;
    let alice: AuthResult;
    let bob: AuthResult;
    let carol: AuthResult;
    let a: ProtocolClient;
    let b: ProtocolClient;
    let group: string;
    let image: Attachment;
    let doc: Attachment;

    before(async () => {
      server = await startTestServer();
      [alice, bob, carol] = await Promise.all([register(server), register(server), register(server)]);
      [a, b] = await Promise.all([
        connectVia(transport, server, alice.accessToken),
        connectVia(transport, server, bob.accessToken),
      ]);
      group = (await a.request("conversations.createGroup", { title: "Pics", memberIds: [bob.user.id] })).id;
      image = await uploadFile(server, alice.accessToken, "sunset.png", await png(640, 480), "image/png");
      doc = await uploadFile(server, alice.accessToken, "plan.pdf", pdf("plan"), "application/pdf");
    });
    after(async () => {
      await Promise.all([a, b].map((x) => x.close()));
      await server.close();
    });

    it("delivers a message with attachments (and an empty body) live, in history, sync and the conversation list", async () => {
      const ack = await a.request("messages.send", {
        conversationId: group,
        clientId: "att-1",
        body: "",
        attachments: [image.id, doc.id],
      });
      const event = await b.waitForEvent((e) => e.event === "message" && e.data.id === ack.id);
      const live = event.data as Message;
      assert.deepEqual(live.attachments, [image, doc], "metadata in the sender's order");
      assert.equal(live.body, "");
      const { messages } = await b.request("messages.history", { conversationId: group });
      assert.deepEqual(messages.find((m) => m.id === ack.id)?.attachments, [image, doc]);
      const sync = await b.request("sync", { cursors: {} });
      const synced = sync.conversations.find((c) => c.conversationId === group)!.messages.find((m) => m.id === ack.id);
      assert.deepEqual(synced?.attachments, [image, doc]);
      const list = await b.request("conversations.list", {});
      assert.deepEqual(list.conversations.find((c) => c.id === group)?.lastMessage?.attachments, [image, doc]);
      const http1 = await http(server, "GET", `/v1/conversations/${group}/messages`, undefined, bob.accessToken);
      assert.deepEqual(http1.body.messages.find((m: Message) => m.id === ack.id).attachments, [image, doc]);
      assert.ok(
        messages.filter((m) => m.kind === "system").every((m) => Array.isArray(m.attachments) && m.attachments.length === 0),
      );
    });

    it("sends attachments over HTTP too, and a repeated clientId returns the original", async () => {
      const body = { clientId: "att-http", body: "see attached", attachments: [doc.id] };
      const first = await http(server, "POST", `/v1/conversations/${group}/messages`, body, alice.accessToken);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const again = await http(server, "POST", `/v1/conversations/${group}/messages`, body, alice.accessToken);
      assert.deepEqual([again.body.id, again.body.duplicate], [first.body.id, true]);
      const event = await b.waitForEvent((e) => e.event === "message" && e.data.id === first.body.id);
      assert.deepEqual((event.data as Message).attachments, [doc]);
    });

    it("refuses someone else's upload, an unknown one, too many and a blank message without any", async () => {
      const carols = await uploadFile(server, carol.accessToken, "mine.pdf", pdf("carol"));
      const refuse = async (args: Record<string, unknown>) => {
        try {
          await a.requestRaw("messages.send", { conversationId: group, clientId: `r-${Math.random()}`, body: "x", ...args });
          assert.fail("accepted");
        } catch (error) {
          assert.ok(error instanceof ProtocolError, String(error));
          return error.error;
        }
      };
      const foreign = await refuse({ attachments: [carols.id] });
      assert.equal(foreign.code, "not_found");
      assert.equal(foreign.details?.["uploadId"], carols.id);
      assert.equal((await refuse({ attachments: ["nope"] })).code, "not_found");
      const eleven = Array.from({ length: 11 }, (_, i) => `u${i}`);
      assert.equal((await refuse({ attachments: eleven })).code, "validation_failed");
      assert.equal((await refuse({ body: "  ", attachments: [] })).code, "validation_failed");
      // Nothing was stored: the next message still gets the next seq.
      const { lastSeq } = await a.request("conversations.get", { conversationId: group });
      const ack = await a.request("messages.send", { conversationId: group, clientId: `ok-${transport}`, body: "ok" });
      assert.equal(ack.seq, lastSeq + 1);
    });

    it("lets members download through signed URLs, with types, dispositions, ETags and ranges", async () => {
      const signed = await b.request("files.sign", { uploadIds: [image.id, doc.id] });
      const [img, file] = signed.files;
      assert.ok(img && file);
      assert.ok(img.expiresAt > Date.now() + 60_000);
      assert.equal(file.thumbnailUrl, null);
      const full = await fetchUrl(server, img.url);
      assert.equal(full.status, 200);
      assert.equal(full.headers.get("content-type"), "image/png");
      assert.match(full.headers.get("content-disposition")!, /^inline; filename="sunset.png"/);
      assert.equal(full.headers.get("x-content-type-options"), "nosniff");
      const bytes = Buffer.from(await full.arrayBuffer());
      assert.equal(bytes.length, image.size);
      const etag = full.headers.get("etag")!;
      assert.equal((await fetchUrl(server, img.url, { "if-none-match": etag })).status, 304);

      const pdfRes = await fetchUrl(server, file.url);
      assert.equal(pdfRes.headers.get("content-type"), "application/pdf");
      assert.match(pdfRes.headers.get("content-disposition")!, /^attachment; filename="plan.pdf"/);
      const pdfBytes = Buffer.from(await pdfRes.arrayBuffer());
      assert.ok(pdfBytes.toString().startsWith("%PDF-"));

      const part = await fetchUrl(server, file.url, { range: "bytes=5-14" });
      assert.equal(part.status, 206);
      assert.equal(part.headers.get("content-range"), `bytes 5-14/${doc.size}`);
      assert.deepEqual(Buffer.from(await part.arrayBuffer()), pdfBytes.subarray(5, 15));
      const tail = await fetchUrl(server, file.url, { range: "bytes=-6" });
      assert.deepEqual(Buffer.from(await tail.arrayBuffer()), pdfBytes.subarray(-6));
      const outside = await fetchUrl(server, file.url, { range: `bytes=${doc.size + 10}-` });
      assert.equal(outside.status, 416);
      assert.equal(outside.headers.get("content-range"), `bytes */${doc.size}`);
      assert.equal(((await outside.json()) as { error: { code: string } }).error.code, "range_not_satisfiable");
    });

    it("refuses to sign for non-members, and refuses tampered, expired and misapplied signatures", async () => {
      const outsider = await sign(server, carol.accessToken, [image.id]);
      assert.equal(outsider.status, 404);
      assert.equal(outsider.body.error.code, "not_found");
      assert.ok(!JSON.stringify(outsider.body).includes("sunset"));

      const { files } = (await sign(server, alice.accessToken, [image.id])).body as { files: SignedFile[] };
      const url = new URL(files[0]!.url, server.url);
      const variants: [string, (u: URL) => void, string][] = [
        [
          "signature altered",
          (u) => u.searchParams.set("sig", `${u.searchParams.get("sig")!.slice(0, -2)}AA`),
          "invalid_signature",
        ],
        [
          "expiry extended",
          (u) => u.searchParams.set("exp", String(Number(u.searchParams.get("exp")) + 3600)),
          "invalid_signature",
        ],
        ["another file", (u) => (u.pathname = `/v1/files/${doc.id}`), "invalid_signature"],
        ["thumbnail of it", (u) => u.searchParams.set("v", "thumb"), "invalid_signature"],
        ["no signature", (u) => u.searchParams.delete("sig"), "invalid_signature"],
      ];
      for (const [label, change, code] of variants) {
        const u = new URL(url);
        change(u);
        const res = await fetch(u, { redirect: "manual" });
        assert.equal(res.status, 403, label);
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, code, label);
      }
      // A download URL of a file that does not exist needs a valid signature first: unsigned probes learn nothing.
      const probe = await fetchUrl(server, "/v1/files/doesnotexist?v=original&exp=9999999999&sig=abc");
      assert.equal(probe.status, 403);
    });
  });

describe("media: authorization by membership and signature expiry", () => {
  let server: TestServer;
  let alice: AuthResult;
  let bob: AuthResult;
  let a: ProtocolClient;

  before(async () => {
    server = await startTestServer({ fileUrlTtlSeconds: 5 });
    [alice, bob] = await Promise.all([register(server), register(server)]);
    a = await connectVia("ws", server, alice.accessToken);
  });
  after(async () => {
    await a.close();
    await server.close();
  });

  it("gives a former member the files shared before they left, not those shared after", async () => {
    const group = (await a.request("conversations.createGroup", { title: "G", memberIds: [bob.user.id] })).id;
    const early = await uploadFile(server, alice.accessToken, "early.pdf", pdf("early"));
    const late = await uploadFile(server, alice.accessToken, "late.pdf", pdf("late"));
    const unsent = await uploadFile(server, alice.accessToken, "unsent.pdf", pdf("unsent"));
    await a.request("messages.send", { conversationId: group, clientId: "e", body: "", attachments: [early.id] });
    await a.request("members.remove", { conversationId: group, userId: bob.user.id });
    await a.request("messages.send", { conversationId: group, clientId: "l", body: "", attachments: [late.id] });
    assert.equal((await sign(server, bob.accessToken, [early.id])).status, 200);
    assert.equal((await sign(server, bob.accessToken, [late.id])).body.error.code, "not_found");
    assert.equal((await sign(server, bob.accessToken, [unsent.id])).body.error.code, "not_found", "not shared yet");
    assert.equal((await sign(server, alice.accessToken, [unsent.id])).status, 200, "the uploader may");
    assert.equal((await sign(server, bob.accessToken, [early.id, late.id])).status, 404, "a batch is all or nothing");
  });

  it("stops sharing a file when its message is deleted for everyone: the tombstone keeps no attachments", async () => {
    const group = (await a.request("conversations.createGroup", { title: "D", memberIds: [bob.user.id] })).id;
    const file = await uploadFile(server, alice.accessToken, "gone.pdf", pdf("gone"));
    const ack = await a.request("messages.send", {
      conversationId: group,
      clientId: "del-1",
      body: "see",
      attachments: [file.id],
    });
    assert.equal((await sign(server, bob.accessToken, [file.id])).status, 200, "shared with the member");
    const result = await a.request("messages.delete", {
      conversationId: group,
      seq: ack.seq,
      clientId: "del-2",
      scope: "everyone",
    });
    assert.deepEqual(result.message.attachments, []);
    assert.equal((await sign(server, bob.accessToken, [file.id])).body.error.code, "not_found", "no longer shared");
    assert.equal((await sign(server, alice.accessToken, [file.id])).status, 200, "the uploader still may");
    const { messages } = await a.request("messages.history", { conversationId: group });
    const tombstone = messages.find((m) => m.seq === ack.seq);
    assert.ok(tombstone?.deletedAt !== undefined);
    assert.deepEqual(tombstone?.attachments, []);
  });

  it("refuses a download URL after its expiry with signature_expired", async () => {
    const file = await uploadFile(server, alice.accessToken, "soon.pdf", pdf("soon"));
    const { files } = (await sign(server, alice.accessToken, [file.id])).body as { files: SignedFile[] };
    const url = files[0]!.url;
    assert.equal((await fetchUrl(server, url)).status, 200);
    // Expiries are rounded up to the minute: look at the URL's own expiry and ask the server's clock to pass it.
    const exp = Number(new URL(url, server.url).searchParams.get("exp"));
    const original = Date.now;
    Date.now = () => exp * 1000 + 1;
    try {
      const res = await fetchUrl(server, url);
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, "signature_expired");
    } finally {
      Date.now = original;
    }
  });
});

describe("media: cleanup of unreferenced uploads", () => {
  let server: TestServer;
  let alice: AuthResult;
  let a: ProtocolClient;

  before(async () => {
    server = await startTestServer({ uploadTtlMs: 1000, uploadSweepIntervalMs: 0 });
    alice = await register(server);
    a = await connectVia("ws", server, alice.accessToken);
  });
  after(async () => {
    await a.close();
    await server.close();
  });

  it("deletes expired uploads no message references and then their blobs, keeping shared ones", async () => {
    const group = (await a.request("conversations.createGroup", { title: "Keep", memberIds: [] })).id;
    const kept = await uploadFile(server, alice.accessToken, "kept.png", await png(40, 30, { r: 1, g: 2, b: 3 }));
    const dropped = await uploadFile(server, alice.accessToken, "dropped.png", await png(40, 30, { r: 9, g: 9, b: 9 }));
    const droppedTwin = await uploadFile(server, alice.accessToken, "same-bytes.pdf", pdf("twin"));
    const keptTwin = await uploadFile(server, alice.accessToken, "same-bytes-kept.pdf", pdf("twin"));
    await a.request("messages.send", {
      conversationId: group,
      clientId: "k",
      body: "",
      attachments: [kept.id, keptTwin.id],
    });
    const blobsBefore = blobFiles(server).length;
    assert.equal(blobsBefore, 5, "two images with thumbnails, one PDF stored once");

    // Too young: nothing happens.
    assert.deepEqual(await server.services.media.sweep(), { uploads: 0, blobs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    // Old enough; the blobs are only deleted once nobody has claimed them for the grace period (10 minutes).
    const clock = Date.now;
    const swept = await server.services.media.sweep();
    assert.deepEqual(swept, { uploads: 2, blobs: 0 }, "the unreferenced uploads, not yet their blobs");
    Date.now = () => clock() + 11 * 60_000;
    try {
      const later = await server.services.media.sweep();
      assert.deepEqual(later, { uploads: 0, blobs: 2 }, "the dropped image and its thumbnail; the PDF is still used");
    } finally {
      Date.now = clock;
    }
    assert.equal(blobFiles(server).length, blobsBefore - 2);
    assert.equal((await sign(server, alice.accessToken, [dropped.id])).status, 404);
    assert.equal((await sign(server, alice.accessToken, [droppedTwin.id])).status, 404);
    const { files } = (await sign(server, alice.accessToken, [kept.id, keptTwin.id])).body as { files: SignedFile[] };
    for (const f of files) assert.equal((await fetchUrl(server, f.url)).status, 200, "shared files stay downloadable");
    const text = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(text, /parley_media_swept_total\{kind="upload"\} 2/);
  });

  it("an upload of bytes a sweeper is deleting waits for it, then stores them again", async () => {
    const ports = server.services.media as unknown as { uploads: UploadStore; blobs: BlobStore };
    const bytes = pdf(`race-${Date.now()}`);
    const first = await uploadFile(server, alice.accessToken, "race.pdf", bytes);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const clock = Date.now;
    Date.now = () => clock() + 11 * 60_000;
    let marked: string[];
    try {
      assert.ok((await ports.uploads.deleteExpiredUploads(Date.now() - 1000, 100)) >= 1);
      // A sweeper marks the blob and is about to delete its bytes…
      marked = await ports.uploads.markUnusedBlobs(Date.now() - 60_000, 0, Date.now(), 100);
    } finally {
      Date.now = clock;
    }
    assert.equal(marked.length, 1);
    const key = marked[0]!;
    // …while the same bytes are uploaded again: the upload waits for the sweeper instead of losing its bytes.
    const again = uploadFile(server, alice.accessToken, "race-again.pdf", bytes);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ports.blobs.delete(key);
    await ports.uploads.forgetBlob(key);
    const second = await again;
    assert.notEqual(second.id, first.id);
    assert.ok(await ports.blobs.stat(key), "the bytes are stored again");
    const { files } = (await sign(server, alice.accessToken, [second.id])).body as { files: SignedFile[] };
    const res = await fetchUrl(server, files[0]!.url);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), bytes);
  });
});
