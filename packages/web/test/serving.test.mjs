// How the server serves the built app (packages/server/src/transport/static.ts): the app at / and at client routes,
// long-lived caching of hashed assets, API paths untouched, and a build hint when the app was not built.

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { get as httpGet } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import Fastify from "fastify";
import { mountWebApp } from "../../server/dist/transport/static.js";
import { startServer } from "./browser.mjs";

/** A GET whose body is the bytes on the wire (fetch() would decode a compressed answer). */
function rawGet(url, headers) {
  return new Promise((resolve, reject) => {
    httpGet(url, { headers }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      res.on("error", reject);
    }).on("error", reject);
  });
}

const DIST = join(dirname(fileURLToPath(import.meta.url)), "..", "dist");

describe("serving the web app", () => {
  let server;
  before(async () => {
    server = await startServer();
  });
  after(() => server?.close());

  const get = (path) => fetch(server.url + path);

  it("answers / and client routes with index.html, not cached", async () => {
    for (const path of ["/", "/c/C_abc", "/index.html"]) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.match(res.headers.get("content-type") ?? "", /^text\/html/);
      assert.equal(res.headers.get("cache-control"), "no-cache");
      assert.match(await res.text(), /<div id="root">/);
    }
  });

  it("serves hashed assets for a year and other files briefly", async () => {
    const asset = readdirSync(join(DIST, "assets")).find((f) => f.endsWith(".js"));
    const res = await get(`/assets/${asset}`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /javascript/);
    assert.equal(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    await res.arrayBuffer();
    const icon = await get("/favicon.svg");
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get("cache-control"), "public, max-age=3600");
    await icon.arrayBuffer();
  });

  it("sends the build's Brotli or gzip copy to browsers that accept it, varying on Accept-Encoding", async () => {
    // The main bundle (the largest script): a small lazy chunk may not compress to a third of its size.
    const asset = readdirSync(join(DIST, "assets"))
      .filter((f) => f.endsWith(".js"))
      .sort((a, b) => statSync(join(DIST, "assets", b)).size - statSync(join(DIST, "assets", a)).size)[0];
    const plain = readFileSync(join(DIST, "assets", asset));
    for (const [accept, encoding, decode] of [
      ["gzip, deflate, br, zstd", "br", brotliDecompressSync],
      ["gzip", "gzip", gunzipSync],
    ]) {
      const res = await rawGet(`${server.url}/assets/${asset}`, { "accept-encoding": accept });
      assert.equal(res.headers["content-encoding"], encoding, accept);
      assert.match(res.headers.vary ?? "", /accept-encoding/i);
      assert.match(res.headers["content-type"] ?? "", /javascript/);
      const wire = res.body;
      assert.ok(wire.length < plain.length / 3, `${encoding}: ${wire.length} of ${plain.length} bytes`);
      assert.deepEqual(decode(wire), plain);
    }
    const identity = await rawGet(`${server.url}/assets/${asset}`, { "accept-encoding": "identity" });
    assert.equal(identity.headers["content-encoding"], undefined);
    assert.deepEqual(identity.body, plain);
  });

  it("publishes no source maps: none in the build, and map or compressed-copy paths are 404s", async () => {
    assert.deepEqual(
      readdirSync(join(DIST, "assets")).filter((f) => f.endsWith(".map")),
      [],
    );
    const asset = readdirSync(join(DIST, "assets")).find((f) => f.endsWith(".js"));
    for (const path of [`/assets/${asset}.map`, `/assets/${asset}.br`, `/assets/${asset}.gz`]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      await res.arrayBuffer();
    }
  });

  it("keeps the API's JSON answers: unknown API paths and missing files are 404s, not the app", async () => {
    for (const path of ["/v1/nope", "/v1", "/assets/missing.js", "/robots.txt"]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      assert.equal((await res.json()).error.code, "not_found", path);
    }
    const health = await get("/healthz");
    assert.deepEqual(await health.json(), { status: "ok" });
    const post = await fetch(`${server.url}/c/x`, { method: "POST" });
    assert.equal(post.status, 404, "only GET falls back to the app");
    await post.arrayBuffer();
  });

  it("answers with a build hint and a warning in the log when the app was not built", async () => {
    const empty = mkdtempSync(join(tmpdir(), "parley-no-web-"));
    const warnings = [];
    const app = Fastify();
    app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: { code: "not_found" } }));
    mountWebApp(app, { warn: (...args) => warnings.push(args) }, { root: empty });
    try {
      const page = await app.inject({ method: "GET", url: "/" });
      assert.equal(page.statusCode, 503);
      assert.match(page.body, /npm run build/);
      assert.equal((await app.inject({ method: "GET", url: "/v1/me" })).statusCode, 404);
      assert.equal(warnings.length, 1);
    } finally {
      await app.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
