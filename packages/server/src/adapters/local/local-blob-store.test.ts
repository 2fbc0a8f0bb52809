// Runs the BlobStore contract against LocalBlobStore, plus its on-disk layout.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { runBlobStoreContract } from "../../ports/blob-store.contract.js";
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

describe("LocalBlobStore on disk", () => {
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
