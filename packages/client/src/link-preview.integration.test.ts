// Integration: link previews through the SDK against a real server that may fetch loopback pages (the test-only
// allowance): the page's metadata, the image as an absolute URL served by the server, and a documented error.

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import { after, before, describe, it } from "node:test";
import { type ParleyClient, ParleyError } from "./node.js";
import { SdkTestServer, signUp } from "./testing/real-server.js";

const PNG_1x1 = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

describe("SDK: link previews", () => {
  let server: SdkTestServer;
  let pages: Server;
  let pagesUrl = "";
  let alice: ParleyClient;

  before(async () => {
    pages = createServer((req, res) => {
      if (req.url === "/a") {
        res.writeHead(200, { "content-type": "text/html" });
        res.end('<head><title>A page</title><meta property="og:image" content="/a.png"></head>');
      } else if (req.url === "/a.png") {
        res.writeHead(200, { "content-type": "image/png" });
        res.end(PNG_1x1);
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => pages.listen(0, "127.0.0.1", resolve));
    const address = pages.address();
    pagesUrl = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    server = await SdkTestServer.start({ label: "previews", config: { linkPreviewsAllowPrivate: true } });
    alice = server.client();
    await signUp([alice, `alice_${process.pid % 10_000}l`]);
  });
  after(async () => {
    await server.close();
    await new Promise((resolve) => pages.close(resolve));
  });

  it("returns the page's title and an absolute image URL the server serves", async () => {
    const preview = await alice.linkPreview(`${pagesUrl}/a`);
    assert.equal(preview.title, "A page");
    assert.ok(preview.image?.startsWith(`${server.url}/v1/link-previews/images/`), preview.image ?? "no image");
    const image = await fetch(preview.image!);
    assert.deepEqual([image.status, image.headers.get("content-type")], [200, "image/webp"]);
  });

  it("rejects with link_preview_unavailable and the reason for a missing page", async () => {
    await assert.rejects(alice.linkPreview(`${pagesUrl}/gone`), (error: unknown) => {
      assert.ok(error instanceof ParleyError);
      assert.equal(error.code, "link_preview_unavailable");
      assert.deepEqual(error.details, { reason: "status" });
      return true;
    });
  });
});
