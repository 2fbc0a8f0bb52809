// Runs the BlobStore contract against S3BlobStore on a real S3-compatible server: s3rver on 127.0.0.1, random port.

import { describe } from "node:test";
import { runBlobStoreContract } from "../../ports/blob-store.contract.js";
import { TestS3 } from "../../test/s3rver.js";
import { requireService } from "../../test/services.js";
import { S3BlobStore } from "./s3-blob-store.js";

let s3: TestS3 | undefined;
const available = await requireService("s3rver (S3-compatible server)", async () => {
  s3 = await TestS3.start();
});

if (s3 !== undefined && available) {
  const server = s3;
  runBlobStoreContract(
    "S3BlobStore on s3rver",
    () => S3BlobStore.connect({ ...server.storeOptions("parley-test"), createBucket: true }),
    () => server.close(),
  );
} else {
  describe("S3BlobStore", { skip: "s3rver could not start" }, () => {});
}
