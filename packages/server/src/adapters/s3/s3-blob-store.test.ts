// Runs the BlobStore contract against S3BlobStore on a real S3-compatible server: s3rver on 127.0.0.1, random port.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe } from "node:test";
// @ts-expect-error s3rver ships no type declarations.
import S3rver from "s3rver";
import { runBlobStoreContract } from "../../ports/blob-store.contract.js";
import { requireService } from "../../test/services.js";
import { S3BlobStore } from "./s3-blob-store.js";

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

const dir = mkdtempSync(join(tmpdir(), "parley-s3rver-"));
const server = new S3rver({ port: 0, address: "127.0.0.1", directory: dir, silent: true }) as S3rverInstance;
let port = 0;
const available = await requireService("s3rver (S3-compatible server)", async () => {
  port = (await server.run()).port;
});

if (available) {
  runBlobStoreContract(
    "S3BlobStore on s3rver",
    () =>
      S3BlobStore.connect({
        bucket: "parley-test",
        endpoint: `http://127.0.0.1:${port}`,
        region: "us-east-1",
        forcePathStyle: true,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        createBucket: true,
      }),
    async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  );
} else {
  describe("S3BlobStore", { skip: "s3rver could not start" }, () => {});
  rmSync(dir, { recursive: true, force: true });
}
