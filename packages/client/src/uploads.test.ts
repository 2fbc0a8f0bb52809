// Unit tests of the SDK's file helpers: the signed-URL cache (batches, absolute URLs, renewal before expiry) and the
// uploader's single retry after a token refresh.

import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import type { SignedFile } from "@parley/protocol";
import { ParleyError } from "./errors.js";
import { FileUrlCache, Uploader } from "./uploads.js";

describe("FileUrlCache", () => {
  const signed = (id: string, expiresAt: number): SignedFile => ({
    id,
    url: `/v1/files/${id}?sig=${expiresAt}`,
    thumbnailUrl: id.startsWith("img") ? `/v1/files/${id}?v=thumb&sig=${expiresAt}` : null,
    expiresAt,
  });

  it("signs what it lacks in batches of 100, returns absolute URLs, and reuses them until a minute before expiry", async () => {
    let now = 1_000_000;
    const calls: string[][] = [];
    const cache = new FileUrlCache(
      "https://chat.example.com/",
      async (ids) => {
        calls.push(ids);
        return ids.map((id) => signed(id, now + 900_000));
      },
      () => now,
    );
    const ids = ["img1", ...Array.from({ length: 150 }, (_, i) => `f${i}`)];
    const first = await cache.get(ids);
    assert.deepEqual(
      calls.map((c) => c.length),
      [100, 51],
    );
    assert.equal(first.get("img1")?.url, `https://chat.example.com/v1/files/img1?sig=${now + 900_000}`);
    assert.match(first.get("img1")?.thumbnailUrl ?? "", /^https:\/\/chat\.example\.com\/v1\/files\/img1\?v=thumb/);
    assert.equal(first.get("f0")?.thumbnailUrl, null);

    now += 800_000; // 100 s before expiry: still fresh
    await cache.get(["img1"]);
    assert.equal(calls.length, 2);
    now += 50_000; // 50 s before expiry: renewed
    const renewed = await cache.get(["img1", "f3"]);
    assert.deepEqual(calls.at(-1), ["img1", "f3"]);
    assert.equal(renewed.get("img1")?.expiresAt, now + 900_000);
  });
});

describe("Uploader", () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  it("refreshes an expired token once and sends the bytes again", async () => {
    const seen: { auth: string; body: number }[] = [];
    globalThis.fetch = (async (_url: string, init: RequestInit & { body: ReadableStream<Uint8Array> }) => {
      let size = 0;
      for await (const chunk of init.body as unknown as AsyncIterable<Uint8Array>) size += chunk.byteLength;
      const auth = (init.headers as Record<string, string>)["authorization"]!;
      seen.push({ auth, body: size });
      if (auth === "Bearer old") {
        return new Response(JSON.stringify({ error: { code: "token_expired", message: "expired", retryable: false } }), {
          status: 401,
        });
      }
      return new Response(
        JSON.stringify({
          id: "u1",
          name: "a.bin",
          size,
          mimeType: "application/octet-stream",
          width: null,
          height: null,
          hasThumbnail: false,
        }),
        { status: 201 },
      );
    }) as typeof fetch;
    let token = "old";
    const uploader = new Uploader("http://server", {
      accessToken: async () => token,
      refresh: async () => {
        token = "new";
        return token;
      },
    });
    const progress: number[] = [];
    const result = await uploader.upload(new Uint8Array(200_000), { name: "a.bin", onProgress: (sent) => progress.push(sent) });
    assert.equal(result.size, 200_000);
    assert.deepEqual(seen, [
      { auth: "Bearer old", body: 200_000 },
      { auth: "Bearer new", body: 200_000 },
    ]);
    assert.equal(progress.at(-1), 200_000);
  });

  it("maps refusals to ParleyError with the server's code", async () => {
    globalThis.fetch = (async () =>
      new Response(
        JSON.stringify({ error: { code: "upload_too_large", message: "too big", retryable: false, details: { limit: 5 } } }),
        {
          status: 413,
        },
      )) as unknown as typeof fetch;
    const uploader = new Uploader("http://server", { accessToken: async () => "t", refresh: async () => "t" });
    await assert.rejects(uploader.upload(new Uint8Array(10), { name: "x" }), (error: unknown) => {
      assert.ok(error instanceof ParleyError);
      assert.equal(error.code, "upload_too_large");
      assert.deepEqual(error.details, { limit: 5 });
      return true;
    });
  });
});
