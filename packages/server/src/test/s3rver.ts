// s3rver (a real S3 HTTP server, in Node) for tests: on 127.0.0.1 and a random port, keeping its objects in a
// temporary directory, with the fixed credentials it accepts; and the settings that point a store or a server at it.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { S3BlobStoreOptions } from "../adapters/s3/s3-blob-store.js";
import type { Config } from "../config/index.js";

interface S3rverInstance {
  run(): Promise<{ port: number }>;
  close(): Promise<void>;
}

/** The key pair s3rver accepts. */
const KEY = "S3RVER";

export class TestS3 {
  private constructor(
    private readonly server: S3rverInstance,
    private readonly dir: string,
    readonly port: number,
  ) {}

  /** Starts s3rver; throws (with its directory removed) when it cannot. */
  static async start(): Promise<TestS3> {
    // Loaded here, not at the top (nor the S3 client below): @parley/server/testing is also imported where no S3 is
    // used (benchmarks, the cluster tests).
    // @ts-expect-error s3rver ships no type declarations.
    const { default: S3rver } = await import("s3rver");
    const dir = mkdtempSync(join(tmpdir(), "parley-s3rver-"));
    const server = new S3rver({ port: 0, address: "127.0.0.1", directory: dir, silent: true }) as S3rverInstance;
    try {
      return new TestS3(server, dir, (await server.run()).port);
    } catch (error) {
      rmSync(dir, { recursive: true, force: true });
      throw error;
    }
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** S3BlobStore options for `bucket` on this server. */
  storeOptions(bucket: string): S3BlobStoreOptions {
    return {
      bucket,
      endpoint: this.endpoint,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: KEY, secretAccessKey: KEY },
    };
  }

  /** The server configuration that keeps media in `bucket` on this server. */
  serverConfig(bucket: string): Partial<Config> {
    return { s3Bucket: bucket, s3Endpoint: this.endpoint, s3ForcePathStyle: true, s3AccessKeyId: KEY, s3SecretAccessKey: KEY };
  }

  /** Creates `bucket`, as an operator does before pointing Parley at it. */
  async createBucket(bucket: string): Promise<void> {
    const { S3BlobStore } = await import("../adapters/s3/s3-blob-store.js");
    await (await S3BlobStore.connect({ ...this.storeOptions(bucket), createBucket: true })).close();
  }

  async close(): Promise<void> {
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
