// links.preview (docs/protocol.md §6.16) against a local web server: OpenGraph, Twitter and <title> metadata, the image
// fetched and served as a stored thumbnail, the cache (a second request does not reach the page), redirects, failures
// cached for a shorter time, the SSRF rules of push delivery (loopback, private and link-local addresses, a host name
// that resolves to one, other schemes after a redirect), size and content-type limits, the time limit, the per-user
// rate limit and the operator switch. On both engines.

import assert from "node:assert/strict";
import { lookup } from "node:dns/promises";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { AuthResult } from "@parley/protocol";
import sharp from "sharp";
import { SqliteLinkPreviewStore } from "../adapters/sqlite/sqlite-link-preview-store.js";
import { SqliteStore } from "../adapters/sqlite/sqlite-store.js";
import { isPrivateAddress } from "../domain/push-endpoint.js";
import { LinkPreviewService, PREVIEW_LIMITS } from "../services/link-previews/link-preview-service.js";
import { ImageProcessor } from "../services/thumbnails.js";
import { probePostgres, probeRedis } from "./cluster-harness.js";
import { http, register, startTestCluster, startTestServer, type TestServer } from "./harness.js";
import { requireService } from "./services.js";

const clusterAvailable = await requireService("link previews on a cluster node (PostgreSQL, Redis)", async () => {
  await probePostgres();
  await probeRedis();
});

/** The local "web": pages by path, and how often each was asked for. */
class PageServer {
  readonly hits = new Map<string, number>();
  private server!: Server;
  url = "";
  png!: Buffer;

  async start(): Promise<void> {
    this.png = await sharp({ create: { width: 800, height: 400, channels: 3, background: "#3366cc" } })
      .png()
      .toBuffer();
    this.server = createServer((req, res) => this.answer(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  count(path: string): number {
    return this.hits.get(path) ?? 0;
  }

  private answer(req: IncomingMessage, res: ServerResponse): unknown {
    const path = (req.url ?? "/").split("?")[0]!;
    this.hits.set(path, this.count(path) + 1);
    const html = (head: string) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><html><head>${head}</head><body><p>Body text</p></body></html>`);
    };
    switch (path) {
      case "/og":
        return html(
          '<title>Plain title</title><meta property="og:title" content="Open &amp; Graph">' +
            '<meta property="og:description" content="  The   description  "><meta property="og:site_name" content="Example">' +
            '<meta property="og:image" content="/image.png">',
        );
      case "/twitter":
        return html('<meta name="twitter:title" content="Tweet title"><meta name="twitter:description" content="Card">');
      case "/title":
        return html('<title>Only a &lt;title&gt;</title><meta name="description" content="Meta description">');
      case "/broken-image":
        return html('<meta property="og:title" content="No picture"><meta property="og:image" content="/not-an-image">');
      case "/image.png":
        res.writeHead(200, { "content-type": "image/png" });
        return void res.end(this.png);
      case "/not-an-image":
        res.writeHead(200, { "content-type": "image/png" });
        return void res.end("not a png");
      case "/redirect":
        res.writeHead(302, { location: "/og" });
        return void res.end();
      case "/redirect-ftp":
        res.writeHead(301, { location: "ftp://127.0.0.1/file" });
        return void res.end();
      case "/big": {
        res.writeHead(200, { "content-type": "text/html" });
        // No Content-Length: the limit must hold while reading.
        const chunk = `<p>${"x".repeat(1020)}</p>`;
        for (let i = 0; i < 600; i++) res.write(chunk);
        return void res.end();
      }
      case "/json":
        res.writeHead(200, { "content-type": "application/json" });
        return void res.end("{}");
      case "/slow":
        // Never answers: the time limit must end the request.
        return;
      default:
        res.writeHead(404, { "content-type": "text/plain" });
        res.end("not found");
    }
  }
}

const deployments: [
  string,
  (config: Record<string, unknown>) => Promise<{ node: TestServer; close(): Promise<void> }>,
  boolean,
][] = [
  [
    "embedded (SQLite)",
    async (config) => {
      const server = await startTestServer(config);
      return { node: server, close: () => server.close() };
    },
    true,
  ],
  [
    "cluster (PostgreSQL + Redis)",
    async (config) => {
      const cluster = await startTestCluster({ label: "previews", nodeIds: ["p1"], config });
      return { node: cluster.nodes[0]!, close: () => cluster.close() };
    },
    clusterAvailable,
  ],
];

for (const [name, start, available] of deployments) {
  describe(`links.preview: ${name}`, { skip: !available && "services unavailable", timeout: 120_000 }, () => {
    const pages = new PageServer();
    let open: { node: TestServer; close(): Promise<void> };
    let strict: { node: TestServer; close(): Promise<void> };
    let off: { node: TestServer; close(): Promise<void> };
    let alice: AuthResult;
    let run = 0;
    const preview = (url: string, server = open.node, who = alice) =>
      http(server, "POST", "/v1/links/preview", { url }, who.accessToken);

    before(async () => {
      await pages.start();
      // The test-only allowance, as push tests use PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS: the pages are on loopback.
      open = await start({ linkPreviewsAllowPrivate: true, rateLinkPreviews: { capacity: 40, windowMs: 60_000 } });
      alice = await register(open.node);
    });
    after(async () => {
      await open?.close();
      await strict?.close();
      await off?.close();
      await pages.close();
    });

    it("reads OpenGraph metadata and serves the image as a stored WebP thumbnail", async () => {
      const url = `${pages.url}/og?run=${++run}`;
      const res = await preview(url);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const { image, ...rest } = res.body;
      assert.deepEqual(rest, { url, title: "Open & Graph", description: "The description", siteName: "Example" });
      assert.match(image, /^\/v1\/link-previews\/images\/[A-Za-z0-9_-]{20,}$/);
      const thumb = await fetch(open.node.url + image);
      assert.equal(thumb.status, 200);
      assert.equal(thumb.headers.get("content-type"), "image/webp");
      assert.equal(thumb.headers.get("x-content-type-options"), "nosniff");
      const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
      assert.deepEqual([meta.format, meta.width, meta.height], ["webp", 320, 160], "scaled to the thumbnail size");
      assert.equal((await fetch(`${open.node.url}/v1/link-previews/images/unknown`)).status, 404);
    });

    it("falls back to Twitter card and <title> metadata, and goes without a broken image", async () => {
      const twitter = await preview(`${pages.url}/twitter?run=${++run}`);
      assert.equal(twitter.body.title, "Tweet title");
      assert.equal(twitter.body.description, "Card");
      assert.equal(twitter.body.siteName, null);
      const title = await preview(`${pages.url}/title?run=${run}`);
      assert.equal(title.body.title, "Only a <title>");
      assert.equal(title.body.description, "Meta description");
      assert.equal(title.body.image, null);
      const broken = await preview(`${pages.url}/broken-image?run=${run}`);
      assert.equal(broken.status, 200);
      assert.deepEqual([broken.body.title, broken.body.image], ["No picture", null]);
    });

    it("answers a second request from the cache, for every user", async () => {
      const url = `${pages.url}/og?cache=${++run}`;
      const before = pages.count("/og");
      const first = await preview(url);
      assert.equal(pages.count("/og"), before + 1);
      const again = await preview(url);
      assert.deepEqual(again.body, first.body);
      assert.equal(pages.count("/og"), before + 1, "the cache answered: the page was not fetched again");
      const bob = await register(open.node);
      assert.deepEqual((await preview(url, open.node, bob)).body, first.body, "the cache is shared by all users");
    });

    it("follows redirects, checking each hop", async () => {
      const res = await preview(`${pages.url}/redirect?run=${++run}`);
      assert.equal(res.status, 200);
      assert.equal(res.body.title, "Open & Graph");
      const ftp = await preview(`${pages.url}/redirect-ftp?run=${run}`);
      assert.equal(ftp.status, 422);
      assert.deepEqual([ftp.body.error.code, ftp.body.error.details], ["link_preview_unavailable", { reason: "blocked" }]);
    });

    it("refuses pages that are not HTML, too large or missing, and caches the failure", async () => {
      const reason = async (path: string) => {
        const res = await preview(`${pages.url}${path}?run=${run}`);
        assert.equal(res.status, 422, JSON.stringify(res.body));
        assert.equal(res.body.error.code, "link_preview_unavailable");
        return res.body.error.details.reason;
      };
      run++;
      assert.equal(await reason("/json"), "not_html");
      assert.equal(await reason("/big"), "too_large");
      assert.equal(await reason("/missing"), "status");
      const hits = pages.count("/missing");
      assert.equal(await reason("/missing"), "status");
      assert.equal(pages.count("/missing"), hits, "the failure came from the cache");
    });

    it("refuses bad URLs with validation_failed", async () => {
      for (const url of ["javascript:alert(1)", "ftp://example.org/", "not a url", "https://user:pw@example.org/"]) {
        const res = await preview(url);
        assert.equal(res.status, 400, url);
        assert.deepEqual([res.body.error.code, res.body.error.details], ["validation_failed", { field: "url" }], url);
      }
    });

    it("refuses loopback, private and link-local addresses (and names resolving to them) without the allowance", async () => {
      strict = await start({});
      const carol = await register(strict.node);
      const blocked = [
        `${pages.url}/og`,
        "http://localhost:1/",
        "http://[::1]/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/",
        "http://[::ffff:127.0.0.1]/",
      ];
      // The machine's own name resolves to a loopback or private address here: refused when connecting.
      const own = await lookup(hostname()).catch(() => undefined);
      if (own && isPrivateAddress(own.address)) blocked.push(`http://${hostname()}:1/`);
      const before = pages.count("/og");
      for (const url of blocked) {
        const res = await preview(url, strict.node, carol);
        assert.equal(res.status, 422, url);
        assert.deepEqual([res.body.error.code, res.body.error.details], ["link_preview_unavailable", { reason: "blocked" }], url);
      }
      assert.equal(pages.count("/og"), before, "nothing reached the page server");
    });

    it("limits previews per user (rate_limited, details.limit link_previews)", async () => {
      const dave = await register(open.node);
      let limited: { status: number; body: { error: { code: string; details: { limit: string } } } } | undefined;
      for (let i = 0; i < 45 && !limited; i++) {
        const res = await preview(`${pages.url}/missing?rate=${i}`, open.node, dave);
        if (res.status === 429) limited = res;
      }
      assert.ok(limited, "the 41st preview within a minute is refused");
      assert.deepEqual([limited.body.error.code, limited.body.error.details.limit], ["rate_limited", "link_previews"]);
    });

    it("answers link_previews_disabled when the operator turned previews off", async () => {
      off = await start({ linkPreviews: "off", linkPreviewsAllowPrivate: true });
      const erin = await register(off.node);
      const before = pages.count("/og");
      const res = await preview(`${pages.url}/og`, off.node, erin);
      assert.equal(res.status, 409);
      assert.equal(res.body.error.code, "link_previews_disabled");
      assert.equal(pages.count("/og"), before);
    });
  });
}

describe("link preview fetching: the time limit", () => {
  it("gives up on a page that does not answer within the limit (timeout), and caches that", async () => {
    const pages = new PageServer();
    await pages.start();
    const dir = mkdtempSync(join(tmpdir(), "parley-previews-"));
    const store = SqliteStore.open(join(dir, "store.db"));
    try {
      const service = new LinkPreviewService(
        { linkPreviews: "on", linkPreviewsAllowPrivate: true },
        new SqliteLinkPreviewStore(store.handle),
        new ImageProcessor({ maxImagePixels: 40_000_000, imageDecodeConcurrency: 1, keepImageMetadata: false }),
        { ...PREVIEW_LIMITS, timeoutMs: 300 },
      );
      const started = Date.now();
      await assert.rejects(service.preview(`${pages.url}/slow`), (e: { code: string; details: unknown }) => {
        assert.deepEqual([e.code, e.details], ["link_preview_unavailable", { reason: "timeout" }]);
        return true;
      });
      const took = Date.now() - started;
      assert.ok(took >= 250 && took < 3000, `gave up after ${took} ms`);
      await assert.rejects(service.preview(`${pages.url}/slow`), { code: "link_preview_unavailable" });
      assert.equal(pages.count("/slow"), 1, "the failure was cached");
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
      await pages.close();
    }
  });
});
