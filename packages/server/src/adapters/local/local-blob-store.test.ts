// Runs the BlobStore contract against LocalBlobStore, plain and encrypted, plus its on-disk layout.

import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runBlobStoreContract } from "../../ports/blob-store.contract.js";
import { AtRestKey } from "../at-rest/at-rest-key.js";
import { LocalBlobStore } from "./local-blob-store.js";

{
  let root = "";
  runBlobStoreContract(
    "LocalBlobStore",
    async () => {
      root = mkdtempSync(join(tmpdir(), "parley-blobs-"));
      return LocalBlobStore.open(root);
    },
    async () => rmSync(root, { recursive: true, force: true }),
  );
}

{
  let root = "";
  runBlobStoreContract(
    "LocalBlobStore, encrypted at rest",
    async () => {
      root = mkdtempSync(join(tmpdir(), "parley-blobs-"));
      return LocalBlobStore.open(root, { key: new AtRestKey(randomBytes(32)) });
    },
    async () => rmSync(root, { recursive: true, force: true }),
  );
}

describe("LocalBlobStore on disk", () => {
  it("with a key, keeps no plaintext on disk and refuses to read its blobs with another key", async () => {
    const root = mkdtempSync(join(tmpdir(), "parley-blobs-"));
    try {
      const key = new AtRestKey(randomBytes(32));
      const store = await LocalBlobStore.open(root, { key });
      const bytes = Buffer.from("the plaintext of an uploaded file ".repeat(50));
      const sha = createHash("sha256").update(bytes).digest("hex");
      const source = join(root, "source");
      writeFileSync(source, bytes);
      await store.putFile(sha, source, "text/plain");
      const onDisk = readFileSync(store.pathOf(sha));
      assert.ok(!onDisk.includes(Buffer.from("the plaintext")), "the stored file holds ciphertext only");
      assert.deepEqual(await store.stat(sha), { size: bytes.length });
      const other = await LocalBlobStore.open(root, { key: new AtRestKey(randomBytes(32)) });
      await assert.rejects(other.get(sha), /another key/);
      const plain = await LocalBlobStore.open(root);
      assert.notDeepEqual(await plain.stat(sha), { size: bytes.length }, "without the key the sizes are the sealed ones");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it("fans blobs out by hash prefix and leaves no temporary file behind", async () => {
    const root = mkdtempSync(join(tmpdir(), "parley-blobs-"));
    try {
      const store = await LocalBlobStore.open(root);
      const bytes = Buffer.from("fan-out");
      const key = createHash("sha256").update(bytes).digest("hex");
      const source = join(root, "source");
      writeFileSync(source, bytes);
      await store.putFile(key, source, "text/plain");
      assert.ok(existsSync(join(root, key.slice(0, 2), key.slice(2, 4), key)));
      assert.deepEqual(readdirSync(store.tmpDir), []);
      assert.ok(existsSync(source), "the caller's file is left to the caller");
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
